internal import VigilCore

/// Kerberos, read from TCP (each message behind a 4-byte big-endian length) and from UDP (a
/// message per datagram, on port 88), as Zeek's `krb` analyzer registers both forms. Either way
/// an AS-REQ waits for the KDC's answer, which gives its outcome; a TGS-REP is reported at once.
enum KerberosDissector: TCPDissector, UDPDissector {
    static let name = "kerberos"
    static let port: UInt16 = 88

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        func message(_ bytes: UnsafeRawBufferPointer) -> Bool {
            bytes.count >= 6 && bytes[0] == 0 && [0x6A, 0x6B, 0x6C, 0x6D, 0x7E].contains(bytes[4])
        }
        if message(input.client) { return .yes(swapSides: input.client[4] == 0x6B || input.client[4] == 0x6D) }
        if message(input.server) { return .yes(swapSides: input.server[4] == 0x6A || input.server[4] == 0x6C) }
        return input.client.count >= 6 || input.server.count >= 6 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { KerberosSession(context: context) }

    static func makeSession(_ context: CaptureContext) -> any DatagramSession { KerberosDatagrams(path: context.path) }
}

/// AS-REQs awaiting the KDC's answer, keyed by whatever tells exchanges apart (nothing on one TCP
/// connection; the client's address and port and the KDC on UDP). At most `limit` wait; past
/// it the oldest is reported with outcome `unknown`.
struct KerberosRequests<Key: Hashable> {
    private var pending: [Key: (finding: Kerberos.Finding, context: FlowContext, packet: Int, time: Timestamp)] = [:]
    private var order: [Key] = []
    let limit: Int

    init(limit: Int) { self.limit = limit }

    /// Reads one message `from` a side of the exchange keyed `key`.
    mutating func read(
        _ message: UnsafeRawBufferPointer, fromKDC: Bool, key: Key, context: FlowContext, packet: Int, time: Timestamp,
        into events: inout [Event]
    ) {
        if fromKDC, let outcome = Kerberos.outcome(ofReply: message), let request = pending.removeValue(forKey: key) {
            order.removeAll { $0 == key }
            events.append(
                Kerberos.event(
                    request.finding, context: request.context, packet: request.packet, time: request.time,
                    outcome: outcome, replyPacket: packet))
        }
        guard let finding = Kerberos.parse(message) else { return }
        guard !fromKDC, finding.requestedBy == nil else {
            events.append(Kerberos.event(finding, context: context, packet: packet, time: time))
            return
        }
        flush(key, into: &events)  // a retry replaces the request before it
        if order.count >= limit, let oldest = order.first { flush(oldest, into: &events) }
        pending[key] = (finding, context, packet, time)
        order.append(key)
    }

    private mutating func flush(_ key: Key, into events: inout [Event]) {
        guard let request = pending.removeValue(forKey: key) else { return }
        order.removeAll { $0 == key }
        events.append(
            Kerberos.event(request.finding, context: request.context, packet: request.packet, time: request.time))
    }

    /// Reports every request still unanswered.
    mutating func finish(into events: inout [Event]) {
        for key in order { flush(key, into: &events) }
    }
}

/// Kerberos on one TCP connection.
final class KerberosSession: TCPSession {
    private let context: FlowContext
    private var streams: [Side: FramedStream<LengthPrefixedDecoder>] = [
        .client: KerberosSession.messages(), .server: KerberosSession.messages(),
    ]
    private var requests = KerberosRequests<Int>(limit: 1)

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        streams[side]?.feed(bytes) { message in
            requests.read(
                message, fromKDC: side == .server, key: 0, context: context, packet: packet, time: time, into: &events)
        }
    }

    /// Messages behind a 4-byte big-endian length.
    private static func messages() -> FramedStream<LengthPrefixedDecoder> {
        FramedStream(LengthPrefixedDecoder(lengthAt: 0, width: 4, countsFrom: 4, frameStart: 4))
    }

    func gap(on side: Side) { streams[side]?.stop() }

    func finish(into events: inout [Event]) { requests.finish(into: &events) }
}

/// Kerberos over UDP, for a whole capture.
final class KerberosDatagrams: DatagramSession {
    private struct Key: Hashable {
        var client: FlowEndpoint
        var kdc: IPAddress
    }

    private let path: String
    private let input: InputID
    private var requests = KerberosRequests<Key>(limit: 4096)

    init(path: String) {
        self.path = path
        input = InputID(path: path)
    }

    func receive(_ datagram: Datagram, into events: inout [Event]) -> Bool {
        guard datagram.uses(KerberosDissector.port) else { return false }
        let segment = datagram.packet
        let toKDC = segment.destinationPort == KerberosDissector.port
        let client = FlowEndpoint(
            address: toKDC ? segment.source : segment.destination,
            port: toKDC ? segment.sourcePort : segment.destinationPort)
        let kdc = toKDC ? segment.destination : segment.source
        let context = FlowContext(
            input: input, client: client, server: FlowEndpoint(address: kdc, port: KerberosDissector.port),
            transport: .udp)
        requests.read(
            datagram.payload, fromKDC: !toKDC, key: Key(client: client, kdc: kdc), context: context,
            packet: datagram.number, time: datagram.time, into: &events)
        return true
    }

    func finish(into events: inout [Event]) { requests.finish(into: &events) }
}
