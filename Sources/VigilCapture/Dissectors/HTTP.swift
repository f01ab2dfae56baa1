internal import Foundation
internal import VigilCore

/// HTTP/1.x on any port: `Authorization: Basic` (any spacing, colons in the password),
/// `Digest` (user, realm, response), `NTLM`/`Negotiate` (NTLMSSP inside, challenge from the
/// server's `WWW-Authenticate`), and login forms (URL-encoded or JSON bodies with password-like
/// fields, the body possibly in later segments than the headers). The response status gives
/// the outcome: 401/403 failure, 2xx/3xx success (forms: only 401/403 are telling).
enum HTTPDissector: TCPDissector {
    static let name = "http"
    static let methods: Set<String> = [
        "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE",
        "LOCK", "UNLOCK", "REPORT", "SEARCH",
    ]

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if case .text(let line) = input.clientLine, isRequestLine(line) { return .yes(swapSides: false) }
        if case .text(let line) = input.serverLine, isRequestLine(line) { return .yes(swapSides: true) }
        if case .text(let line) = input.serverLine, line.hasPrefix("HTTP/1.") {
            return .yes(swapSides: false)
        }
        let a = input.clientLine
        let b = input.serverLine
        if a == .binary || b == .binary { return .no }
        if case .text = a { return .no }
        return .undecided
    }

    /// The methods as bytes, for the probe's byte comparison.
    static let methodBytes: [[UInt8]] = methods.map { Array($0.utf8) }

    /// Whether `line` is `METHOD target HTTP/1.x` with a method of ``methods``: compared on the
    /// UTF-8 bytes, without building strings (every new connection is asked this).
    static func isRequestLine(_ line: String) -> Bool {
        var line = line
        return line.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            guard let first = bytes.firstIndex(of: 0x20), first > 0, first <= 9,
                let second = bytes[(first + 1)...].firstIndex(of: 0x20),
                bytes.slice(second + 1, bytes.count).starts(with: "HTTP/1.".utf8)
            else { return false }
            let method = bytes.slice(0, first)
            return methodBytes.contains { $0.count == method.count && $0.elementsEqual(method) }
        }
    }

    /// The first two space-separated words of a start line and the rest, found on the UTF-8
    /// view (cheaper than a general split on every request and response).
    static func startLineParts(_ line: String) -> [Substring] {
        let bytes = line.utf8
        guard let first = bytes.firstIndex(of: 0x20) else { return [line[...]] }
        let afterFirst = bytes.index(after: first)
        guard let second = bytes[afterFirst...].firstIndex(of: 0x20) else {
            return [line[..<first], line[afterFirst...]]
        }
        return [line[..<first], line[afterFirst..<second], line[bytes.index(after: second)...]]
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { HTTPSession(context: context) }

    /// Field names that hold a secret in a login form or JSON body (compared in lower case).
    static let secretFields: Set<String> = [
        "password", "passwd", "pwd", "pass", "secret", "token", "api_key", "apikey", "access_token", "passphrase",
        "client_secret", "auth_token", "passcode", "pin",
    ]
    /// Field names that hold the account.
    static let userFields: Set<String> = [
        "user", "username", "login", "email", "user_name", "uname", "userid", "user_id", "account", "log", "name",
        "mail", "client_id",
    ]

    static func isSecretField(_ name: String) -> Bool {
        let lower = name.lowercased()
        let leaf = lower.split(whereSeparator: { "[].".contains($0) }).last.map(String.init) ?? lower
        return secretFields.contains(leaf) || leaf.contains("password") || leaf.contains("passwd")
    }

    static func isUserField(_ name: String) -> Bool {
        let lower = name.lowercased()
        let leaf = lower.split(whereSeparator: { "[].".contains($0) }).last.map(String.init) ?? lower
        return userFields.contains(leaf)
    }
}

/// The headers Vigil reads in an HTTP head; every other header is skipped without building a
/// string for it.
private enum HTTPHeader: CaseIterable {
    case authorization, proxyAuthorization, contentLength, transferEncoding, contentType, wwwAuthenticate
    case proxyAuthenticate

