internal import VigilCore

/// Everything that happens to one packet, whether it came from a file or an interface:
/// decoding, device sightings, IPv4 reassembly, TCP reassembly and dissection, UDP dissection.
///
/// Several analyzers can share one capture, each on its own thread: each takes the IP traffic
/// of one shard of the address pairs (so both directions of a connection, and every fragment of
/// a datagram, meet in the same analyzer), while another, the front end, watches every frame
/// for devices and tells which shard its traffic belongs to (``observe(_:linkType:number:time:into:)``).
///
/// Not `Sendable`: one analyzer per input (or shard), fed from one thread.
final class PacketAnalyzer {
    private let flows: FlowTable
    private let devices: DeviceObserver
    private let udp: DatagramDispatcher
    private let fragments = FragmentReassembler()
    private var linkTypeWarned: Set<Int32> = []
    private(set) var warnings: [String] = []
    private let shard: UInt64
    private let shards: UInt64
    private let observesDevices: Bool

    /// An analyzer for shard `shard` of `shards` (by default the only one), watching frames for
    /// devices too unless a front end does.
    init(path: String, limits: CaptureLimits, shard: Int = 0, of shards: Int = 1, observesDevices: Bool = true) {
        var shardLimits = limits
        shardLimits.maxFlows = max(1, limits.maxFlows / shards)
        flows = FlowTable(path: path, limits: shardLimits)
        devices = DeviceObserver(path: path)
        udp = DatagramDispatcher(path: path, devices: devices)
        self.shard = UInt64(shard)
        self.shards = UInt64(shards)
        self.observesDevices = observesDevices
    }

    /// The front end's part: decodes one frame into `frame` and watches it for devices;
    /// returns the shard its IP traffic belongs to (`nil` when it holds none: ARP, LLDP, an
    /// unknown link type), for that shard's ``process(segment:fragment:sourceMAC:number:time:into:)``.
    func observe(
        _ bytes: UnsafeRawBufferPointer, linkType: Int32, number: Int, time: Timestamp, frame: inout DecodedFrame,
        into events: inout [Event]
    ) -> Int? {
        guard supported(linkType) else { return nil }
        guard PacketDecoder.decodeFrame(bytes, linkType: linkType, into: &frame) else { return nil }
        devices.observe(frame, packet: number, time: time, into: &events)
        return Self.shard(of: frame, among: shards).map { Int($0) }
    }

    private func supported(_ linkType: Int32) -> Bool {
        guard LinkType.isSupported(linkType) else {
            if linkTypeWarned.insert(linkType).inserted {
                warnings.append("link type \(linkType) is not decoded: its packets were counted but not analysed")
            }
            return false
        }
        return true
    }

    @inline(__always)
    private static func shard(of frame: DecodedFrame, among shards: UInt64) -> UInt64? {
        if let segment = frame.transport { return shard(segment.source, segment.destination, of: shards) }
        if let fragment = frame.fragment { return shard(fragment.key.source, fragment.key.destination, of: shards) }
        return nil
    }

    /// The shard an IP address pair belongs to: the same whichever way the packet travels,
    /// and the same from run to run (so are the reports).
    @inline(__always)
    static func shard(_ a: IPAddress, _ b: IPAddress, of shards: UInt64) -> UInt64 {
        let (first, second) = a < b ? (a, b) : (b, a)
        let hash = mixHash(mixHash(mixHash(mixHash(0x5BD1_E995, first.low), first.high), second.low), second.high)
        return hash % shards
    }

    /// Analyses one packet captured with `linkType`; appends the events it completes.
    func analyse(
        _ bytes: UnsafeRawBufferPointer, linkType: Int32, number: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard supported(linkType) else { return }
        var frame = DecodedFrame(linkPayload: bytes)
        guard PacketDecoder.decodeFrame(bytes, linkType: linkType, into: &frame) else { return }
        if observesDevices { devices.observe(frame, packet: number, time: time, into: &events) }
        if shards > 1 {
            guard Self.shard(of: frame, among: shards) == shard else { return }
        }
        process(
            segment: frame.transport, fragment: frame.fragment, sourceMAC: frame.sourceMAC, number: number, time: time,
            into: &events)
    }

    /// The shard's part, for a packet the front end decoded: a TCP or UDP segment, or a piece
    /// of a fragmented IPv4 datagram (reassembled here).
    func process(
        segment: TransportPacket?, fragment: IPv4Fragment?, sourceMAC: MACAddress?, number: Int, time: Timestamp,
        into events: inout [Event]
    ) {
        if let segment {
            dispatch(segment, sourceMAC: sourceMAC, number: number, time: time, into: &events)
        } else if let fragment, let whole = fragments.add(fragment, time: time) {
            whole.withUnsafeBytes { bytes in
                let key = fragment.key
                if let segment = PacketDecoder.transport(
                    protocol: key.ipProtocol, source: key.source, destination: key.destination, bytes)
                {
                    dispatch(segment, sourceMAC: sourceMAC, number: number, time: time, into: &events)
                }
            }
        }
    }

    private func dispatch(
        _ segment: TransportPacket, sourceMAC: MACAddress?, number: Int, time: Timestamp, into events: inout [Event]
    ) {
        switch segment.ipProtocol {
        case 6: flows.process(segment, packet: number, time: time, into: &events)
        case 17: udp.process(segment, sourceMAC: sourceMAC, packet: number, time: time, into: &events)
        default: break
        }
    }

    /// Ends every open connection and pending exchange; returns the warnings gathered.
    func finish(into events: inout [Event]) -> [String] {
        finishConnections(into: &events)
        finishDatagrams(into: &events)
        finishDevices(into: &events)
        return finishWarnings()
    }

    /// Ends every open TCP connection (the first part of ``finish(into:)``).
    func finishConnections(into events: inout [Event]) { flows.finishAll(into: &events) }

    /// Reports pending UDP exchanges (SNMP requests never answered).
    func finishDatagrams(into events: inout [Event]) { udp.finish(into: &events) }

    /// Reports the last sighting of each device pair.
    func finishDevices(into events: inout [Event]) { devices.finish(into: &events) }

    /// The warnings gathered.
    func finishWarnings() -> [String] {
        var all = warnings + flows.warnings
        if fragments.dropped > 0 {
            all.append("\(fragments.dropped) fragmented IPv4 datagram(s) could not be reassembled")
        }
        return all
    }
}
