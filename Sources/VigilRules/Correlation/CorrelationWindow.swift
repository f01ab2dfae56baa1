public import VigilCore

/// A piece of a correlation finding's evidence, kept by reference: where its event was read, and
/// of what kind. Its summary is written when the finding is reported, from the line read again
/// (``RuleEngine/findings(digest:resolve:)``); for an input that cannot be read again (standard
/// input, a pipe, a capture's packet) it is written at once.
public struct EvidenceReference: Sendable, Hashable {
    public var source: SourceLocation
    public var kind: EventKind
    /// The summary, when written at once.
    public var summary: String?
    /// A digest of the line as it was read (FNV-1a, 64 bits), so that a line read again is
    /// known to be the same (a log rotated or rewritten since gives other bytes at the offset).
    public var lineDigest: UInt64 = 0

    /// ``lineDigest`` of `bytes`: eight bytes at a time, multiplied and folded (not a
    /// cryptographic digest: it tells a line read again from another line at its offset).
    public static func digest(_ bytes: UnsafeRawBufferPointer) -> UInt64 {
        var hash = 0xcbf2_9ce4_8422_2325 ^ UInt64(bytes.count)
        var offset = 0
        while offset + 8 <= bytes.count {
            hash = (hash ^ bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self)) &* 0x9e37_79b9_7f4a_7c15
            hash ^= hash >> 31
            offset += 8
        }
        var tail: UInt64 = 0
        while offset < bytes.count {
            tail = tail << 8 | UInt64(bytes[offset])
            offset += 1
        }
        hash = (hash ^ tail) &* 0x9e37_79b9_7f4a_7c15
        return hash ^ hash >> 29
    }

    /// Whether the event's line can be read again from its input.
    public var rereadable: Bool {
        if case .line = source.position { return source.offset >= 0 }
        return false
    }

    /// A reference to `event`, its summary written now when its input cannot be read again.
    init(_ event: Event) {
        source = event.source
        kind = event.kind
        if case .line = event.source.position, event.source.offset >= 0, let text = event.text {
            summary = nil
            lineDigest = text.withBytes(Self.digest)
        } else {
            summary = RuleEngine.summary(of: event)
        }
    }
}

/// What one group of one correlation keeps: the times of its recent events (and for
/// value_count and temporal their values), sorted by event time, and references to a few of
/// them as evidence. No event is kept.
///
/// Entries arrive in any order. An entry that is not older than the newest one is appended and
/// judged on the window that ends at it (amortised O(1): the window's start slides, and each
/// distinct value's or rule's last time is kept apart from the entries, so the decision does not
/// depend on how many entries are kept); an older one is inserted in its place and judged on
/// every window of the span that contains it, each starting at a kept entry. Every kept entry of
/// a window that meets the condition is counted, once: a finding's count is its events, its
/// times theirs.
struct CorrelationWindow {
    /// One event of the group: 24 bytes.
    struct Entry {
        var time: Int64
        /// For value_count, the value's hash; for temporal and temporal_ordered, the position of
        /// its rule in the correlation.
        var value: UInt64
        var counted = false
        /// The evidence slot holding its reference (-1: none).
        var evidence: Int8 = -1
    }

    /// An entry newly counted, with its evidence when it has some.
    struct Counted {
        var time: Int64
        var evidence: EvidenceReference?
    }

    /// Live entries are `entries[head...]`, in time order.
    private(set) var entries: [Entry] = []
    private var head = 0
    /// The newest time seen.
    private(set) var latest: Int64 = .min
    /// Evidence references of a few live entries (slots freed when their entry goes).
    private var evidence: [EvidenceReference?] = []
    /// Bit N set: slot N of ``evidence`` holds a reference (slots are few: at most 64).
    private var occupied: UInt64 = 0
    /// The window ending at `latest`: from this index to the end.
    private var windowStart = 0
    /// For value_count and temporal, the last time of each value (rule position), and the
    /// earliest of those times: values before the window are dropped only when that matters.
    private var lastSeen: [UInt64: Int64] = [:]
    private var oldestSeen: Int64 = .max
    /// Some entry before a counted one is not counted (after a late insertion): marking must
    /// look at every entry of a window, not stop at the first counted one.
    private var holes = false
    /// Whether every event of the group had the same account, and the same host.
    private(set) var user = SharedValue()
    private(set) var host = SharedValue()

    var count: Int { entries.count - head }

    /// Empties the window for another group, keeping its storage (groups come and go all the
    /// time on a host under attack: their buffers are reused, not freed and allocated again).
    mutating func reset() {
        // A new window (every other property as a new group has it), given the old buffers
        // emptied: small ones only (a brute force's window: a few dozen entries).
        var fresh = CorrelationWindow()
        if entries.capacity <= 64 {
            entries.removeAll(keepingCapacity: true)
            swap(&fresh.entries, &entries)
        }
        evidence.removeAll(keepingCapacity: true)
        swap(&fresh.evidence, &evidence)
        if lastSeen.capacity <= 64 {
            lastSeen.removeAll(keepingCapacity: true)
            swap(&fresh.lastSeen, &lastSeen)
        }
        self = fresh
    }

