internal import VigilCore

/// Bounds on what TCP reassembly may hold, so that memory does not grow with the capture.
public struct CaptureLimits: Sendable {
    /// Connections tracked at once; past it, idle ones are closed and then new ones are not followed.
    public var maxFlows: Int
    /// Out-of-order bytes held per direction before a hole is declared lost.
    public var maxHeldBytesPerDirection: Int
    /// Bytes each direction may send before some dissector recognises the protocol.
    public var probeBytes: Int
    /// A connection silent this long (capture time) is closed.
    public var idleTimeout: Int64

    public init(
        maxFlows: Int = 200_000, maxHeldBytesPerDirection: Int = 256 * 1024, probeBytes: Int = 2048,
        idleTimeoutSeconds: Int64 = 600
    ) {
        self.maxFlows = maxFlows
        self.maxHeldBytesPerDirection = maxHeldBytesPerDirection
        self.probeBytes = probeBytes
        self.idleTimeout = idleTimeoutSeconds * 1_000_000_000
    }
}

/// One end of a connection.
struct FlowEndpoint: Hashable {
    var address: IPAddress
    var port: UInt16

    var endpoint: Endpoint { Endpoint(ip: address.text, port: Int(port)) }
}

/// A connection's key, the same whichever way a packet travels: `a` is the lesser endpoint.
struct FlowKey: Hashable {
    var a: FlowEndpoint
    var b: FlowEndpoint

    init(_ x: FlowEndpoint, _ y: FlowEndpoint) {
        if (x.address, x.port) < (y.address, y.port) {
            a = x
            b = y
        } else {
            a = y
            b = x
        }
    }
}

/// A TCP connection being followed: its two reassembled directions and what reads them.
final class TCPFlow {
    enum Reader {
        /// No dissector has claimed it yet; the first bytes of each direction wait here, in order.
        case probing(chunks: [(fromA: Bool, bytes: [UInt8], packet: Int, time: Timestamp)], aBytes: Int, bBytes: Int)
        case reading(any TCPSession)
        /// No dissector wants it: its packets are counted but not reassembled.
        case ignored
    }

    let key: FlowKey
    /// Which endpoint is the client (the SYN's sender, else a guess a dissector may correct).
    var clientIsA: Bool
    var fromA = HalfStream()
    var fromB = HalfStream()
    var reader: Reader = .probing(chunks: [], aBytes: 0, bBytes: 0)
    var lastSeen: Timestamp

    init(key: FlowKey, clientIsA: Bool, time: Timestamp) {
        self.key = key
        self.clientIsA = clientIsA
        self.lastSeen = time
    }

    var client: FlowEndpoint { clientIsA ? key.a : key.b }
    var server: FlowEndpoint { clientIsA ? key.b : key.a }

    func side(fromA: Bool) -> Side { fromA == clientIsA ? .client : .server }
}

/// Follows every TCP connection of a capture, reassembles each direction and hands the bytes to
/// the dissector that recognises them, collecting the events they produce.
final class FlowTable {
    private var flows: [FlowKey: TCPFlow] = [:]
    private let limits: CaptureLimits
    private let path: String
    private var lastSweep: Timestamp?
    private(set) var warnings: [String] = []
    private var tableFullWarned = false
    /// When the table was last found full with nothing to free: until a second of capture time
    /// has passed, new connections are refused at once rather than re-scanning the whole table.
    private var fullSince: Timestamp?
    private var overflowWarned = false

    init(path: String, limits: CaptureLimits) {
        self.path = path
        self.limits = limits
    }

    var count: Int { flows.count }

