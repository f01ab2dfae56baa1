internal import VigilCore

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

    /// A MySQL packet: a 3-byte little-endian length and a sequence number, then the body.
    static func packets() -> FramedStream<LengthPrefixedDecoder> {
        FramedStream(LengthPrefixedDecoder(lengthAt: 0, width: 3, endianness: .little, countsFrom: 4, frameStart: 4))
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { MySQLSession(context: context) }
}

/// One MySQL connection.
final class MySQLSession: TCPSession {
    private var client = MySQLDissector.packets()
    private var server = MySQLDissector.packets()
    private var scramble: [UInt8]?
    private var plugin = "mysql_native_password"
    private var logins: LoginTracker
    private var tls = false
    private var done = false

    init(context: FlowContext) { logins = LoginTracker(context: context) }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet number: Int, time: Timestamp,
        into events: inout [Event]
    ) {
        guard !tls, !done else { return }
        if side == .server {
            server.feed(bytes) { body in
                guard !done else { return }
                if scramble == nil {
                    greeting(body)
                } else if logins.isWaiting(), let first = body.first {
                    let outcome: AuthOutcome
                    if first == 0x00 {
                        outcome = .success(reply: "OK")
                    } else if first == 0xFF {
                        let code = body.integer(at: 1, as: UInt16.self, endianness: .little).map { String($0) }
                        outcome = .failure(reply: code ?? "ERR")
                    } else {
                        // Auth switch or more data: the exchange goes on beyond what is read here.
                        outcome = .unknown
                    }
                    logins.resolve(outcome, replyPacket: number, into: &events)
                    done = true
                }
            }
        } else {
            client.feed(bytes) { body in
                guard !tls, !done, !logins.isWaiting(), scramble != nil else { return }
                response(body, packet: number, time: time, into: &events)
            }
        }
    }

    private func greeting(_ body: UnsafeRawBufferPointer) {
        var cursor = ByteCursor(body)
        guard cursor.readByte() == 10, cursor.readUntil(0) != nil else {  // protocol 10, server version
            done = true
            return
        }
        guard cursor.skip(4), let first = cursor.readBytes(8), cursor.skip(1 + 2 + 1 + 2 + 2),  // thread id, …
            let saltLength = cursor.readByte(), cursor.skip(10)
        else { return }
        var salt = Array(first)
        if let rest = cursor.readBytes(max(13, Int(saltLength) - 8)) {
            salt += rest.prefix { $0 != 0 }
            if let name = cursor.readUntil(0) { plugin = name.text }
        }
        scramble = salt
    }

    private func response(_ body: UnsafeRawBufferPointer, packet: Int, time: Timestamp, into events: inout [Event]) {
        var cursor = ByteCursor(body)
        guard body.count >= 32, let capabilities = cursor.readInteger(as: UInt32.self, endianness: .little) else {
            return
        }
        if capabilities & 0x800 != 0 && body.count == 32 {
            tls = true  // SSL request: TLS follows
            return
        }
        cursor.move(to: 32)
        guard let user = cursor.readUntil(0)?.text else { return }
        var response: [UInt8] = []
        if capabilities & 0x0020_0000 != 0 || capabilities & 0x8000 != 0, let length = cursor.readByte() {
            // lenenc for lengths under 251, as auth responses are
            guard length < 251, let value = cursor.readBytes(Int(length)) else { return }
            response = Array(value)
        } else if let value = cursor.readUntil(0) {
            response = Array(value)
        }
        guard !response.isEmpty, let salt = scramble else { return }
        logins.begin(
            PendingLogin(
                protocolName: .mysql, user: user,
                secret: Array("$mysqlna$\(salt.hexString)*\(response.hexString)".utf8), kind: .hash, packets: [packet],
                time: time, attributes: [CredentialAttribute("plugin", plugin)]),
            into: &events)
    }

    func gap(on side: Side) { done = true }

    func finish(into events: inout [Event]) { logins.flush(into: &events) }
}
