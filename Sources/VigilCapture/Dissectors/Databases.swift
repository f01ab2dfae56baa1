internal import VigilCore

/// Accumulates one direction of a binary protocol and hands out whole messages.
struct MessageBuffer {
    var bytes: [UInt8] = []
    var lost = false
    static let limit = 1 << 20

    mutating func append(_ data: UnsafeRawBufferPointer) {
        guard !lost else { return }
        bytes.append(contentsOf: data)
        if bytes.count > Self.limit {
            bytes = []
            lost = true
        }
    }

    /// Removes and returns the first `count` bytes, when there are that many.
    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, bytes.count >= count else { return nil }
        let head = Array(bytes.prefix(count))
        bytes.removeFirst(count)
        return head
    }

    func be32(_ offset: Int) -> Int? {
        guard bytes.count >= offset + 4 else { return nil }
        return Int(bytes[offset]) << 24 | Int(bytes[offset + 1]) << 16 | Int(bytes[offset + 2]) << 8
            | Int(bytes[offset + 3])
    }
}

// MARK: - PostgreSQL

/// PostgreSQL frontend/backend protocol 3.0: the user from the StartupMessage, then a
/// cleartext PasswordMessage (auth request 3) or an MD5 response (auth request 5, with its salt:
/// hashcat mode 11100); AuthenticationOk success, ErrorResponse failure. After an accepted
/// SSLRequest the connection is encrypted and reading stops. SCRAM exchanges are not secrets.
enum PostgreSQLDissector: TCPDissector {
    static let name = "postgresql"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        func startup(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard bytes.count >= 8 else { return false }
            let length = Int(bytes[0]) << 24 | Int(bytes[1]) << 16 | Int(bytes[2]) << 8 | Int(bytes[3])
            let code = Int(bytes[4]) << 24 | Int(bytes[5]) << 16 | Int(bytes[6]) << 8 | Int(bytes[7])
            return length >= 8 && length < 10_000 && (code == 196_608 || code == 80_877_103 || code == 80_877_104)
        }
        if startup(input.client) { return .yes(swapSides: false) }
        if startup(input.server) { return .yes(swapSides: true) }
        return input.client.count >= 8 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { PostgreSQLSession(context: context) }
}

final class PostgreSQLSession: TCPSession {
    private let context: FlowContext
    private var client = MessageBuffer()
    private var server = MessageBuffer()
    private var startupDone = false
    private var user = ""
    private var database: String?
    private var authRequest: (code: Int, salt: [UInt8])?
    private var pending: PendingLogin?
    private var sslRequested = false
    private var tls = false

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !tls else { return }
        if side == .client {
            client.append(bytes)
            readClient(packet: packet, time: time)
        } else {
            server.append(bytes)
            readServer(packet: packet, into: &events)
        }
    }

    private func readClient(packet: Int, time: Timestamp) {
        while !client.lost {
            if !startupDone {
                guard let length = client.be32(0), length >= 8, let message = client.take(length) else { return }
                let code = Int(message[4]) << 24 | Int(message[5]) << 16 | Int(message[6]) << 8 | Int(message[7])
                if code == 80_877_103 || code == 80_877_104 {
                    sslRequested = true  // the server answers one byte, 'S' or 'N'
                    continue
                }
                startupDone = true
                let pairs = message.dropFirst(8).split(separator: 0, omittingEmptySubsequences: false).map {
                    String(decoding: $0, as: UTF8.self)
                }
                var index = 0
                while index + 1 < pairs.count {
                    if pairs[index] == "user" { user = pairs[index + 1] }
                    if pairs[index] == "database" { database = pairs[index + 1] }
                    index += 2
                }
                continue
            }
            guard client.bytes.count >= 5, let length = client.be32(1), length >= 4,
                let message = client.take(1 + length)
            else { return }
            guard message[0] == 0x70, let request = authRequest else { continue }  // 'p'
            let body = Array(message.dropFirst(5).prefix { $0 != 0 })
            var attributes = database.map { [CredentialAttribute("database", $0)] } ?? []
            switch request.code {
            case 3:
                pending = PendingLogin(
                    protocolName: "postgresql", user: user, secret: body, packets: [packet], time: time,
                    attributes: attributes)
            case 5:
                let response = String(decoding: body, as: UTF8.self)
                let digest = response.hasPrefix("md5") ? String(response.dropFirst(3)) : response
                attributes.append(CredentialAttribute("salt", request.salt.hexString))
                pending = PendingLogin(
                    protocolName: "postgresql-md5", user: user,
                    secret: Array("$postgres$\(user)*\(request.salt.hexString)*\(digest)".utf8), kind: .hash,
                    packets: [packet], time: time, attributes: attributes)
            default:
                break
            }
        }
    }

    private func readServer(packet: Int, into events: inout [Event]) {
        if sslRequested, let answer = server.take(1) {
            sslRequested = false
            if answer[0] == 0x53 {  // 'S': TLS follows
                tls = true
                return
            }
        }
        while !server.lost, server.bytes.count >= 5, let length = server.be32(1), length >= 4,
            let message = server.take(1 + length)
        {
            switch message[0] {
            case 0x52 where message.count >= 9:  // 'R' authentication
                let code = Int(message[5]) << 24 | Int(message[6]) << 16 | Int(message[7]) << 8 | Int(message[8])
                if code == 0, let login = pending {
                    pending = nil
                    context.emit(
                        login, outcome: .success(reply: "AuthenticationOk"), replyPacket: packet, into: &events)
                } else if code == 3 || code == 5 {
                    authRequest = (code, code == 5 ? Array(message.dropFirst(9).prefix(4)) : [])
                }
            case 0x45:  // 'E' error
                if let login = pending {
                    pending = nil
                    let sqlState = Self.field(message, code: 0x43) ?? "error"
                    context.emit(login, outcome: .failure(reply: sqlState), replyPacket: packet, into: &events)
                }
            default:
                break
            }
        }
    }

    /// A field of an ErrorResponse (`C` SQLSTATE, `M` message).
    private static func field(_ message: [UInt8], code: UInt8) -> String? {
        var index = 5
        while index < message.count, message[index] != 0 {
            let type = message[index]
            let end = message[(index + 1)...].firstIndex(of: 0) ?? message.count
            if type == code { return String(decoding: message[(index + 1)..<end], as: UTF8.self) }
            index = end + 1
        }
        return nil
    }

    func gap(on side: Side) {
        if side == .client { client.lost = true } else { server.lost = true }
    }

    func finish(into events: inout [Event]) {
        if let login = pending { context.emit(login, outcome: .unknown, replyPacket: nil, into: &events) }
        pending = nil
    }
}