    /// Takes one TCP segment; appends any events it completes.
    func process(_ segment: TransportPacket, packet: Int, time: Timestamp, into events: inout [Event]) {
        let source = FlowEndpoint(address: segment.source, port: segment.sourcePort)
        let destination = FlowEndpoint(address: segment.destination, port: segment.destinationPort)
        let key = FlowKey(source, destination)
        let fromA = key.a == source
        sweepIfDue(time, into: &events)

        let flow: TCPFlow
        if let existing = flows[key] {
            flow = existing
        } else {
            // Only a SYN or data opens a connection: the last ACK of one that just closed, or a
            // lone RST or FIN, must not bring it back.
            guard segment.tcpFlags & TCPFlag.syn != 0 || !segment.payload.isEmpty else { return }
            guard segment.tcpFlags & TCPFlag.rst == 0 else { return }
            guard makeRoom(time, into: &events) else { return }
            flow = TCPFlow(key: key, clientIsA: Self.sourceIsClient(segment) == fromA, time: time)
            flows[key] = flow
        }
        flow.lastSeen = time

        if case .ignored = flow.reader {
            // Not reassembled, but forgotten as soon as it ends so the table stays small.
            if segment.tcpFlags & TCPFlag.fin != 0 {
                if fromA { flow.fromA.closed = true } else { flow.fromB.closed = true }
            }
            if segment.tcpFlags & TCPFlag.rst != 0 || (flow.fromA.closed && flow.fromB.closed) { flows[key] = nil }
            return
        }

        let overflowed = accept(segment, fromA: fromA, flow: flow, packet: packet, time: time, into: &events)
        if overflowed && !overflowWarned {
            overflowWarned = true
            warnings.append(
                "packet \(packet): TCP \(flow.client.endpoint) -> \(flow.server.endpoint) held more than "
                    + "\(limits.maxHeldBytesPerDirection) bytes out of order; the missing bytes were skipped "
                    + "(further such cuts are not reported)")
        }
        let closed = segment.tcpFlags & TCPFlag.rst != 0 || (flow.fromA.closed && flow.fromB.closed)
        if closed { close(flow, into: &events) }
    }

    /// Ends every connection still open, at the end of the capture.
    func finishAll(into events: inout [Event]) {
        let open = flows.values.sorted { $0.lastSeen < $1.lastSeen }
        for flow in open { close(flow, into: &events) }
    }

    private func accept(
        _ segment: TransportPacket, fromA: Bool, flow: TCPFlow, packet: Int, time: Timestamp,
        into events: inout [Event]
    ) -> Bool {
        let deliver: (HalfStream.Output) -> Void = { output in
            self.deliver(output, fromA: fromA, flow: flow, into: &events)
        }
        if fromA {
            return flow.fromA.accept(
                sequence: segment.sequence, flags: segment.tcpFlags, payload: segment.payload, packet: packet,
                time: time, limit: limits.maxHeldBytesPerDirection, deliver: deliver)
        }
        return flow.fromB.accept(
            sequence: segment.sequence, flags: segment.tcpFlags, payload: segment.payload, packet: packet, time: time,
            limit: limits.maxHeldBytesPerDirection, deliver: deliver)
    }

    private func deliver(_ output: HalfStream.Output, fromA: Bool, flow: TCPFlow, into events: inout [Event]) {
        switch flow.reader {
        case .ignored:
            return
        case .reading(let session):
            switch output {
            case .data(let bytes, let packet, let time):
                session.receive(bytes, from: flow.side(fromA: fromA), packet: packet, time: time, into: &events)
            case .gap:
                session.gap(on: flow.side(fromA: fromA))
            }
        case .probing(var chunks, var aBytes, var bBytes):
            guard case .data(let bytes, let packet, let time) = output else {
                // A hole before recognition: the opening lines are gone, give up on this flow.
                flow.reader = .ignored
                return
            }
            let room = limits.probeBytes - (fromA ? aBytes : bBytes)
            guard room > 0 else { return }
            let kept = Array(bytes.prefix(room))
            chunks.append((fromA, kept, packet, time))
            if fromA { aBytes += kept.count } else { bBytes += kept.count }
            flow.reader = .probing(chunks: chunks, aBytes: aBytes, bBytes: bBytes)
            recognise(flow, into: &events)
        }
    }

