internal import VigilCore

/// The events one group of one correlation has seen, sorted by event time, and the windows they
/// fill: what ``CorrelationEngine`` keeps per group.
///
/// Entries arrive in any order. An entry that is not older than the newest one is appended and
/// judged on the window that ends at it (amortised O(1): the window's start slides, and each
/// distinct value's or rule's last time is kept apart from the entries, so the decision does not
/// depend on how many entries are kept); an older one is inserted in its place and judged on
/// every window of the span that contains it, each starting at a kept entry. Every kept entry of
/// a window that meets the condition is counted, once: a finding's count is its events, its
/// times theirs.
struct CorrelationWindow {
    /// One event of the group.
    struct Entry {
        var time: Int64
        /// For value_count, the value's hash; for temporal and temporal_ordered, the position of
        /// its rule in the correlation.
        var value: UInt64
        var counted = false
        /// The event itself, kept for the first few entries as evidence.
        var evidence: EvidenceBox?
    }

    /// An event kept as evidence, shared rather than copied.
    final class EvidenceBox {
        let event: Event
        init(_ event: Event) { self.event = event }
    }

    /// Live entries are `entries[head...]`, in time order.
    private(set) var entries: [Entry] = []
    private var head = 0
    /// The newest time seen, and when the group was last touched (for expiry).
    private(set) var latest: Int64 = .min
    /// Entries holding evidence.
    private(set) var evidenceKept = 0
    /// The window ending at `latest`: from this index to the end.
    private var windowStart = 0
    /// For value_count and temporal, the last time of each value (rule position), and the
    /// earliest of those times: values before the window are dropped only when that matters.
    private var lastSeen: [UInt64: Int64] = [:]
    private var oldestSeen: Int64 = .max
    /// Some entry before a counted one is not counted (after a late insertion): marking must
    /// look at every entry of a window, not stop at the first counted one.
    private var holes = false
    /// The account and host its events share, or `nil` once they differ.
    private(set) var user = Shared()
    private(set) var host = Shared()

    /// A value all entries share, with the text of the first.
    struct Shared {
        var hash: UInt64?
        var text: String?
        var mixed = false

        mutating func see(_ value: FieldValue?) {
            guard !mixed else { return }
            let hash = CorrelationEngine.hash(value, into: 0)
            if self.hash == nil {
                self.hash = hash
                text = value?.description
            } else if self.hash != hash {
                mixed = true
                text = nil
            }
        }

        /// The shared text, if every entry had the same.
        var value: String? { mixed ? nil : text.flatMap { $0.isEmpty ? nil : $0 } }
    }

    var count: Int { entries.count - head }

    /// Adds an event at `time` and returns the entries it caused to be counted.
    mutating func add(
        time: Int64, value: UInt64, event: Event, keepEvidence: Bool, rule: CorrelationRule.Shape
    ) -> [Entry] {
        user.see(event[.userName])
        host.see(event[.hostName])
        var entry = Entry(time: time, value: value)
        if keepEvidence {
            entry.evidence = EvidenceBox(event)
            evidenceKept += 1
        }
        if rule.kind != .eventCount {
            lastSeen[value] = max(lastSeen[value] ?? .min, time)
            oldestSeen = min(oldestSeen, time)
        }
        if time >= latest {
            entries.append(entry)
            latest = time
            return inOrder(rule)
        }
        // Late: in its place, every window containing it judged, then the window ending at the
        // newest entry rebuilt.
        let position = lowerBound(time + 1)
        entries.insert(entry, at: position)
        if entries[(position + 1)...].contains(where: \.counted) { holes = true }
        let counted = late(at: position, rule)
        rebuildWindow(rule)
        return counted
    }

    /// Drops entries older than `horizon`, and the oldest beyond `capacity`; returns how many.
    mutating func trim(before horizon: Int64, capacity: Int) -> Int {
        var drop = 0
        while head + drop < entries.count && entries[head + drop].time < horizon { drop += 1 }
        drop = max(drop, count - capacity)
        guard drop > 0 else { return 0 }
        for index in head..<(head + drop) where entries[index].evidence != nil { evidenceKept -= 1 }
        head += drop
        windowStart = max(windowStart, head)
        // Compact once the dead part is the larger: amortised O(1) per entry.
        if head > 64 && head * 2 > entries.count {
            entries.removeFirst(head)
            windowStart -= head
            head = 0
        }
        return drop
    }

    // MARK: - Windows

    /// The newest entry, appended: the window ending at it.
    private mutating func inOrder(_ rule: CorrelationRule.Shape) -> [Entry] {
        let from = latest - rule.span
        while windowStart < entries.count - 1 && entries[windowStart].time < from { windowStart += 1 }
        let measure: Int
        if rule.kind == .eventCount {
            measure = entries.count - windowStart
        } else {
            // Values before the window are dropped only when the count could decide something
            // (or the table grows): exact when it matters, one pass per window otherwise.
            if oldestSeen < from && (!rule.condition.isMonotone || rule.holds(lastSeen.count) || lastSeen.count > 4096)
            {
                lastSeen = lastSeen.filter { $0.value >= from }
                oldestSeen = lastSeen.values.min() ?? .max
            }
            measure = lastSeen.count
        }
        guard rule.holds(measure) else { return [] }
        return mark(windowStart, entries.count)
    }