// MARK: - MySQL

/// MySQL client/server protocol: the server greeting's scramble and the client's
/// HandshakeResponse41 (user, auth response, database). The response is evidence of a crackable
/// `mysql_native_password` hash (hashcat mode 11200, `$mysqlna$scramble*response`); OK or ERR
/// gives the outcome. After an SSL request the connection is encrypted and reading stops.
enum MySQLDissector: TCPDissector {
    static let name = "mysql"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        func greeting(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard bytes.count >= 10 else { return false }
            let length = Int(bytes[0]) | Int(bytes[1]) << 8 | Int(bytes[2]) << 16
            return length > 40 && length < 1024 && bytes[3] == 0 && bytes[4] == 10 && bytes[5] >= 0x30
                && bytes[5] <= 0x39
        }
        if greeting(input.server) { return .yes(swapSides: false) }
        if greeting(input.client) { return .yes(swapSides: true) }
        return input.server.count >= 10 || input.client.count >= 10 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { MySQLSession(context: context) }
}

final class MySQLSession: TCPSession {
    private let context: FlowContext
    private var client = MessageBuffer()
    private var server = MessageBuffer()
    private var scramble: [UInt8]?
    private var plugin = "mysql_native_password"
    private var pending: PendingLogin?
    private var tls = false
    private var done = false

    init(context: FlowContext) { self.context = context }

    private func packet(_ buffer: inout MessageBuffer) -> [UInt8]? {
        guard buffer.bytes.count >= 4 else { return nil }
        let length = Int(buffer.bytes[0]) | Int(buffer.bytes[1]) << 8 | Int(buffer.bytes[2]) << 16
        return buffer.take(4 + length).map { Array($0.dropFirst(4)) }
    }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet number: Int, time: Timestamp,
        into events: inout [Event]
    ) {
        guard !tls, !done else { return }
        if side == .server {
            server.append(bytes)
            while let body = packet(&server) {
                if scramble == nil {
                    greeting(body)
                } else if let login = pending, let first = body.first {
                    pending = nil
                    if first == 0x00 {
                        context.emit(login, outcome: .success(reply: "OK"), replyPacket: number, into: &events)
                    } else if first == 0xFF {
                        let code = body.count >= 3 ? String(Int(body[1]) | Int(body[2]) << 8) : "ERR"
                        context.emit(login, outcome: .failure(reply: code), replyPacket: number, into: &events)
                    } else {
                        // Auth switch or more data: the exchange goes on beyond what is read here.
                        context.emit(login, outcome: .unknown, replyPacket: number, into: &events)
                    }
                    done = true
                }
            }
        } else {
            client.append(bytes)
            while let body = packet(&client), pending == nil, scramble != nil {
                response(body, packet: number, time: time)
            }
        }
    }

    private func greeting(_ body: [UInt8]) {
        guard body.first == 10, let versionEnd = body.dropFirst().firstIndex(of: 0) else {
            done = true
            return
        }
        var index = versionEnd + 1 + 4  // thread id
        guard body.count >= index + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10 else { return }
        var salt = Array(body[index..<(index + 8)])
        index += 8 + 1 + 2 + 1 + 2 + 2
        let saltLength = Int(body[index])
        index += 1 + 10
        let rest = max(13, saltLength - 8)
        if body.count >= index + rest {
            salt += body[index..<(index + rest)].prefix { $0 != 0 }
            index += rest
            if let end = body[index...].firstIndex(of: 0) {
                plugin = String(decoding: body[index..<end], as: UTF8.self)
            }
        }
        scramble = salt
    }

    private func response(_ body: [UInt8], packet: Int, time: Timestamp) {
        guard body.count >= 32 else { return }
        let capabilities = Int(body[0]) | Int(body[1]) << 8 | Int(body[2]) << 16 | Int(body[3]) << 24
        if capabilities & 0x800 != 0 && body.count == 32 {
            tls = true  // SSL request: TLS follows
            return
        }
        var index = 32
        guard let userEnd = body[index...].firstIndex(of: 0) else { return }
        let user = String(decoding: body[index..<userEnd], as: UTF8.self)
        index = userEnd + 1
        var response: [UInt8] = []
        if capabilities & 0x0020_0000 != 0 || capabilities & 0x8000 != 0, index < body.count {
            let length = Int(body[index])  // lenenc for lengths under 251, as auth responses are
            guard length < 251, body.count >= index + 1 + length else { return }
            response = Array(body[(index + 1)..<(index + 1 + length)])
        } else if let end = body[index...].firstIndex(of: 0) {
            response = Array(body[index..<end])
        }
        guard !response.isEmpty, let salt = scramble else { return }
        pending = PendingLogin(
            protocolName: "mysql", user: user,
            secret: Array("$mysqlna$\(salt.hexString)*\(response.hexString)".utf8), kind: .hash, packets: [packet],
            time: time, attributes: [CredentialAttribute("plugin", plugin)])
    }

    func gap(on side: Side) { done = true }

    func finish(into events: inout [Event]) {
        if let login = pending { context.emit(login, outcome: .unknown, replyPacket: nil, into: &events) }
        pending = nil
    }
}

