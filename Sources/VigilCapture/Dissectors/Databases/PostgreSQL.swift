internal import VigilCore

/// PostgreSQL frontend/backend protocol 3.0: the user from the StartupMessage, then a
/// cleartext PasswordMessage (auth request 3) or an MD5 response (auth request 5, with its salt:
/// hashcat mode 11100); AuthenticationOk success, ErrorResponse failure. After an accepted
/// SSLRequest the connection is encrypted and reading stops. SCRAM exchanges are not secrets.
enum PostgreSQLDissector: TCPDissector {
    static let name = "postgresql"
    /// The startup codes: protocol 3.0, SSLRequest, GSSENCRequest.
    static let protocol3 = 196_608
    static let sslRequest = 80_877_103
    static let gssRequest = 80_877_104

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        func startup(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard let length = bytes.integer(at: 0, as: UInt32.self), let code = bytes.integer(at: 4, as: UInt32.self)
            else { return false }
            return length >= 8 && length < 10_000 && [protocol3, sslRequest, gssRequest].contains(Int(code))
        }
        if startup(input.client) { return .yes(swapSides: false) }
        if startup(input.server) { return .yes(swapSides: true) }
        return input.client.count >= 8 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { PostgreSQLSession(context: context) }
}

/// The client's messages: startup messages (a length that counts itself) until the real
/// StartupMessage, then typed messages (a type byte, then such a length).
struct PostgreSQLClientDecoder: FrameDecoder {
    enum Frame {
        case startup(code: Int, body: UnsafeRawBufferPointer)
        case message(type: UInt8, body: UnsafeRawBufferPointer)
    }

    private var startupDone = false
    private var startup = LengthPrefixedDecoder(lengthAt: 0, width: 4, countsFrom: 0, frameStart: 0, minimumLength: 8)
    private var typed = LengthPrefixedDecoder(lengthAt: 1, width: 4, countsFrom: 1, frameStart: 0, minimumLength: 4)
    var limit: Int { typed.limit }

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<Frame> {
        if startupDone { return typed.decode(bytes).map { .message(type: $0[0], body: $0.from(5)) } }
        let step = startup.decode(bytes).map { message -> Frame in
            .startup(code: Int(message.integer(at: 4, as: UInt32.self) ?? 0), body: message.from(8))
        }
        if case .frame(.startup(let code, _), _) = step, code != PostgreSQLDissector.sslRequest,
            code != PostgreSQLDissector.gssRequest
        {
            startupDone = true
        }
        return step
    }
}

/// The server's messages: typed, except the one byte answering an SSLRequest (`S` or `N`).
struct PostgreSQLServerDecoder: FrameDecoder {
    enum Frame {
        case sslAnswer(UInt8)
        case message(type: UInt8, body: UnsafeRawBufferPointer)
    }

    var expectsSSLAnswer = false
    private var typed = LengthPrefixedDecoder(lengthAt: 1, width: 4, countsFrom: 1, frameStart: 0, minimumLength: 4)
    var limit: Int { typed.limit }

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<Frame> {
        if expectsSSLAnswer {
            expectsSSLAnswer = false
            return .frame(.sslAnswer(bytes[0]), consumed: 1)
        }
        return typed.decode(bytes).map { .message(type: $0[0], body: $0.from(5)) }
    }
}

/// One PostgreSQL connection.
final class PostgreSQLSession: TCPSession {
    private var client = FramedStream(PostgreSQLClientDecoder())
    private var server = FramedStream(PostgreSQLServerDecoder())
    private var user = ""
    private var database: String?
    private var authRequest: (code: Int, salt: [UInt8])?
    private var logins: LoginTracker
    private var tls = false

    init(context: FlowContext) { logins = LoginTracker(context: context) }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !tls else { return }
        if side == .client {
            client.feed(bytes) { frame in clientMessage(frame, packet: packet, time: time, into: &events) }
        } else {
            server.feed(bytes) { frame in serverMessage(frame, packet: packet, into: &events) }
        }
    }

    private func clientMessage(
        _ frame: PostgreSQLClientDecoder.Frame, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        switch frame {
        case .startup(let code, let body):
            if code == PostgreSQLDissector.sslRequest || code == PostgreSQLDissector.gssRequest {
                server.decoder.expectsSSLAnswer = true  // the server answers one byte, 'S' or 'N'
                return
            }
            let pairs = body.split(separator: 0, omittingEmptySubsequences: false).map {
                String(decoding: $0, as: UTF8.self)
            }
            var index = 0
            while index + 1 < pairs.count {
                if pairs[index] == "user" { user = pairs[index + 1] }
                if pairs[index] == "database" { database = pairs[index + 1] }
                index += 2
            }
        case .message(let type, let body):
            guard type == 0x70, let request = authRequest else { return }  // 'p'
            let value = Array(body.prefix { $0 != 0 })
            var attributes = database.map { [CredentialAttribute("database", $0)] } ?? []
            switch request.code {
            case 3:
                logins.begin(
                    PendingLogin(
                        protocolName: .postgresql, user: user, secret: value, packets: [packet], time: time,
                        attributes: attributes),
                    into: &events)
            case 5:
                let response = String(decoding: value, as: UTF8.self)
                let digest = response.hasPrefix("md5") ? String(response.dropFirst(3)) : response
                attributes.append(CredentialAttribute("salt", request.salt.hexString))
                logins.begin(
                    PendingLogin(
                        protocolName: .postgresqlMD5, user: user,
                        secret: Array("$postgres$\(user)*\(request.salt.hexString)*\(digest)".utf8), kind: .hash,
                        packets: [packet], time: time, attributes: attributes),
                    into: &events)
            default:
                break
            }
        }
    }

    private func serverMessage(_ frame: PostgreSQLServerDecoder.Frame, packet: Int, into events: inout [Event]) {
        switch frame {
        case .sslAnswer(let answer):
            if answer == 0x53 {  // 'S': TLS follows
                tls = true
                server.stop()
                client.stop()
            }
        case .message(0x52, let body):  // 'R' authentication
            guard let code = body.integer(at: 0, as: UInt32.self).map(Int.init) else { return }
            if code == 0 {
                logins.resolve(.success(reply: "AuthenticationOk"), replyPacket: packet, into: &events)
            } else if code == 3 || code == 5 {
                authRequest = (code, code == 5 ? Array(body.slice(4, 8)) : [])
            }
        case .message(0x45, let body):  // 'E' error
            let sqlState = Self.field(body, code: 0x43) ?? "error"
            logins.resolve(.failure(reply: sqlState), replyPacket: packet, into: &events)
        case .message:
            break
        }
    }

    /// A field of an ErrorResponse's body (`C` SQLSTATE, `M` message).
    private static func field(_ body: UnsafeRawBufferPointer, code: UInt8) -> String? {
        var cursor = ByteCursor(body)
        while let type = cursor.readByte(), type != 0, let value = cursor.readUntil(0) {
            if type == code { return value.text }
        }
        return nil
    }

    func gap(on side: Side) {
        if side == .client { client.stop() } else { server.stop() }
    }

    func finish(into events: inout [Event]) { logins.flush(into: &events) }
}