    /// The name in lower case, as bytes.
    var name: [UInt8] {
        switch self {
        case .authorization: Array("authorization".utf8)
        case .proxyAuthorization: Array("proxy-authorization".utf8)
        case .contentLength: Array("content-length".utf8)
        case .transferEncoding: Array("transfer-encoding".utf8)
        case .contentType: Array("content-type".utf8)
        case .wwwAuthenticate: Array("www-authenticate".utf8)
        case .proxyAuthenticate: Array("proxy-authenticate".utf8)
        }
    }

    static let names: [(HTTPHeader, [UInt8])] = allCases.map { ($0, $0.name) }

    /// The header called `name` (in any case), if Vigil reads it.
    static func named(_ name: UnsafeRawBufferPointer) -> HTTPHeader? {
        for (header, wanted) in names where wanted.count == name.count {
            var same = true
            for index in 0..<wanted.count where wanted[index] != (name[index] | 0x20) {
                same = false
                break
            }
            if same { return header }
        }
        return nil
    }
}

/// An HTTP message head: start line and the headers Vigil reads.
private struct HTTPHead {
    /// The start line, kept only when the head has a header Vigil reads (empty otherwise).
    var startLine: String
    /// A response's status code (`nil` for a request or a malformed status line).
    var status: Int?
    var headers: [(name: HTTPHeader, value: String)]

    func header(_ name: HTTPHeader) -> String? {
        headers.first { $0.name == name }?.value
    }

    func all(_ name: HTTPHeader) -> [String] {
        headers.filter { $0.name == name }.map(\.value)
    }

    /// The request's method and target (the first two words of the start line).
    var methodAndTarget: (method: String, target: String) {
        let parts = HTTPDissector.startLineParts(startLine)
        return (parts.first.map(String.init) ?? "", parts.count > 1 ? String(parts[1]) : "")
    }

    /// Parses a head (without its blank line) in place: lines are found in the bytes, and strings
    /// are made only for the start line and the headers Vigil reads.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPHead? {
        func trimmed(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            var start = 0
            var end = line.count
            while end > start, line[end - 1] == 0x0D || line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
            while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
            return line.slice(start, end)
        }
        guard !bytes.isEmpty else { return nil }
        var start = 0
        var head: HTTPHead?
        var firstLine = UnsafeRawBufferPointer(start: nil, count: 0)
        var keptLast = false
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let line = bytes.slice(start, newline)
            start = newline + 1
            guard var parsed = head else {
                let first = trimmed(line)
                var status: Int?
                if first.count >= 12, first.starts(with: "HTTP/".utf8), let space = first.firstIndex(of: 0x20),
                    space + 4 <= first.count
                {
                    let digits = first.slice(space + 1, space + 4)
                    if digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                        status = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                    }
                }
                head = HTTPHead(startLine: "", status: status, headers: [])
                firstLine = first
                continue
            }
            guard !line.isEmpty, !(line.count == 1 && line[0] == 0x0D) else { continue }
            if line[0] == 0x20 || line[0] == 0x09 {  // obsolete folding continues the last header
                if keptLast, let last = parsed.headers.popLast() {
                    parsed.headers.append(
                        (last.name, last.value + " " + String(decoding: trimmed(line), as: UTF8.self)))
                    head = parsed
                }
                continue
            }
            keptLast = false
            guard let colon = line.firstIndex(of: 0x3A), let name = HTTPHeader.named(trimmed(line.slice(0, colon)))
            else { continue }
            parsed.headers.append((name, String(decoding: trimmed(line.slice(colon + 1, line.count)), as: UTF8.self)))
            head = parsed
            keptLast = true
        }
        // The start line as text serves credentials and forms only: most heads have neither.
        if var parsed = head, !parsed.headers.isEmpty {
            parsed.startLine = String(decoding: firstLine, as: UTF8.self)
            head = parsed
        }
        return head
    }
}

/// One direction of HTTP/1.x: heads, then bodies by Content-Length or chunked encoding.
private struct HTTPStream {
    enum State {
        case head
        case body(remaining: Int, keep: Bool)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkTrailer
        case untilClose
        case lost
    }

    var state = State.head
    var buffer: [UInt8] = []
    var kept: [UInt8] = []
    static let maxHead = 32 * 1024
    static let maxKeptBody = 64 * 1024