// MARK: - VNC

/// VNC (RFB 3.3 to 3.8) with VNC authentication: the server's 16-byte challenge and the
/// client's DES response, an offline-crackable pair (`$vnc$*challenge*response`), and the
/// SecurityResult (0 success).
enum VNCDissector: TCPDissector {
    static let name = "vnc"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        let banner = Array("RFB 00".utf8)
        if input.server.starts(with: banner) { return .yes(swapSides: false) }
        if input.client.starts(with: banner) {
            return input.server.starts(with: banner) ? .yes(swapSides: false) : .yes(swapSides: true)
        }
        return input.server.count >= 6 || input.client.count >= 6 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { VNCSession(context: context) }
}

final class VNCSession: TCPSession {
    private enum Stage {
        case version, securityTypes, choice, challenge, response, result, done
    }

    private let context: FlowContext
    private var server = MessageBuffer()
    private var client = MessageBuffer()
    private var minor = 8
    private var stage = Stage.version
    private var clientVersionSeen = false
    private var challenge: [UInt8] = []
    private var pending: PendingLogin?

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        if side == .server { server.append(bytes) } else { client.append(bytes) }
        advance(packet: packet, time: time, into: &events)
    }

    private func advance(packet: Int, time: Timestamp, into events: inout [Event]) {
        while true {
            switch stage {
            case .version:
                guard let version = server.take(12) else { return }
                minor = Int(String(decoding: version[8..<11], as: UTF8.self)) ?? 8
                stage = .securityTypes
            case .securityTypes:
                if !clientVersionSeen {
                    guard client.take(12) != nil else { return }
                    clientVersionSeen = true
                }
                if minor < 7 {
                    guard let type = server.take(4) else { return }
                    stage = type[3] == 2 ? .challenge : .done
                } else {
                    guard let count = server.bytes.first, count > 0, let types = server.take(1 + Int(count)) else {
                        return
                    }
                    stage = types.dropFirst().contains(2) ? .choice : .done
                }
            case .choice:
                guard let chosen = client.take(1) else { return }
                stage = chosen[0] == 2 ? .challenge : .done
            case .challenge:
                guard let value = server.take(16) else { return }
                challenge = value
                stage = .response
            case .response:
                guard let response = client.take(16) else { return }
                pending = PendingLogin(
                    protocolName: "vnc", user: "",
                    secret: Array("$vnc$*\(challenge.hexString.uppercased())*\(response.hexString.uppercased())".utf8),
                    kind: .hash, packets: [packet], time: time)
                stage = .result
            case .result:
                guard let result = server.take(4), let login = pending else { return }
                pending = nil
                let ok = result == [0, 0, 0, 0]
                context.emit(
                    login, outcome: ok ? .success(reply: "0") : .failure(reply: String(result[3])), replyPacket: packet,
                    into: &events)
                stage = .done
            case .done:
                return
            }
        }
    }

    func gap(on side: Side) { stage = .done }

    func finish(into events: inout [Event]) {
        if let login = pending { context.emit(login, outcome: .unknown, replyPacket: nil, into: &events) }
        pending = nil
    }
}
