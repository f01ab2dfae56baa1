public import VigilCore

/// Reads a capture file with libpcap and turns its traffic into events.
///
/// Streaming: packets are decoded one at a time and events are handed to the caller as soon as
/// they are complete, so memory depends on the number of open connections (bounded by
/// ``CaptureLimits``), not on the size of the file.
public struct CaptureReader: Sendable {
    public var limits: CaptureLimits

    public init(limits: CaptureLimits = CaptureLimits()) { self.limits = limits }

    /// What reading a capture produced.
    public struct Outcome: Sendable {
        /// The input's entry for the report, with any warnings.
        public var input: InputReport
        /// A problem that stopped the reading early; what came before it was still analysed.
        public var error: VigilError?
    }

    /// Reads `path` (named `displayPath` in messages and evidence) and calls `handler` with each
    /// event in the order it completes.
    ///
    /// - Throws: ``VigilError`` when the file cannot be opened or is not a capture at all; a
    ///   capture that breaks off part-way is not thrown but reported in ``Outcome``.
    public func read(
        path: String, displayPath: String? = nil, handler: (Event) throws -> Void
    ) throws -> Outcome {
        let name = displayPath ?? path
        guard let format = CaptureFormat.detect(path: path) else {
            throw VigilError(
                .unrecognised, path: name, position: .offset(0),
                reason: "not a pcap or pcapng capture (no capture magic number in the first 4 bytes)")
        }
        let file = try PcapFile(path: path, displayPath: name, format: format)
        var input = InputReport(path: name, kind: format.rawValue, packets: 0)
        if !LinkType.isSupported(file.linkType) {
            input.warnings.append(
                "link type \(file.linkType) is not decoded yet: packets were counted but not analysed")
        }
        let flows = FlowTable(path: name, limits: limits)
        let devices = DeviceObserver(path: name)
        let udp = UDPAnalyzer(path: name, devices: devices)
        let fragments = FragmentReassembler()
        var events: [Event] = []
        var stop: VigilError?
        let decodes = LinkType.isSupported(file.linkType)
        while true {
            let packet: RawPacket?
            do {
                packet = try file.next()
            } catch {
                switch error {
                case .truncated(let message, let offset):
                    input.warnings.append(
                        "truncated capture: the record after packet \(file.packetCount)"
                            + (offset.map { " (at offset \($0))" } ?? "") + " is incomplete (\(message))")
                case .corrupt(let message, let offset):
                    stop = VigilError(
                        .corrupt, path: name, position: offset.map { .offset($0) },
                        reason: "corrupt record after packet \(file.packetCount): \(message)",
                        hint: "the packets before it were analysed")
                }
                break
            }
            guard let packet else { break }
            guard decodes, let frame = PacketDecoder.decodeFrame(packet.bytes, linkType: file.linkType) else {
                continue
            }
            devices.observe(frame, packet: packet.number, time: packet.time, into: &events)
            if let segment = frame.transport {
                dispatch(segment, frame: frame, packet: packet, flows: flows, udp: udp, into: &events)
            } else if let fragment = frame.fragment,
                let whole = fragments.add(fragment, time: packet.time)
            {
                whole.withUnsafeBytes { bytes in
                    let key = fragment.key
                    if let segment = PacketDecoder.transport(
                        protocol: key.ipProtocol, source: key.source, destination: key.destination, bytes)
                    {
                        dispatch(segment, frame: frame, packet: packet, flows: flows, udp: udp, into: &events)
                    }
                }
            }
            if !events.isEmpty {
                for event in events { try handler(event) }
                events.removeAll(keepingCapacity: true)
            }
        }
        flows.finishAll(into: &events)
        udp.finish(into: &events)
        devices.finish(into: &events)
        for event in events { try handler(event) }
        if fragments.dropped > 0 {
            input.warnings.append("\(fragments.dropped) fragmented IPv4 datagram(s) could not be reassembled")
        }
        input.packets = file.packetCount
        input.warnings += flows.warnings
        return Outcome(input: input, error: stop)
    }

    private func dispatch(
        _ segment: TransportPacket, frame: DecodedFrame, packet: RawPacket, flows: FlowTable, udp: UDPAnalyzer,
        into events: inout [Event]
    ) {
        switch segment.ipProtocol {
        case 6: flows.process(segment, packet: packet.number, time: packet.time, into: &events)
        case 17: udp.process(segment, frame: frame, packet: packet.number, time: packet.time, into: &events)
        default: break
        }
    }
}
