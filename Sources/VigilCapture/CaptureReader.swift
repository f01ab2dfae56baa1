public import VigilCore

/// Reads a capture file with libpcap and turns its traffic into events.
///
/// Streaming: packets are decoded one at a time and events are handed to the caller as soon as
/// they are complete, so memory depends on the number of open connections (bounded by
/// ``CaptureLimits``), not on the size of the file.
public struct CaptureReader: Sendable {
    public var limits: CaptureLimits

    /// A reader within `limits`.
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
        return try read(origin: InputOrigin.named(path), format: format, displayPath: name, handler: handler)
    }

    /// Reads an input examined before (see ``InputOrigin``) whose magic says `format`.
    public func read(
        origin: InputOrigin, format: CaptureFormat, displayPath name: String, handler: (Event) throws -> Void
    ) throws -> Outcome {
        let path = origin.filePath
        let file = try PcapFile(origin: origin, displayPath: name, format: format)
        var input = InputReport(path: name, kind: format.rawValue, packets: 0)
        let shards = max(1, min(limits.analysisThreads, 8))
        let front = PacketAnalyzer(path: name, limits: limits, shard: 0, of: shards)
        let analyzers = (0..<shards).map {
            PacketAnalyzer(path: name, limits: limits, shard: $0, of: shards, observesDevices: false)
        }
        var events: [Event] = []
        var stop: VigilError?
        var mixed = false
        let pipeline = PacketPipeline(file: file, front: front, consumers: shards)
        pipeline.start()
        defer {
            pipeline.cancel()
            pipeline.join()
        }
        for shard in 1..<shards {
            let worker = UncheckedBox(analyzers[shard])
            pipeline.spawn("vigil-shard-\(shard)") {
                while let batch = pipeline.next(for: shard) {
                    batch.analyse(with: worker.value, shard: shard)
                    let finished = batch.finished
                    pipeline.done(batch)
                    if finished { return }
                }
            }
        }
        var end: PcapFile.End?
        while let batch = pipeline.next(for: 0) {
            batch.analyse(with: analyzers[0], shard: 0)
            guard pipeline.awaitOthers(batch) else { break }
            for event in batch.merged() { try handler(event) }
            let finished = batch.finished
            end = batch.end
            pipeline.done(batch)
            if finished { break }
        }
        pipeline.join()
        let analysed = file.packetCount
        switch end {
        case nil:
            break
        case .truncated(let message, let offset):
            input.warnings.append(
                "truncated capture: the record after packet \(analysed)"
                    + (offset.map { " (at offset \($0))" } ?? "") + " is incomplete (\(message))")
        case .corrupt(let message, _) where format == .pcapng && message.contains("different from the type"):
            // libpcap cannot mix link types in one section; read on with our own reader, after
            // the packets libpcap already delivered.
            do {
                guard let path else {
                    throw VigilError(
                        .unreadable, path: name,
                        reason:
                            "its interfaces have different link types, which only a file (not a stream) can be read past"
                    )
                }
                try readMixedLinkTypes(
                    path: path, name: name, skip: analysed, front: front, analyzers: analyzers, input: &input,
                    stop: &stop,
                    handler: handler)
            } catch let error as VigilError {
                stop = error
            }
            mixed = true
        case .corrupt(let message, let offset):
            stop = VigilError(
                .corrupt, path: name, position: offset.map { .offset($0) },
                reason: "corrupt record after packet \(analysed): \(message)",
                hint: "the packets before it were analysed")
        }
        for shard in analyzers { shard.finishConnections(into: &events) }
        for shard in analyzers { shard.finishDatagrams(into: &events) }
        front.finishDevices(into: &events)
        input.warnings += front.finishWarnings()
        for shard in analyzers { input.warnings += shard.finishWarnings() }
        for event in events { try handler(event) }
        if !mixed { input.packets = analysed }
        return Outcome(input: input, error: stop)
    }

    /// Hands a value that is not `Sendable` to one other thread, which alone uses it from then on.
    private struct UncheckedBox<Value>: @unchecked Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    /// Reads a pcapng file whose interfaces have different link types with ``PcapngReader``,
    /// skipping the first `skip` packets (already analysed).
    private func readMixedLinkTypes(
        path: String, name: String, skip: Int, front: PacketAnalyzer, analyzers: [PacketAnalyzer],
        input: inout InputReport,
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
                var frame = DecodedFrame(linkPayload: bytes)
                let shard = front.observe(
                    bytes, linkType: packet.linkType, number: packet.number, time: packet.time, frame: &frame,
                    into: &events)
                if let shard {
                    analyzers[shard].process(
                        segment: frame.transport, fragment: frame.fragment, sourceMAC: frame.sourceMAC,
                        number: packet.number, time: packet.time, into: &events)
                }
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
