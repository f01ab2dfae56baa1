internal import Foundation
internal import VigilCore

/// One HTTP connection.
final class HTTPSession: TCPSession {
    private struct Pending {
        var credentials: [Credential]
        var time: Timestamp
        var packet: Int
        var isForm: Bool
    }

    private let context: FlowContext
    private var requests = FramedStream(HTTPMessageDecoder())
    private var responses = FramedStream(HTTPMessageDecoder())
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
            requests.feed(bytes) { frame in
                switch frame {
                case .head(let head): return request(head, packet: packet, time: time)
                case .body(let body):
                    form(body)
                    return nil
                }
            }
        case .server:
            responses.feed(bytes) { frame in
                guard case .head(let head) = frame else { return nil }
                return response(head, packet: packet, time: time, into: &events)
            }
        }
    }

    private func request(_ head: HTTPHead, packet: Int, time: Timestamp) -> HTTPBodyPlan {
        var credentials: [Credential] = []
        var length: Int?
        var chunked = false
        var formLike = false
        for (name, value) in head.headers {
            switch name {
            case .authorization, .proxyAuthorization:
                credentials += authorization(
                    value, path: head.methodAndTarget.target, packet: packet, time: time)
            case .contentLength: length = length ?? HTTPFields.contentLength(value)
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
        return HTTPBodyPlan(length: length ?? 0, chunked: chunked, keep: keep && (length ?? 0) > 0)
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
            return [
                context.credential(
                    .httpBasic, user: user, secret: secret, packets: [packet],
                    attributes: [CredentialAttribute("path", path)])
            ]
        case "digest":
            let fields = HTTPFields.digest(parameter)
            guard let user = fields["username"], let response = fields["response"] else { return [] }
            var attributes: [CredentialAttribute] = []
            for key in ["realm", "uri", "algorithm", "qop"] {
                if let value = fields[key] { attributes.append(CredentialAttribute(key, value)) }
            }
            return [
                context.credential(
                    .httpDigest, user: user, secret: Array(response.utf8), kind: .hash, packets: [packet],
                    domain: fields["realm"], attributes: attributes)
            ]
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

    /// A kept request body: a login form if it holds a password-like field.
    private func form(_ body: [UInt8]) {
        guard let (head, packet, _) = formHead else { return }
        formHead = nil
        let type = head.header(.contentType)?.lowercased() ?? ""
        let pairs = type.contains("json") ? HTTPFields.jsonPairs(body) : HTTPFields.formPairs(body)
        guard let secret = pairs.first(where: { HTTPDissector.isSecretField($0.0) && !$0.1.isEmpty }) else { return }
        let user = pairs.first { HTTPDissector.isUserField($0.0) }?.1 ?? ""
        let path = head.methodAndTarget.target
        let credential = context.credential(
            .httpForm, user: user, secret: Array(secret.1.utf8), packets: [packet],
            attributes: [CredentialAttribute("field", secret.0), CredentialAttribute("path", path)])
        if let last = pending.indices.last {
            pending[last].credentials.append(credential)
            pending[last].isForm = true
        }
    }

    private func response(_ head: HTTPHead, packet: Int, time: Timestamp, into events: inout [Event]) -> HTTPBodyPlan {
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
                credential.outcome = Self.outcome(
                    status, form: credential.protocolName == CredentialProtocol.httpForm.rawValue)
                credential.packets.append(packet)
                events.append(context.credentialEvent(credential, time: request.time, packet: request.packet))
                events.append(
                    Self.cleartextLogin(credential, context: context, packet: request.packet, time: request.time))
            }
        }
        let chunked = head.header(.transferEncoding)?.lowercased().contains("chunked") ?? false
        let length = head.header(.contentLength).flatMap(HTTPFields.contentLength)
        let bodiless = status.map { $0 < 200 || $0 == 204 || $0 == 304 } ?? false
        if bodiless { return HTTPBodyPlan(length: 0, chunked: false, keep: false) }
        // No length and not chunked: the body runs to the end of the connection.
        return HTTPBodyPlan(length: length, chunked: chunked, keep: length == nil && !chunked)
    }

    /// HTTP authentication seen on the wire, by its scheme.
    static func cleartextLogin(_ credential: Credential, context: FlowContext, packet: Int, time: Timestamp) -> Event {
        let method = CredentialProtocol(rawValue: credential.protocolName)?.httpMethod ?? "ntlm"
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
        if side == .client { requests.stop() } else { responses.stop() }
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
