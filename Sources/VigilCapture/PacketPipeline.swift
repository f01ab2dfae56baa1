internal import Foundation
internal import Synchronization
internal import VigilCore

/// Packets decoded on the reading thread, handed to the analysing ones: for each, its TCP or
/// UDP header fields (or its IPv4 fragment) and a copy of its payload only, in one block of
/// memory. Link and IP headers are read once and never copied; a packet without a payload (the
/// many handshakes and acknowledgements) costs no copy at all.
final class PacketBatch: @unchecked Sendable {
    /// One packet for a shard; its payload points into ``storage``.
    struct Record {
        var number: Int
        var time: Timestamp
        /// The shard of the traffic the packet belongs to.
        var shard: Int
        var sourceMAC: MACAddress?
        var segment: TransportPacket?
        var fragment: IPv4Fragment?
    }

    static let capacity = 1 << 20
    /// Packets per batch; smaller in tests, to cross batch boundaries with small captures.
    nonisolated(unsafe) static var maxRecords = 8192
    let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: PacketBatch.capacity, alignment: 16)
    var records: [Record] = []
    var used = 0
    /// Set on the last batch: how reading ended, `nil` at a clean end of file.
    var end: PcapFile.End?
    var finished = false

    /// What one consumer found, with the index of the record it was analysing at the time;
    /// written by that consumer's thread only.
    final class Found {
        var events: [(record: Int, event: Event)] = []
    }

    /// What the front end found (device sightings) first, then one ``Found`` per shard.
    let found: [Found]
    /// Consumers that have not finished with this batch yet.
    var pending = 0

    init(consumers: Int) {
        records.reserveCapacity(Self.maxRecords)
        found = (0...consumers).map { _ in Found() }
    }

    deinit { storage.deallocate() }

    /// Keeps `frame`'s segment or fragment for `shard`, with a copy of its payload; `false` when
    /// the batch has no room left. A payload bigger than a whole batch (libpcap allows 128 MiB
    /// for D-Bus) keeps its first 1 MiB.
    func append(_ frame: DecodedFrame, number: Int, time: Timestamp, shard: Int) -> Bool {
        guard records.count < Self.maxRecords else { return false }
        let payload = frame.transport?.payload ?? frame.fragment?.data ?? UnsafeRawBufferPointer(start: nil, count: 0)
        let length = min(payload.count, Self.capacity)
        guard used + length <= Self.capacity else { return false }
        let copy = UnsafeRawBufferPointer(rebasing: storage[used..<used + length])
        if length > 0 {
            UnsafeMutableRawBufferPointer(mutating: copy).copyMemory(
                from: UnsafeRawBufferPointer(rebasing: payload[0..<length]))
        }
        used += (length + 7) & ~7
        var record = Record(number: number, time: time, shard: shard, sourceMAC: frame.sourceMAC)
        if var segment = frame.transport {
            segment.payload = copy
            record.segment = segment
        } else if var fragment = frame.fragment {
            fragment.data = copy
            record.fragment = fragment
        }
        records.append(record)
        return true
    }

    func reset() {
        records.removeAll(keepingCapacity: true)
        used = 0
        end = nil
        finished = false
        for list in found { list.events.removeAll(keepingCapacity: true) }
    }

    /// Runs `analyzer` over the packets of shard `shard`, keeping what it finds in ``found``.
    func analyse(with analyzer: PacketAnalyzer, shard: Int) {
        var events: [Event] = []
        let list = found[shard + 1]
        for index in records.indices where records[index].shard == shard {
            let record = records[index]
            analyzer.process(
                segment: record.segment, fragment: record.fragment, sourceMAC: record.sourceMAC,
                number: record.number, time: record.time, into: &events)
            if !events.isEmpty {
                for event in events { list.events.append((index, event)) }
                events.removeAll(keepingCapacity: true)
            }
        }
    }

    /// Every event in the order one analyzer would have produced them: by the record being
    /// analysed when each was found, device sightings before the traffic's own events.
    func merged() -> [Event] {
        let lists = found.map(\.events)
        if lists.count == 1 { return lists[0].map(\.event) }
        var cursors = Array(repeating: 0, count: lists.count)
        var events: [Event] = []
        events.reserveCapacity(lists.reduce(0) { $0 + $1.count })
        while true {
            var best: Int?
            for consumer in lists.indices where cursors[consumer] < lists[consumer].count {
                let record = lists[consumer][cursors[consumer]].record
                if best.map({ record < lists[$0][cursors[$0]].record }) ?? true { best = consumer }
            }
            guard let consumer = best else { return events }
            events.append(lists[consumer][cursors[consumer]].event)
            cursors[consumer] += 1
        }
    }
}

