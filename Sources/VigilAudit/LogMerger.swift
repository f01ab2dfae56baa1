internal import Foundation
internal import VigilCore
internal import VigilLogs

/// Reads series of logs at once and hands their events on in time order, so correlations see
/// two servers' logs of the same night interleaved as they happened.
///
/// A series is one log and its rotated siblings (`auth.log.2.gz`, `auth.log.1`, `auth.log`),
/// read oldest first on a thread of its own; the events come back in batches through a small
/// bounded queue (so memory does not grow with the files), and the caller's thread takes the
/// earliest head of all series each time (ties: the series named first). Reading and parsing
/// thus run on other cores than the rules. At most ``maxSeries`` series are read at once:
/// beyond that, the series (ordered by their first dated line) are merged in waves.
enum LogMerger {
    static let maxSeries = 64
    static let batchSize = 4096

    /// What reading one file gave.
    struct FileResult {
        var input: InputReport?
        var error: VigilError?
    }

    /// A log to read: its index among the audit's inputs, and the file.
    typealias Log = (index: Int, file: InputFile)

    /// Groups `files` into series by rotation base name, each oldest first, the series in the
    /// order of their first file.
    static func series(_ files: [Log]) -> [[Log]] {
        var order: [String] = []
        var groups: [String: [Log]] = [:]
        for file in files {
            let base = InputCollector.rotation(file.file.path).0
            if groups[base] == nil { order.append(base) }
            groups[base, default: []].append(file)
        }
        return order.map { base in
            groups[base]!.sorted {
                InputCollector.rotation($0.file.path).1 > InputCollector.rotation($1.file.path).1
            }
        }
    }

    /// Reads every series, calling `handler` on the caller's thread with the events of all of
    /// them in time order; returns each file's report or error by index. If `handler` throws,
    /// the readers stop and the error is rethrown.
    static func read(
        _ series: [[Log]], options: LogOptions, handler: (Event) throws -> Void
    ) throws -> [Int: FileResult] {
        try withoutActuallyEscaping(handler) { try read(series, options: options, consumer: .events($0)) }
    }

    /// ``read(_:options:handler:)`` handing the events on in batches (of up to ``batchSize``,
    /// in time order), for threads that share them out (``RuleWorkers``).
    static func read(
        _ series: [[Log]], options: LogOptions, batches: ([Event]) throws -> Void
    ) throws -> [Int: FileResult] {
        try withoutActuallyEscaping(batches) { try read(series, options: options, consumer: .batches($0)) }
    }

    /// Who takes the merged events: one at a time, or by batches.
    enum Consumer {
        case events((Event) throws -> Void)
        case batches(([Event]) throws -> Void)
    }

    private static func read(
        _ series: [[Log]], options: LogOptions, consumer: Consumer
    ) throws -> [Int: FileResult] {
        var results: [Int: FileResult] = [:]
        var waves: [[[Log]]] = []
        if series.count <= maxSeries {
            waves = [series]
        } else {
            let reader = LogReader(options: options)
            let ordered = series.map { ($0, $0.first?.file.origin.filePath.flatMap { reader.firstTime(path: $0) }) }
                .enumerated().sorted { a, b in
                    switch (a.element.1, b.element.1) {
                    case (let x?, let y?) where x != y: return x < y
                    default: return a.offset < b.offset
                    }
                }
                .map(\.element.0)
            waves = stride(from: 0, to: ordered.count, by: maxSeries).map {
                Array(ordered[$0..<min($0 + maxSeries, ordered.count)])
            }
        }
        for wave in waves {
            try merge(wave, options: options, results: &results, consumer: consumer)
        }
        return results
    }