    private func recognise(_ flow: TCPFlow, into events: inout [Event]) {
        guard case .probing(let chunks, let aBytes, let bBytes) = flow.reader else { return }
        var aData: [UInt8] = []
        var bData: [UInt8] = []
        for chunk in chunks {
            if chunk.fromA { aData += chunk.bytes } else { bData += chunk.bytes }
        }
        let input = ProbeInput(
            client: flow.clientIsA ? aData : bData, server: flow.clientIsA ? bData : aData,
            clientPort: flow.client.port, serverPort: flow.server.port,
            firstSpeaker: chunks.first.map { flow.side(fromA: $0.fromA) })
        var undecided = false
        for dissector in tcpDissectors {
            switch dissector.probe(input) {
            case .no:
                continue
            case .undecided:
                undecided = true
            case .yes(let swap):
                if swap { flow.clientIsA.toggle() }
                let context = FlowContext(path: path, client: flow.client.endpoint, server: flow.server.endpoint)
                let session = dissector.makeSession(context)
                flow.reader = .reading(session)
                chunks.forEach { chunk in
                    chunk.bytes.withUnsafeBytes { buffer in
                        session.receive(
                            buffer, from: flow.side(fromA: chunk.fromA), packet: chunk.packet, time: chunk.time,
                            into: &events)
                    }
                }
                return
            }
        }
        let exhausted = aBytes >= limits.probeBytes && bBytes >= limits.probeBytes
        if !undecided || exhausted { flow.reader = .ignored }
    }

    private func close(_ flow: TCPFlow, into events: inout [Event]) {
        let deliverA: (HalfStream.Output) -> Void = { self.deliver($0, fromA: true, flow: flow, into: &events) }
        flow.fromA.flush(deliver: deliverA)
        let deliverB: (HalfStream.Output) -> Void = { self.deliver($0, fromA: false, flow: flow, into: &events) }
        flow.fromB.flush(deliver: deliverB)
        if case .reading(let session) = flow.reader { session.finish(into: &events) }
        flow.reader = .ignored
        flows[flow.key] = nil
    }

    /// Closes connections idle for longer than the timeout, at most once a minute of capture time.
    private func sweepIfDue(_ now: Timestamp, into events: inout [Event]) {
        guard let last = lastSweep else {
            lastSweep = now
            return
        }
        guard now.nanoseconds - last.nanoseconds > 60_000_000_000 else { return }
        lastSweep = now
        sweep(olderThan: now.nanoseconds - limits.idleTimeout, into: &events)
    }

    private func sweep(olderThan cutoff: Int64, into events: inout [Event]) {
        let stale = flows.values.filter { $0.lastSeen.nanoseconds < cutoff }.sorted { $0.lastSeen < $1.lastSeen }
        for flow in stale { close(flow, into: &events) }
    }

    /// Makes space for one more flow: first by dropping unrecognised ones, then idle ones.
    private func makeRoom(_ now: Timestamp, into events: inout [Event]) -> Bool {
        guard flows.count >= limits.maxFlows else { return true }
        if let since = fullSince, now.nanoseconds - since.nanoseconds < 1_000_000_000 { return false }
        let ignored = flows.filter { if case .ignored = $0.value.reader { true } else { false } }
        for key in ignored.keys { flows[key] = nil }
        if flows.count >= limits.maxFlows { sweep(olderThan: now.nanoseconds - limits.idleTimeout / 10, into: &events) }
        if flows.count < limits.maxFlows {
            fullSince = nil
            return true
        }
        fullSince = now
        if !tableFullWarned {
            tableFullWarned = true
            warnings.append("flow table full (\(limits.maxFlows) connections): new connections were not followed")
        }
        return false
    }

    /// Whether the packet's sender opened the connection: the SYN's sender does; otherwise the
    /// end with the higher port is taken for the client (ephemeral ports are high).
    private static func sourceIsClient(_ segment: TransportPacket) -> Bool {
        let flags = segment.tcpFlags
        if flags & TCPFlag.syn != 0 { return flags & TCPFlag.ack == 0 }
        return segment.sourcePort >= segment.destinationPort
    }
}
