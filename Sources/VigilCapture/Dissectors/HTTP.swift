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

    static func isRequestLine(_ line: String) -> Bool {
        let parts = startLineParts(line)
        return parts.count == 3 && methods.contains(String(parts[0])) && parts[2].hasPrefix("HTTP/1.")
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

/// An HTTP message head: start line and headers.
private struct HTTPHead {
    var startLine: String
    var headers: [(name: String, value: String)]

    func header(_ name: String) -> String? {
        headers.first { $0.name.caseInsensitiveCompare(name) == .orderedSame }?.value
    }

    func all(_ name: String) -> [String] {
        headers.filter { $0.name.caseInsensitiveCompare(name) == .orderedSame }.map(\.value)
    }

    /// Headers Vigil reads; the others are skipped without building strings for them.
    private static let wanted: [[UInt8]] = [
        "authorization", "proxy-authorization", "content-length", "transfer-encoding", "content-type",
        "www-authenticate", "proxy-authenticate",
    ].map { Array($0.utf8) }

    static func parse(_ bytes: [UInt8]) -> HTTPHead? {
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for index in bytes.indices where bytes[index] == 0x0A {
            lines.append(bytes[start..<index])
            start = index + 1
        }
        if start < bytes.count { lines.append(bytes[start...]) }
        func trimmed(_ line: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
            var line = line
            while let last = line.last, last == 0x0D || last == 0x20 || last == 0x09 { line = line.dropLast() }
            while let first = line.first, first == 0x20 || first == 0x09 { line = line.dropFirst() }
            return line
        }
        guard let first = lines.first else { return nil }
        var headers: [(String, String)] = []
        var keptLast = false
        for line in lines.dropFirst() where !line.isEmpty {
            if line.first == 0x20 || line.first == 0x09 {  // obsolete folding continues the last header
                if keptLast, let last = headers.popLast() {
                    headers.append((last.0, last.1 + " " + String(decoding: trimmed(line), as: UTF8.self)))
                }
                continue
            }
            keptLast = false
            guard let colon = line.firstIndex(of: 0x3A) else { continue }
            let name = trimmed(line[line.startIndex..<colon])
            guard
                wanted.contains(where: { wanted in
                    wanted.count == name.count && zip(wanted, name).allSatisfy { $0 == ($1 | 0x20) }
                })
            else { continue }
            headers.append(
                (String(decoding: name, as: UTF8.self), String(decoding: trimmed(line[(colon + 1)...]), as: UTF8.self)))
            keptLast = true
        }
        return HTTPHead(startLine: String(decoding: trimmed(first), as: UTF8.self), headers: headers)
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
                buffer.append(contentsOf: input)
                input = input[input.endIndex...]
                guard let end = Self.headEnd(buffer) else {
                    if buffer.count > Self.maxHead { state = .lost }
                    return
                }
                let headBytes = Array(buffer[..<end.start])
                let rest = Array(buffer[end.after...])
                buffer.removeAll(keepingCapacity: true)
                guard let parsed = HTTPHead.parse(headBytes) else {
                    state = .lost
                    return
                }
                let plan = head(parsed)
                kept = []
                if plan.chunked {
                    state = .chunkSize
                } else if let length = plan.length, length > 0 {
                    state = .body(remaining: length, keep: plan.keep && length <= Self.maxKeptBody)
                } else if plan.length == nil && !plan.chunked && plan.keep {
                    state = .untilClose
                } else {
                    state = .head
                }
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
                guard let size = Int(line.split(separator: ";").first.map(String.init) ?? "", radix: 16) else {
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

    private static func headEnd(_ bytes: [UInt8]) -> (start: Int, after: Int)? {
        var index = 0
        while index < bytes.count {
            if bytes[index] == 0x0A {
                if index + 1 < bytes.count && bytes[index + 1] == 0x0A { return (index, index + 2) }
                if index + 2 < bytes.count && bytes[index + 1] == 0x0D && bytes[index + 2] == 0x0A {
                    return (index, index + 3)
                }
            }
            index += 1
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
        let parts = HTTPDissector.startLineParts(head.startLine)
        let method = parts.first.map(String.init) ?? ""
        let path = parts.count > 1 ? String(parts[1]) : ""
        for value in head.all("Authorization") + head.all("Proxy-Authorization") {
            credentials += authorization(value, path: path, packet: packet, time: time)
        }
        let length = head.header("Content-Length").flatMap { Int($0.trimmingSpaces) }
        let chunked = head.header("Transfer-Encoding")?.lowercased().contains("chunked") ?? false
        let type = head.header("Content-Type")?.lowercased() ?? ""
        let formLike = type.contains("application/x-www-form-urlencoded") || type.contains("json")
        let keep = formLike && method != "GET" && !chunked
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
        let type = head.header("Content-Type")?.lowercased() ?? ""
        let pairs = type.contains("json") ? Self.jsonPairs(body) : Self.formPairs(body)
        guard let secret = pairs.first(where: { HTTPDissector.isSecretField($0.0) && !$0.1.isEmpty }) else { return }
        let user = pairs.first { HTTPDissector.isUserField($0.0) }?.1 ?? ""
        let path = head.startLine.split(separator: " ").dropFirst().first.map(String.init) ?? ""
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
        let parts = HTTPDissector.startLineParts(head.startLine)
        let status = parts.count > 1 ? Int(parts[1]) : nil
        for value in head.all("WWW-Authenticate") + head.all("Proxy-Authenticate") {
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
            }
        }
        let chunked = head.header("Transfer-Encoding")?.lowercased().contains("chunked") ?? false
        let length = head.header("Content-Length").flatMap { Int($0.trimmingSpaces) }
        let bodiless = status.map { $0 < 200 || $0 == 204 || $0 == 304 } ?? false
        if bodiless { return (0, false, false) }
        // No length and not chunked: the body runs to the end of the connection.
        return (length, chunked, length == nil && !chunked)
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
            }
        }
        pending.removeAll()
    }
}