    /// Adds an event at `time` and returns the entries it caused to be counted. `evidenceSlots`
    /// references are kept per group at most.
    mutating func add(
        time: Int64, value: UInt64, event: Event, evidence reference: EvidenceReference?, evidenceSlots: Int,
        rule: CorrelationRule.Shape
    ) -> [Counted] {
        user.see(event[.userName])
        host.see(event[.hostName])
        var entry = Entry(time: time, value: value)
        if let slot = freeEvidenceSlot(evidenceSlots) {
            evidence[slot] = reference ?? EvidenceReference(event)
            entry.evidence = Int8(slot)
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

    /// A free evidence slot, marked taken; `nil` when all `slots` are taken.
    private mutating func freeEvidenceSlot(_ slots: Int) -> Int? {
        let free = (~occupied).trailingZeroBitCount
        guard free < min(slots, 64) else { return nil }
        if free == evidence.count { evidence.append(nil) }
        occupied |= 1 << UInt64(free)
        return free
    }

    /// Drops entries older than `horizon`, and the oldest beyond `capacity`; returns how many.
    mutating func trim(before horizon: Int64, capacity: Int) -> Int {
        var drop = 0
        while head + drop < entries.count && entries[head + drop].time < horizon { drop += 1 }
        drop = max(drop, count - capacity)
        guard drop > 0 else { return 0 }
        for index in head..<(head + drop) where entries[index].evidence >= 0 {
            evidence[Int(entries[index].evidence)] = nil
            occupied &= ~(1 << UInt64(entries[index].evidence))
        }
        head += drop
        windowStart = max(windowStart, head)
        // Compact once the dead part is the larger: amortised O(1) per entry.
        if head > 16 && head * 2 > entries.count {
            entries.removeFirst(head)
            windowStart -= head
            head = 0
        }
        return drop
    }

    // MARK: - Windows

    /// The newest entry, appended: the window ending at it.
    private mutating func inOrder(_ rule: CorrelationRule.Shape) -> [Counted] {
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
    private mutating func late(at position: Int, _ rule: CorrelationRule.Shape) -> [Counted] {
        let time = entries[position].time
        var counted: [Counted] = []
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
    private mutating func mark(_ start: Int, _ end: Int) -> [Counted] {
        var counted: [Counted] = []
        var index = end - 1
        while index >= start {
            if entries[index].counted {
                if !holes { break }
            } else {
                entries[index].counted = true
                let slot = Int(entries[index].evidence)
                counted.append(Counted(time: entries[index].time, evidence: slot >= 0 ? evidence[slot] : nil))
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

/// Whether every event of a group had the same value of a field (by hash: no text is kept).
struct SharedValue {
    private var hash: UInt64?
    private(set) var mixed = false

    mutating func see(_ value: FieldValue?) {
        guard !mixed else { return }
        let hash = CorrelationEngine.hash(value, into: 0)
        if self.hash == nil {
            self.hash = hash
        } else if self.hash != hash {
            mixed = true
        }
    }
}

/// The steps of a temporal_ordered correlation one group has seen: per rule, its events sorted
/// by time. A sequence is one event of each rule, in the rules' order by event time (equal times
/// allowed), the last within the span of the first.
struct OrderedSteps {
    private(set) var steps: [[CorrelationWindow.Entry]]
    private(set) var latest: Int64 = .min
    /// Evidence references per step: each step keeps its own, so the event completing a
    /// sequence is in its evidence however many came before.
    private var evidence: [[EvidenceReference?]]

    init(rules: Int) {
        steps = Array(repeating: [], count: rules)
        evidence = Array(repeating: [], count: rules)
    }

    var count: Int { steps.reduce(0) { $0 + $1.count } }

    /// Empties the steps for another group, keeping their storage.
    mutating func reset() {
        for index in steps.indices { steps[index].removeAll(keepingCapacity: steps[index].capacity <= 64) }
        for index in evidence.indices { evidence[index].removeAll(keepingCapacity: true) }
        latest = .min
    }

    /// Adds an event of rule `position`; returns the entries of the sequences it completes that
    /// were not counted yet (empty when it completes none).
    mutating func add(
        time: Int64, position: Int, event: Event, evidence reference: EvidenceReference?, evidenceSlots: Int,
        span: Int64
    ) -> [CorrelationWindow.Counted] {
        var entry = CorrelationWindow.Entry(time: time, value: UInt64(position))
        // A sequence takes the latest event of each earlier step: the newest entries keep the
        // evidence, the oldest holder giving its slot up.
        var slot = evidence[position].firstIndex { $0 == nil }
        if slot == nil && evidence[position].count < evidenceSlots {
            evidence[position].append(nil)
            slot = evidence[position].count - 1
        }
        if slot == nil, let oldest = steps[position].firstIndex(where: { $0.evidence >= 0 }) {
            slot = Int(steps[position][oldest].evidence)
            steps[position][oldest].evidence = -1
        }
        if let slot {
            evidence[position][slot] = reference ?? EvidenceReference(event)
            entry.evidence = Int8(slot)
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
        var counted: [CorrelationWindow.Counted] = []
        for step in steps.indices {
            let index = chosen[step]!
            if !steps[step][index].counted {
                steps[step][index].counted = true
                let slot = Int(steps[step][index].evidence)
                counted.append(
                    CorrelationWindow.Counted(
                        time: steps[step][index].time, evidence: slot >= 0 ? evidence[step][slot] : nil))
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
            for entry in steps[step].prefix(drop) where entry.evidence >= 0 {
                evidence[step][Int(entry.evidence)] = nil
            }
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
