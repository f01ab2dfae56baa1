internal import Foundation
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
    /// Threads that analyse a capture file's traffic, each a shard of the address pairs, on top
    /// of the thread that reads the file and watches for devices. Defaults to one less than the
    /// processor count (at least 1, at most 4). Findings are the same whatever the count.
    public var analysisThreads: Int = max(1, min(4, WorkerPool.processors - 1))

    /// Limits on what a capture may cost (defaults documented in docs/HARDENING.md).
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
struct FlowKey: Hashable, PacketKey {
    var a: FlowEndpoint
    var b: FlowEndpoint

    @inline(__always)
    func packetHash(_ seed: UInt64) -> UInt64 {
        let ports = UInt64(a.port) << 32 | UInt64(b.port) << 16 | (a.address.isV4 ? 1 : 0)
        let low = mixHash(mixHash(mixHash(seed, ports), a.address.low), b.address.low)
        return a.address.isV4 ? low : mixHash(mixHash(low, a.address.high), b.address.high)
    }

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
    /// Order of creation, to break ties between connections last seen at the same instant.
    let serial: Int

    init(key: FlowKey, clientIsA: Bool, time: Timestamp, serial: Int) {
        self.key = key
        self.serial = serial
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
    private var flows = PacketMap<FlowKey, TCPFlow>()
    private let limits: CaptureLimits
    private let path: String
    private let input: InputID
    private var lastSweep: Timestamp?
    private(set) var warnings: [String] = []
    private var tableFullWarned = false
    /// When the table was last found full with nothing to free: until a second of capture time
    /// has passed, new connections are refused at once rather than re-scanning the whole table.
    private var fullSince: Timestamp?
    private var overflowWarned = false
    private var created = 0

    init(path: String, limits: CaptureLimits) {
        self.path = path
        input = InputID(path: path)
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
            created += 1
            flow = TCPFlow(key: key, clientIsA: Self.sourceIsClient(segment) == fromA, time: time, serial: created)
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
        let open = flows.allValues.sorted { ($0.lastSeen, $0.serial) < ($1.lastSeen, $1.serial) }
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
            if chunks.isEmpty {
                // The usual case: the first bytes of the connection decide, probed where they lie.
                let empty = UnsafeRawBufferPointer(start: nil, count: 0)
                let first = bytes.slice(0, limits.probeBytes)
                let verdict = recognise(
                    flow, a: fromA ? first : empty, b: fromA ? empty : first, firstFromA: fromA,
                    exhausted: false)
                switch verdict {
                case .reading(let session):
                    session.receive(bytes, from: flow.side(fromA: fromA), packet: packet, time: time, into: &events)
                    return
                case .ignored:
                    return
                case .probing:
                    break
                }
            }
            let room = limits.probeBytes - (fromA ? aBytes : bBytes)
            guard room > 0 else { return }
            let kept = Array(bytes.prefix(room))
            chunks.append((fromA, kept, packet, time))
            if fromA { aBytes += kept.count } else { bBytes += kept.count }
            flow.reader = .probing(chunks: chunks, aBytes: aBytes, bBytes: bBytes)
            guard chunks.count > 1 else { return }  // the one chunk was just probed
            var aData: [UInt8] = []
            var bData: [UInt8] = []
            for chunk in chunks {
                if chunk.fromA { aData += chunk.bytes } else { bData += chunk.bytes }
            }
            let exhausted = aBytes >= limits.probeBytes && bBytes >= limits.probeBytes
            let verdict = aData.withUnsafeBytes { a in
                bData.withUnsafeBytes { b in
                    recognise(flow, a: a, b: b, firstFromA: chunks[0].fromA, exhausted: exhausted)
                }
            }
            if case .reading(let session) = verdict {
                // The earlier chunks from their copies, the last one whole (its copy may be cut
                // at the probing limit).
                for chunk in chunks.dropLast() {
                    chunk.bytes.withUnsafeBytes { buffer in
                        session.receive(
                            buffer, from: flow.side(fromA: chunk.fromA), packet: chunk.packet, time: chunk.time,
                            into: &events)
                    }
                }
                session.receive(bytes, from: flow.side(fromA: fromA), packet: packet, time: time, into: &events)
            }
        }
    }

    /// Asks every dissector about the first bytes of each direction (`a` from endpoint A, `b`
    /// from B). On a verdict, sets the flow's reader (a new session, not yet fed, or ignored)
    /// and returns it; `.probing` when more bytes are needed (the reader is left as it is).
    private func recognise(
        _ flow: TCPFlow, a: UnsafeRawBufferPointer, b: UnsafeRawBufferPointer, firstFromA: Bool, exhausted: Bool
    ) -> TCPFlow.Reader {
        let input = ProbeInput(
            client: flow.clientIsA ? a : b, server: flow.clientIsA ? b : a,
            clientPort: flow.client.port, serverPort: flow.server.port,
            firstSpeaker: flow.side(fromA: firstFromA))
        var undecided = false
        for dissector in DissectorRegistry.tcp {
            switch dissector.probe(input) {
            case .no:
                continue
            case .undecided:
                undecided = true
            case .yes(let swap):
                if swap { flow.clientIsA.toggle() }
                let context = FlowContext(input: self.input, client: flow.client, server: flow.server)
                flow.reader = .reading(dissector.makeSession(context))
                return flow.reader
            }
        }
        guard !undecided || exhausted else { return .probing(chunks: [], aBytes: 0, bBytes: 0) }
        flow.reader = .ignored
        return .ignored
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
        let stale = flows.allValues.filter { $0.lastSeen.nanoseconds < cutoff }.sorted {
            ($0.lastSeen, $0.serial) < ($1.lastSeen, $1.serial)
        }
        for flow in stale { close(flow, into: &events) }
    }

    /// Makes space for one more flow: first by dropping unrecognised ones, then idle ones.
    private func makeRoom(_ now: Timestamp, into events: inout [Event]) -> Bool {
        guard flows.count >= limits.maxFlows else { return true }
        if let since = fullSince, now.nanoseconds - since.nanoseconds < 1_000_000_000 { return false }
        flows.removeAll { if case .ignored = $0.reader { true } else { false } }
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