    /// A late entry at `position`: every window of the span that contains it, each starting at an
    /// entry, judged on its own.
    private mutating func late(at position: Int, _ rule: CorrelationRule.Shape) -> [Entry] {
        let time = entries[position].time
        var counted: [Entry] = []
        var start = lowerBound(time - rule.span)
        while start <= position {
            let end = lowerBound(entries[start].time + rule.span + 1)
            let measure: Int
            if rule.kind == .eventCount {
                measure = end - start
            } else {
                var values = Set<UInt64>()
                for index in start..<end { values.insert(entries[index].value) }
                measure = values.count
            }
            if rule.holds(measure) {
                holes = true
                counted += mark(start, end)
            }
            start += 1
        }
        return counted
    }

    /// Counts the entries of `start..<end` not counted yet, and returns them.
    private mutating func mark(_ start: Int, _ end: Int) -> [Entry] {
        var counted: [Entry] = []
        var index = end - 1
        while index >= start {
            if entries[index].counted {
                if !holes { break }
            } else {
                entries[index].counted = true
                counted.append(entries[index])
            }
            index -= 1
        }
        if start == windowStart && end == entries.count { holes = false }
        return counted.reversed()
    }

    private mutating func rebuildWindow(_ rule: CorrelationRule.Shape) {
        windowStart = max(head, lowerBound(latest - rule.span))
    }

    /// The first live index whose time is at least `time`.
    private func lowerBound(_ time: Int64) -> Int { partition(entries, from: head) { $0 < time } }
}

/// The steps of a temporal_ordered correlation one group has seen: per rule, its events sorted
/// by time. A sequence is one event of each rule, in the rules' order by event time (equal times
/// allowed), the last within the span of the first.
struct OrderedSteps {
    private(set) var steps: [[CorrelationWindow.Entry]]
    private(set) var latest: Int64 = .min
    /// Entries holding evidence, per step: each step keeps its own, so the event completing a
    /// sequence is in its evidence however many came before.
    private(set) var evidenceKept: [Int]

    init(rules: Int) {
        steps = Array(repeating: [], count: rules)
        evidenceKept = Array(repeating: 0, count: rules)
    }

    var count: Int { steps.reduce(0) { $0 + $1.count } }

    /// Adds an event of rule `position`; returns the entries of the sequences it completes that
    /// were not counted yet (empty when it completes none).
    mutating func add(time: Int64, position: Int, event: Event, evidenceLimit: Int, span: Int64)
        -> [CorrelationWindow.Entry]
    {
        var entry = CorrelationWindow.Entry(time: time, value: UInt64(position))
        if evidenceKept[position] < evidenceLimit {
            entry.evidence = CorrelationWindow.EvidenceBox(event)
            evidenceKept[position] += 1
        }
        let at = Self.upperBound(steps[position], time)
        steps[position].insert(entry, at: at)
        latest = max(latest, time)
        // The tightest sequence through the new event: the latest of each earlier step before
        // it, the earliest of each later step after it.
        var chosen = [Int?](repeating: nil, count: steps.count)
        chosen[position] = at
        var bound = time
        for step in stride(from: position - 1, through: 0, by: -1) {
            let index = Self.upperBound(steps[step], bound) - 1
            guard index >= 0 else { return [] }
            chosen[step] = index
            bound = steps[step][index].time
        }
        bound = time
        for step in (position + 1)..<steps.count {
            let index = Self.lowerBound(steps[step], bound)
            guard index < steps[step].count else { return [] }
            chosen[step] = index
            bound = steps[step][index].time
        }
        let first = steps[0][chosen[0]!].time
        let last = steps[steps.count - 1][chosen[steps.count - 1]!].time
        guard last - first <= span else { return [] }
        var counted: [CorrelationWindow.Entry] = []
        for step in steps.indices {
            let index = chosen[step]!
            if !steps[step][index].counted {
                steps[step][index].counted = true
                counted.append(steps[step][index])
            }
        }
        return counted.sorted { $0.time < $1.time }
    }

    /// Drops entries older than `horizon`, and the oldest of a step beyond `capacity`.
    mutating func trim(before horizon: Int64, capacity: Int) -> Int {
        var dropped = 0
        for step in steps.indices {
            var drop = 0
            while drop < steps[step].count && steps[step][drop].time < horizon { drop += 1 }
            drop = max(drop, steps[step].count - capacity)
            guard drop > 0 else { continue }
            evidenceKept[step] -= steps[step].prefix(drop).filter { $0.evidence != nil }.count
            steps[step].removeFirst(drop)
            dropped += drop
        }
        return dropped
    }

    /// The first entry at or after `time`.
    private static func lowerBound(_ entries: [CorrelationWindow.Entry], _ time: Int64) -> Int {
        partition(entries, from: 0) { $0 < time }
    }

    /// The first entry after `time`.
    private static func upperBound(_ entries: [CorrelationWindow.Entry], _ time: Int64) -> Int {
        partition(entries, from: 0) { $0 <= time }
    }

}

/// The first index from `start` whose entry's time is not `before` (entries ordered by time).
private func partition(_ entries: [CorrelationWindow.Entry], from start: Int, before: (Int64) -> Bool) -> Int {
    var low = start
    var high = entries.count
    while low < high {
        let middle = (low + high) / 2
        if before(entries[middle].time) { low = middle + 1 } else { high = middle }
    }
    return low
}