/// Reads a capture with libpcap on a thread of its own and hands every batch of packets to
/// each of `consumers` analysing threads (one per shard of the traffic): on a machine with two
/// cores, reading and analysing overlap. At most ``depth`` batches of 1 MiB are in flight, so
/// memory stays bounded whatever the file's size.
final class PacketPipeline: @unchecked Sendable {
    static let depth = 6

    private let file: PcapFile
    private let front: PacketAnalyzer
    private let lock = NSCondition()
    private var free: [PacketBatch]
    /// Batches each consumer has yet to take, in file order.
    private var ready: [[PacketBatch]]
    private var cancelled = false
    private let threads = DispatchGroup()

    /// A pipeline reading `file`, where `front` (a ``PacketAnalyzer`` used on the reading
    /// thread only) watches for devices and sorts the traffic into `consumers` shards.
    init(file: PcapFile, front: PacketAnalyzer, consumers: Int) {
        self.file = file
        self.front = front
        free = (0..<Self.depth).map { _ in PacketBatch(consumers: consumers) }
        ready = Array(repeating: [], count: consumers)
    }

    /// Runs `body` on a new thread, counted by ``join()``.
    func spawn(_ name: String, _ body: @escaping @Sendable () -> Void) {
        threads.enter()
        let thread = Thread { [threads] in
            body()
            threads.leave()
        }
        thread.name = name
        thread.start()
    }

    /// Starts the reading thread.
    func start() {
        spawn("vigil-pcap-reader") { [self] in read() }
    }

    /// The next batch for `consumer`, in file order (its ``PacketBatch/finished`` flag marks
    /// the last), or `nil` once cancelled. Give it back with ``done(_:)``.
    func next(for consumer: Int) -> PacketBatch? {
        lock.lock()
        defer { lock.unlock() }
        while ready[consumer].isEmpty && !cancelled { lock.wait() }
        return cancelled ? nil : ready[consumer].removeFirst()
    }

    /// `consumer` has finished with `batch`: the batch is free again once every consumer has.
    func done(_ batch: PacketBatch) {
        lock.lock()
        batch.pending -= 1
        if batch.pending == 0 {
            batch.reset()
            free.append(batch)
        }
        lock.broadcast()
        lock.unlock()
    }

    /// Waits until only the caller (one consumer) still holds `batch`; `false` once cancelled.
    func awaitOthers(_ batch: PacketBatch) -> Bool {
        lock.lock()
        defer { lock.unlock() }
        while batch.pending > 1 && !cancelled { lock.wait() }
        return !cancelled
    }

    /// Stops the reader and every consumer (when the caller gives up early).
    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        lock.unlock()
    }

    /// Waits for every thread started here to have ended.
    func join() { threads.wait() }

    private func take() -> PacketBatch? {
        lock.lock()
        defer { lock.unlock() }
        while free.isEmpty && !cancelled { lock.wait() }
        return cancelled ? nil : free.removeFirst()
    }

    private func hand(_ batch: PacketBatch) {
        lock.lock()
        batch.pending = ready.count
        for consumer in ready.indices { ready[consumer].append(batch) }
        lock.broadcast()
        lock.unlock()
    }

    private func read() {
        guard var batch = take() else { return }
        let linkType = file.linkType
        var sightings: [Event] = []
        var frame = DecodedFrame(linkPayload: UnsafeRawBufferPointer(start: nil, count: 0))
        while true {
            let packet: RawPacket?
            do {
                packet = try file.next()
            } catch {
                batch.end = error
                packet = nil
            }
            guard let packet else {
                batch.finished = true
                hand(batch)
                return
            }
            let shard = front.observe(
                packet.bytes, linkType: linkType, number: packet.number, time: packet.time, frame: &frame,
                into: &sightings)
            if !sightings.isEmpty {
                // Placed before whatever the next record kept brings: the order one analyzer has.
                for event in sightings { batch.found[0].events.append((batch.records.count, event)) }
                sightings.removeAll(keepingCapacity: true)
            }
            guard let shard else { continue }  // nothing for the shards: not copied
            if !batch.append(frame, number: packet.number, time: packet.time, shard: shard) {
                hand(batch)
                guard let next = take() else { return }
                batch = next
                _ = batch.append(frame, number: packet.number, time: packet.time, shard: shard)  // empty: room
            }
        }
    }
}