    /// Feeds bytes; calls `head` for each message head (returning whether to keep its body, and
    /// how long the body is: a length, `-1` for chunked, `nil` for none or until close) and
    /// `body` with each kept body.
    mutating func feed(
        _ bytes: UnsafeRawBufferPointer, head: (HTTPHead) -> (length: Int?, chunked: Bool, keep: Bool),
        body: ([UInt8]) -> Void
    ) {
        var input = bytes[...]
        while !input.isEmpty {
            switch state {
            case .lost, .untilClose:
                return
            case .head:
                if buffer.isEmpty {
                    // The usual case: the whole head in this segment, parsed where it lies.
                    let available = UnsafeRawBufferPointer(rebasing: input)
                    if let end = Self.headEnd(available) {
                        guard let parsed = HTTPHead.parse(available.slice(0, end.start)) else {
                            state = .lost
                            return
                        }
                        input = input.dropFirst(end.after)
                        begin(head(parsed))
                        continue
                    }
                }
                buffer.append(contentsOf: input)
                input = input[input.endIndex...]
                let found = buffer.withUnsafeBytes { Self.headEnd($0) }
                guard let end = found else {
                    if buffer.count > Self.maxHead { state = .lost }
                    return
                }
                let parsed = buffer.withUnsafeBytes { HTTPHead.parse($0.slice(0, end.start)) }
                let rest = Array(buffer[end.after...])
                buffer.removeAll(keepingCapacity: true)
                guard let parsed else {
                    state = .lost
                    return
                }
                begin(head(parsed))
                if !rest.isEmpty {
                    rest.withUnsafeBytes { feed($0, head: head, body: body) }
                }
                return
            case .body(let remaining, let keep):
                let take = min(remaining, input.count)
                if keep { kept.append(contentsOf: input.prefix(take)) }
                input = input.dropFirst(take)
                if remaining - take == 0 {
                    if keep { body(kept) }
                    kept = []
                    state = .head
                } else {
                    state = .body(remaining: remaining - take, keep: keep)
                }
            case .chunkSize, .chunkTrailer:
                guard let newline = input.firstIndex(of: 0x0A) else {
                    buffer.append(contentsOf: input)
                    if buffer.count > 1024 { state = .lost }
                    return
                }
                buffer.append(contentsOf: input[input.startIndex..<newline])
                input = input[(newline + 1)...]
                let line = String(decoding: buffer, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
                buffer.removeAll(keepingCapacity: true)
                if case .chunkTrailer = state {
                    if line.isEmpty { state = .head }
                    continue
                }
                guard let size = Int(line.split(separator: ";").first.map(String.init) ?? "", radix: 16),
                    size >= 0, size < 1 << 48
                else {
                    state = .lost
                    return
                }
                state = size == 0 ? .chunkTrailer : .chunkData(remaining: size + 2)
            case .chunkData(let remaining):
                let take = min(remaining, input.count)
                input = input.dropFirst(take)
                state = remaining - take == 0 ? .chunkSize : .chunkData(remaining: remaining - take)
            }
        }
    }

    /// Starts reading what follows a head, as `plan` says.
    private mutating func begin(_ plan: (length: Int?, chunked: Bool, keep: Bool)) {
        kept = []
        if plan.chunked {
            state = .chunkSize
        } else if let length = plan.length, length > 0 {
            state = .body(remaining: length, keep: plan.keep && length <= Self.maxKeptBody)
        } else if plan.length == nil && plan.keep {
            state = .untilClose
        } else {
            state = .head
        }
    }

    /// Where the blank line ending a head starts, and where the bytes after it start.
    private static func headEnd(_ bytes: UnsafeRawBufferPointer) -> (start: Int, after: Int)? {
        var from = 0
        while let index = bytes[from...].firstIndex(of: 0x0A) {
            if index + 1 < bytes.count && bytes[index + 1] == 0x0A { return (index, index + 2) }
            if index + 2 < bytes.count && bytes[index + 1] == 0x0D && bytes[index + 2] == 0x0A {
                return (index, index + 3)
            }
            from = index + 1
        }
        return nil
    }
}

/// One HTTP connection.
final class HTTPSession: TCPSession {
    private struct Pending {
        var credentials: [Credential]
        var time: Timestamp
        var packet: Int
        var isForm: Bool
    }

