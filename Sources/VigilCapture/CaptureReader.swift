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
        let analyzer = PacketAnalyzer(path: name, limits: limits)
        var events: [Event] = []
        var stop: VigilError?
        var mixed = false
        while !mixed {
            let packet: RawPacket?
            do {
                packet = try file.next()
            } catch {
                switch error {
                case .truncated(let message, let offset):
                    input.warnings.append(
                        "truncated capture: the record after packet \(file.packetCount)"
                            + (offset.map { " (at offset \($0))" } ?? "") + " is incomplete (\(message))")
                case .corrupt(let message, _) where format == .pcapng && message.contains("different from the type"):
                    // libpcap cannot mix link types in one section; read on with our own reader,
                    // after the packets libpcap already delivered.
                    do {
                        try readMixedLinkTypes(
                            path: path, name: name, skip: file.packetCount, analyzer: analyzer, input: &input,
                            stop: &stop, handler: handler)
                    } catch let error as VigilError {
                        stop = error
                    }
                    mixed = true
                case .corrupt(let message, let offset):
                    stop = VigilError(
                        .corrupt, path: name, position: offset.map { .offset($0) },
                        reason: "corrupt record after packet \(file.packetCount): \(message)",
                        hint: "the packets before it were analysed")
                }
                break
            }
            guard let packet else { break }
            analyzer.analyse(
                packet.bytes, linkType: file.linkType, number: packet.number, time: packet.time, into: &events)
            if !events.isEmpty {
                for event in events { try handler(event) }
                events.removeAll(keepingCapacity: true)
            }
        }
        input.warnings += analyzer.finish(into: &events)
        for event in events { try handler(event) }
        if !mixed { input.packets = file.packetCount }
        return Outcome(input: input, error: stop)
    }

    /// Reads a pcapng file whose interfaces have different link types with ``PcapngReader``,
    /// skipping the first `skip` packets (already analysed).
    private func readMixedLinkTypes(
        path: String, name: String, skip: Int, analyzer: PacketAnalyzer, input: inout InputReport,
        stop: inout VigilError?, handler: (Event) throws -> Void
    ) throws {
        guard let reader = PcapngReader(path: path) else {
            throw VigilError(.unreadable, path: name, reason: "cannot reopen the file")
        }
        var events: [Event] = []
        var linkTypes: Set<Int32> = []
        while true {
            let packet: PcapngReader.Packet?
            do {
                packet = try reader.next()
            } catch {
                switch error {
                case .truncated(let offset):
                    input.warnings.append(
                        "truncated capture: the block after packet \(reader.packetCount) (at offset \(offset)) is incomplete"
                    )
                case .corrupt(let message, let offset):
                    stop = VigilError(
                        .corrupt, path: name, position: .offset(offset),
                        reason: "corrupt block after packet \(reader.packetCount): \(message)",
                        hint: "the packets before it were analysed")
                }
                break
            }
            guard let packet else { break }
            linkTypes.insert(packet.linkType)
            guard packet.number > skip else { continue }
            packet.bytes.withUnsafeBytes { bytes in
                analyzer.analyse(
                    bytes, linkType: packet.linkType, number: packet.number, time: packet.time, into: &events)
            }
            for event in events { try handler(event) }
            events.removeAll(keepingCapacity: true)
        }
        input.packets = reader.packetCount
        input.warnings.append(
            "interfaces with different link types (\(linkTypes.sorted().map(String.init).joined(separator: ", "))): "
                + "read with Vigil's own pcapng reader, which libpcap 1.10 cannot do")
    }
}
