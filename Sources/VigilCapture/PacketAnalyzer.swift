internal import VigilCore

/// Everything that happens to one packet, whether it came from a file or an interface:
/// decoding, device sightings, IPv4 reassembly, TCP reassembly and dissection, UDP dissection.
///
/// Not `Sendable`: one analyzer per input, fed from one task.
final class PacketAnalyzer {
    private let flows: FlowTable
    private let devices: DeviceObserver
    private let udp: UDPAnalyzer
    private let fragments = FragmentReassembler()
    private var linkTypeWarned: Set<Int32> = []
    private(set) var warnings: [String] = []

    init(path: String, limits: CaptureLimits) {
        flows = FlowTable(path: path, limits: limits)
        devices = DeviceObserver(path: path)
        udp = UDPAnalyzer(path: path, devices: devices)
    }

    /// Analyses one packet captured with `linkType`; appends the events it completes.
    func analyse(
        _ bytes: UnsafeRawBufferPointer, linkType: Int32, number: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard LinkType.isSupported(linkType) else {
            if linkTypeWarned.insert(linkType).inserted {
                warnings.append("link type \(linkType) is not decoded: its packets were counted but not analysed")
            }
            return
        }
        guard let frame = PacketDecoder.decodeFrame(bytes, linkType: linkType) else { return }
        devices.observe(frame, packet: number, time: time, into: &events)
        if let segment = frame.transport {
            dispatch(segment, frame: frame, number: number, time: time, into: &events)
        } else if let fragment = frame.fragment, let whole = fragments.add(fragment, time: time) {
            whole.withUnsafeBytes { bytes in
                let key = fragment.key
                if let segment = PacketDecoder.transport(
                    protocol: key.ipProtocol, source: key.source, destination: key.destination, bytes)
                {
                    dispatch(segment, frame: frame, number: number, time: time, into: &events)
                }
            }
        }
    }

    private func dispatch(
        _ segment: TransportPacket, frame: DecodedFrame, number: Int, time: Timestamp, into events: inout [Event]
    ) {
        switch segment.ipProtocol {
        case 6: flows.process(segment, packet: number, time: time, into: &events)
        case 17: udp.process(segment, frame: frame, packet: number, time: time, into: &events)
        default: break
        }
    }

    /// Ends every open connection and pending exchange; returns the warnings gathered.
    func finish(into events: inout [Event]) -> [String] {
        flows.finishAll(into: &events)
        udp.finish(into: &events)
        devices.finish(into: &events)
        var all = warnings + flows.warnings
        if fragments.dropped > 0 {
            all.append("\(fragments.dropped) fragmented IPv4 datagram(s) could not be reassembled")
        }
        return all
    }
}