    private let context: FlowContext
    private var requests = HTTPStream()
    private var responses = HTTPStream()
    /// Requests awaiting their response, oldest first; each with the credentials it carried.
    private var pending: [Pending] = []
    private var ntlm = NTLMExchange(carrier: "http")
    private var formHead: (head: HTTPHead, packet: Int, time: Timestamp)?

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        switch side {
        case .client:
            requests.feed(
                bytes,
                head: { head in request(head, packet: packet, time: time) },
                body: { body in form(body) })
        case .server:
            responses.feed(
                bytes,
                head: { head in response(head, packet: packet, time: time, into: &events) },
                body: { _ in })
        }
    }

    private func request(_ head: HTTPHead, packet: Int, time: Timestamp) -> (length: Int?, chunked: Bool, keep: Bool) {
        var credentials: [Credential] = []
        var length: Int?
        var chunked = false
        var formLike = false
        for (name, value) in head.headers {
            switch name {
            case .authorization, .proxyAuthorization:
                credentials += authorization(
                    value, path: head.methodAndTarget.target, packet: packet, time: time)
            case .contentLength: length = length ?? Self.contentLength(value)
            case .transferEncoding: chunked = chunked || value.lowercased().contains("chunked")
            case .contentType:
                let type = value.lowercased()
                formLike = formLike || type.contains("application/x-www-form-urlencoded") || type.contains("json")
            case .wwwAuthenticate, .proxyAuthenticate: break
            }
        }
        let keep = formLike && !chunked && head.methodAndTarget.method != "GET"
        pending.append(Pending(credentials: credentials, time: time, packet: packet, isForm: false))
        if keep { formHead = (head, packet, time) }
        if pending.count > 256 { pending.removeFirst() }
        return (length ?? 0, chunked, keep && (length ?? 0) > 0)
    }

