internal import VigilCore

/// LDAP (RFC 4511) simple binds on any port: the bind DN and password in clear, with the
/// server's result code (0 success, 49 invalid credentials). After a successful StartTLS the
/// connection is encrypted and reading stops.
enum LDAPDissector: TCPDissector {
    static let name = "ldap"
    static let ports: Set<UInt16> = [389, 3268]

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        switch message(input.client) {
        case .some(true): return .yes(swapSides: false)
        case .some(false): return .no
        case .none: break
        }
        if ports.contains(input.serverPort) && input.client.isEmpty { return .undecided }
        if message(input.server) == true && input.client.isEmpty { return .undecided }
        return input.client.count >= 2 ? .no : .undecided
    }

    /// Whether `bytes` start with an LDAPMessage (SEQUENCE, messageID INTEGER, an
    /// application-class operation); `nil` when too few bytes are there to tell.
    static func message(_ buffer: UnsafeRawBufferPointer) -> Bool? {
        guard buffer.count >= 7 else { return buffer.isEmpty || buffer[0] == 0x30 ? nil : false }
        guard buffer[0] == 0x30, let header = BERReader.header(buffer, at: 0) else { return false }
        var reader = BERReader(buffer, offset: header.header)
        guard reader.next(tag: 0x02) != nil, let op = BERReader.header(buffer, at: reader.offset) else {
            return false
        }
        return op.tag & 0xC0 == 0x40
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { LDAPSession(context: context) }
}

/// LDAPMessages: each a BER SEQUENCE, handed on as its content.
struct BERMessageDecoder: FrameDecoder {
    let limit = 1 << 20

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<UnsafeRawBufferPointer> {
        guard let header = BERReader.header(bytes, at: 0) else { return .needMore }
        let total = header.header + header.length
        guard header.tag == 0x30, total <= limit else { return .stop }
        guard bytes.count >= total else { return .needMore }
        return .frame(bytes.slice(header.header, total), consumed: total)
    }
}

/// One LDAP connection.
final class LDAPSession: TCPSession {
    private let context: FlowContext
    private var streams: [Side: FramedStream<BERMessageDecoder>] = [
        .client: FramedStream(BERMessageDecoder()), .server: FramedStream(BERMessageDecoder()),
    ]
    private var binds: [Int: (dn: String, password: [UInt8], packet: Int, time: Timestamp)] = [:]
    private var startTLS: Int?
    private var encrypted = false

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !encrypted else { return }
        streams[side]?.feed(bytes) { message in
            guard !encrypted else { return }
            handle(message, from: side, packet: packet, time: time, into: &events)
        }
    }

    private func handle(
        _ message: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        var reader = BERReader(message)
        guard let id = reader.next(tag: 0x02).flatMap({ BERReader.integer($0.value) }), let op = reader.next() else {
            return
        }
        switch (side, op.tag) {
        case (.client, 0x60):  // BindRequest
            var fields = BERReader(op.value)
            guard fields.next(tag: 0x02) != nil, let name = fields.next(tag: 0x04),
                let simple = fields.next(tag: 0x80), !simple.value.isEmpty
            else { return }  // SASL, or an unauthenticated bind with an empty password
            binds[id] = (String(decoding: name.value, as: UTF8.self), Array(simple.value), packet, time)
        case (.client, 0x77):  // ExtendedRequest: StartTLS?
            var fields = BERReader(op.value)
            if let oid = fields.next(tag: 0x80), String(decoding: oid.value, as: UTF8.self) == "1.3.6.1.4.1.1466.20037"
            {
                startTLS = id
            }
        case (.server, 0x61):  // BindResponse
            var fields = BERReader(op.value)
            guard let bind = binds.removeValue(forKey: id),
                let code = fields.next(tag: 0x0A).flatMap({ BERReader.integer($0.value) })
            else { return }
            let outcome: AuthOutcome = code == 0 ? .success(reply: "0") : .failure(reply: String(code))
            emit(bind, outcome: outcome, replyPacket: packet, into: &events)
        case (.server, 0x78) where id == startTLS:
            var fields = BERReader(op.value)
            if fields.next(tag: 0x0A).flatMap({ BERReader.integer($0.value) }) == 0 { encrypted = true }
        default:
            break
        }
    }

    private func emit(
        _ bind: (dn: String, password: [UInt8], packet: Int, time: Timestamp), outcome: AuthOutcome, replyPacket: Int?,
        into events: inout [Event]
    ) {
        let credential = context.credential(
            .ldap, user: bind.dn, secret: bind.password, outcome: outcome,
            packets: [bind.packet] + (replyPacket.map { [$0] } ?? []))
        events.append(context.credentialEvent(credential, time: bind.time, packet: bind.packet))
        events.append(context.cleartextLoginEvent("ldap", method: "simple", packet: bind.packet, time: bind.time))
    }

    func gap(on side: Side) { streams[side]?.stop() }

    func finish(into events: inout [Event]) {
        for (_, bind) in binds.sorted(by: { $0.value.packet < $1.value.packet }) {
            emit(bind, outcome: .unknown, replyPacket: nil, into: &events)
        }
        binds.removeAll()
    }
}