    private static func merge(
        _ series: [[Log]], options: LogOptions, results: inout [Int: FileResult], consumer: Consumer
    ) throws {
        let queues = series.map { _ in BatchQueue(capacity: 4) }
        let shared = Locked<[Int: FileResult]>([:])
        // One reading thread per series, each filling its own queue.
        let readers = WorkerPool.start(series.count, workers: series.count, name: "vigil-log") { number in
            let queue = queues[number]
            defer { queue.close() }
            for file in series[number] {
                var result = FileResult()
                do {
                    // The reader's batch is moved into the queue, not copied event by event.
                    let outcome = try LogReader(options: options).read(
                        origin: file.file.origin, displayPath: file.file.displayPath, batchSize: batchSize
                    ) { events in
                        // A batch the consumer is done with is emptied here, so that its events
                        // are freed on this thread, and its buffer reused.
                        var full = queue.spent() ?? []
                        full.removeAll(keepingCapacity: true)
                        full.reserveCapacity(batchSize + 64)
                        swap(&full, &events)
                        guard queue.put(full) else { throw Stopped() }
                    }
                    result.input = outcome.input
                    result.error = outcome.error
                } catch is Stopped {
                    return
                } catch let error as VigilError {
                    result.error = error
                } catch {
                    result.error = VigilError(.unreadable, path: file.file.displayPath, reason: "\(error)")
                }
                shared.withLock { $0[file.index] = result }
            }
        }
        defer {
            for queue in queues { queue.cancel() }
            readers.wait()
            for (index, result) in shared.withLock({ $0 }) { results[index] = result }
        }
        // One series (the usual audit of one server): its batches in order, no comparison.
        if queues.count == 1 {
            while let batch = queues[0].take() {
                switch consumer {
                case .events(let handler):
                    for index in batch.indices { try handler(batch[index]) }
                    queues[0].recycle(batch)
                case .batches(let handler): try handler(batch)
                }
            }
            return
        }
        var merged: [Event] = []
        let handler: (Event) throws -> Void
        switch consumer {
        case .events(let given): handler = given
        case .batches(let given):
            merged.reserveCapacity(batchSize)
            handler = { event in
                merged.append(event)
                if merged.count == batchSize {
                    try given(merged)
                    merged.removeAll(keepingCapacity: true)
                }
            }
        }

        // The head batch of each series; nil once a series is done.
        var heads: [[Event]?] = queues.map { $0.take() }
        var positions = [Int](repeating: 0, count: heads.count)
        while true {
            var chosen = -1
            var earliest = Timestamp(nanoseconds: .max)
            for number in heads.indices {
                guard let head = heads[number] else { continue }
                let time = head[positions[number]].time
                if chosen < 0 || time < earliest {
                    chosen = number
                    earliest = time
                }
            }
            guard chosen >= 0 else { break }
            try handler(heads[chosen]![positions[chosen]])
            positions[chosen] += 1
            if positions[chosen] == heads[chosen]!.count {
                queues[chosen].recycle(heads[chosen].take()!)
                heads[chosen] = queues[chosen].take()
                positions[chosen] = 0
            }
        }
        if case .batches(let given) = consumer, !merged.isEmpty { try given(merged) }
    }

    private struct Stopped: Error {}
}

/// A bounded queue of event batches between one reading thread and the merging thread.
final class BatchQueue: @unchecked Sendable {
    private let condition = NSCondition()
    private var batches: [[Event]] = []
    private var returned: [[Event]] = []
    private let capacity: Int
    private var closed = false
    private var cancelled = false

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false when the consumer has gone (the producer should stop).
    func put(_ batch: [Event]) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while batches.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        batches.append(batch)
        // One producer, one consumer: only a consumer waiting on an empty queue needs waking.
        if batches.count == 1 { condition.signal() }
        return true
    }

    /// The next batch, waiting for one; nil when the producer is done and all were taken.
    func take() -> [Event]? {
        condition.lock()
        defer { condition.unlock() }
        while batches.isEmpty && !closed { condition.wait() }
        if batches.isEmpty { return nil }
        let batch = batches.removeFirst()
        // Only a producer waiting on a full queue needs waking.
        if batches.count == capacity - 1 { condition.signal() }
        return batch
    }

    /// Hands back a batch the consumer is done with, for the producer to empty and reuse
    /// (``spent()``): its events are then freed on the producer's thread, not the consumer's.
    func recycle(_ batch: [Event]) {
        condition.lock()
        defer { condition.unlock() }
        if returned.count < capacity + 1 && !closed { returned.append(batch) }
    }

    /// A batch handed back by the consumer, if any.
    func spent() -> [Event]? {
        condition.lock()
        defer { condition.unlock() }
        return returned.popLast()
    }

    /// The producer is done.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    /// The consumer is done: a waiting producer is released.
    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }
}