    private func authorization(_ value: String, path: String, packet: Int, time: Timestamp) -> [Credential] {
        let trimmed = value.trimmingSpaces
        guard let space = trimmed.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return [] }
        let scheme = trimmed[..<space].lowercased()
        let parameter = String(trimmed[space...]).trimmingSpaces
        switch scheme {
        case "basic":
            guard let decoded = Data(base64Encoded: parameter, options: .ignoreUnknownCharacters),
                let colon = decoded.firstIndex(of: 0x3A)
            else { return [] }
            let user = String(decoding: decoded[..<colon], as: UTF8.self)
            let secret = decoded[decoded.index(after: colon)...]
            return context.credential(
                "http-basic", user: user, secret: secret, packets: [packet],
                attributes: [CredentialAttribute("path", path)]
            ).map { [$0] } ?? []
        case "digest":
            let fields = Self.digestFields(parameter)
            guard let user = fields["username"], let response = fields["response"] else { return [] }
            var attributes: [CredentialAttribute] = []
            for key in ["realm", "uri", "algorithm", "qop"] {
                if let value = fields[key] { attributes.append(CredentialAttribute(key, value)) }
            }
            return context.credential(
                "http-digest", user: user, secret: Array(response.utf8), kind: .hash, packets: [packet],
                domain: fields["realm"], attributes: attributes
            ).map { [$0] } ?? []
        case "ntlm", "negotiate":
            guard let decoded = Data(base64Encoded: parameter, options: .ignoreUnknownCharacters) else { return [] }
            var found: [Event] = []
            _ = decoded.withUnsafeBytes { bytes in
                ntlm.scan(bytes, from: .client, context: context, packet: packet, time: time, into: &found)
            }
            return found.compactMap(\.credential)
        default:
            return []
        }
    }

    /// `key="value", key=value` pairs of a Digest header (RFC 7616).
    static func digestFields(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        var rest = Substring(text)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," || $0 == "\t" }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].lowercased().trimmingSpaces
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingSpaces
                rest = rest[end...]
            }
            fields[key] = value
        }
        return fields
    }

    /// A kept request body: a login form if it holds a password-like field.
    private func form(_ body: [UInt8]) {
        guard let (head, packet, _) = formHead else { return }
        formHead = nil
        let type = head.header(.contentType)?.lowercased() ?? ""
        let pairs = type.contains("json") ? Self.jsonPairs(body) : Self.formPairs(body)
        guard let secret = pairs.first(where: { HTTPDissector.isSecretField($0.0) && !$0.1.isEmpty }) else { return }
        let user = pairs.first { HTTPDissector.isUserField($0.0) }?.1 ?? ""
        let path = head.methodAndTarget.target
        guard
            let credential = context.credential(
                "http-form", user: user, secret: Array(secret.1.utf8), packets: [packet],
                attributes: [CredentialAttribute("field", secret.0), CredentialAttribute("path", path)])
        else { return }
        if let last = pending.indices.last {
            pending[last].credentials.append(credential)
            pending[last].isForm = true
        }
    }

    static func formPairs(_ body: [UInt8]) -> [(String, String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first else { return nil }
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            return (decode(name), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func jsonPairs(_ body: [UInt8]) -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) else { return [] }
        var pairs: [(String, String)] = []
        func walk(_ value: Any, _ name: String, depth: Int) {
            guard depth < 4 else { return }
            if let dictionary = value as? [String: Any] {
                for key in dictionary.keys.sorted() { walk(dictionary[key] as Any, key, depth: depth + 1) }
            } else if let text = value as? String {
                pairs.append((name, text))
            } else if let number = value as? NSNumber {
                pairs.append((name, number.stringValue))
            }
        }
        walk(object, "", depth: 0)
        return pairs
    }

    private func response(_ head: HTTPHead, packet: Int, time: Timestamp, into events: inout [Event])
        -> (length: Int?, chunked: Bool, keep: Bool)
    {
        let status = head.status
        for value in head.all(.wwwAuthenticate) + head.all(.proxyAuthenticate) {
            let trimmed = value.trimmingSpaces
            let lower = trimmed.lowercased()
            guard lower.hasPrefix("ntlm ") || lower.hasPrefix("negotiate "),
                let space = trimmed.firstIndex(of: " "),
                let decoded = Data(base64Encoded: String(trimmed[space...]).trimmingSpaces)
            else { continue }
            _ = decoded.withUnsafeBytes { bytes in
                ntlm.scan(bytes, from: .server, context: context, packet: packet, time: time, into: &events)
            }
        }
        if let status, status >= 200, !pending.isEmpty {
            let request = pending.removeFirst()
            for var credential in request.credentials {
                credential.outcome = Self.outcome(status, form: credential.protocolName == "http-form")
                credential.packets.append(packet)
                events.append(context.credentialEvent(credential, time: request.time, packet: request.packet))
                events.append(
                    Self.cleartextLogin(credential, context: context, packet: request.packet, time: request.time))
            }
        }
        let chunked = head.header(.transferEncoding)?.lowercased().contains("chunked") ?? false
        let length = head.header(.contentLength).flatMap(Self.contentLength)
        let bodiless = status.map { $0 < 200 || $0 == 204 || $0 == 304 } ?? false
        if bodiless { return (0, false, false) }
        // No length and not chunked: the body runs to the end of the connection.
        return (length, chunked, length == nil && !chunked)
    }

    /// A `Content-Length` value: digits only (RFC 9110), so never negative; `nil` otherwise.
    static func contentLength(_ value: String) -> Int? {
        let digits = value.trimmingSpaces
        guard !digits.isEmpty, digits.utf8.count <= 15, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(digits)
    }

    /// HTTP authentication seen on the wire, by its scheme.
    static func cleartextLogin(_ credential: Credential, context: FlowContext, packet: Int, time: Timestamp) -> Event {
        let method =
            switch credential.protocolName {
            case "http-basic": "basic"
            case "http-digest": "digest"
            case "http-form": "form"
            default: "ntlm"
            }
        return context.cleartextLoginEvent("http", method: method, packet: packet, time: time)
    }

    static func outcome(_ status: Int, form: Bool) -> AuthOutcome {
        switch status {
        case 401, 403, 407: return .failure(reply: String(status))
        case 200..<400 where !form: return .success(reply: String(status))
        default: return .unknown
        }
    }

    func gap(on side: Side) {
        if side == .client { requests.state = .lost } else { responses.state = .lost }
    }

    func finish(into events: inout [Event]) {
        for request in pending {
            for credential in request.credentials {
                events.append(context.credentialEvent(credential, time: request.time, packet: request.packet))
                events.append(
                    Self.cleartextLogin(credential, context: context, packet: request.packet, time: request.time))
            }
        }
        pending.removeAll()
    }
}
