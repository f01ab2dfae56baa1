internal import Foundation
public import VigilCore

/// The rules run on several threads over one stream of events, with the findings one engine
/// would have made of it.
///
/// Every thread has an engine of its own and is shown every batch of the stream; each event is
/// processed by one of them (``RuleEngine/owner(of:among:)``): an event a correlation may read
/// by the value of the field all correlations group by (so each correlation group lives in one
/// engine, and sees all its events in stream order), any other by its place in the stream. The
/// others only take note of it (its place, the correlations' clock, and what the enrichment
/// remembers: login sources per account, ARP owners). ``finish()`` merges the engines: counts
/// add up, evidence is the earliest of the stream, the findings are those of one engine.
///
/// Correlations' bounds (``CorrelationEngine`` groups and entries) apply per thread: with more
/// threads, more groups are held before any is let go.
///
/// At most ``depth`` batches wait, so memory does not grow with the input.
public final class RuleWorkers: @unchecked Sendable {
    /// Batches submitted and not yet done by every thread, at most.
    public static let depth = 8
    /// Events per batch made by ``process(_:)``.
    public static let batchSize = 4_096

    private let engines: [RuleEngine]
    private let contexts: [EventContext]
    private let condition = NSCondition()
    /// Batches not yet done by every thread; the first is number `base` of the stream.
    private var pending: [(batch: [Event], remaining: Int)] = []
    private var base = 0
    /// The next batch number each thread takes.
    private var next: [Int]
    private var closed = false
    private var findings: [Int]
    private var collecting: [Event] = []
    private let threads = DispatchGroup()
    /// The engines merged, once finished.
    private var result: RuleEngine?
    /// The events each thread processed (its share), once finished.
    public private(set) var shares: [Int] = []

    /// `workers` threads (1 to 64) running `rules` and `correlations`, each event enriched with
    /// what `inventory` and `timeZone` say (``EventContext``).
    public init(
        rules: [Rule], correlations: [CorrelationRule], workers: Int, inventory: Inventory? = nil,
        timeZone: String? = nil
    ) {
        let count = min(64, max(1, workers))
        engines = (0..<count).map { _ in RuleEngine(rules: rules, correlations: correlations) }
        contexts = (0..<count).map { _ in EventContext(inventory: inventory, timeZone: timeZone) }
        next = Array(repeating: 0, count: count)
        findings = Array(repeating: 0, count: count)
        collecting.reserveCapacity(Self.batchSize)
        for number in 0..<count {
            threads.enter()
            let thread = Thread { [self] in
                run(number)
                threads.leave()
            }
            thread.name = "vigil-rules-\(number)"
            thread.start()
        }
    }

    /// The threads running the rules.
    public var workers: Int { engines.count }

    /// Findings so far (distinct rule and subject per thread: an estimate while running).
    public var findingCount: Int { condition.withLock { findings.reduce(0, +) } }

    /// Hands `batch`, the next events of the stream, to the threads; waits while ``depth``
    /// batches are pending.
    public func submit(_ batch: [Event]) {
        flush()
        enqueue(batch)
    }

    /// Hands `event`, the next of the stream, to the threads (in batches of ``batchSize``).
    public func process(_ event: Event) {
        collecting.append(event)
        if collecting.count >= Self.batchSize { flush() }
    }

    private func flush() {
        guard !collecting.isEmpty else { return }
        let batch = collecting
        collecting.removeAll(keepingCapacity: true)
        enqueue(batch)
    }

    private func enqueue(_ batch: [Event]) {
        guard !batch.isEmpty else { return }
        condition.lock()
        while pending.count >= Self.depth { condition.wait() }
        pending.append((batch, engines.count))
        condition.broadcast()
        condition.unlock()
    }

    /// Waits for every thread to be done with the stream and returns their engines merged: one
    /// engine's findings of the whole stream. Called again, returns the same engine.
    public func finish() -> RuleEngine {
        if let result { return result }
        flush()
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
        threads.wait()
        shares = engines.map(\.eventCount)
        let merged = engines[0]
        for engine in engines.dropFirst() { merged.merge(engine, sharingStream: true) }
        result = merged
        return merged
    }

    /// Thread `number`'s loop: every batch in turn, its share of each processed.
    private func run(_ number: Int) {
        let engine = engines[number]
        let context = contexts[number]
        let count = engines.count
        while true {
            condition.lock()
            while next[number] - base >= pending.count && !closed { condition.wait() }
            guard next[number] - base < pending.count else {
                condition.unlock()
                return
            }
            let batch = pending[next[number] - base].batch
            condition.unlock()
            for index in batch.indices {
                let event = batch[index]
                if engine.owner(of: event, among: count) == number {
                    context.enriched(event) { engine.process($0) }
                } else {
                    if EventContext.remembers(event.kind) { context.remember(event) }
                    engine.pass(event)
                }
            }
            condition.lock()
            pending[next[number] - base].remaining -= 1
            next[number] += 1
            findings[number] = engine.findingCount
            while let first = pending.first, first.remaining == 0 {
                pending.removeFirst()
                base += 1
            }
            condition.broadcast()
            condition.unlock()
        }
    }
}
