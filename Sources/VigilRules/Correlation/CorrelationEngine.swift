internal import VigilCore

extension CorrelationRule {
    /// What the hot path needs of a correlation, apart from the rule (which is large: copying
    /// it per event would cost more than the window's work).
    struct Shape {
        var kind: CorrelationType
        /// The window, in nanoseconds.
        var span: Int64
        var condition: CountCondition
        var ruleCount: Int

        /// Whether a window whose measure (events, distinct values, distinct rules) is `measure`
        /// meets the correlation.
        func holds(_ measure: Int) -> Bool {
            if kind == .temporal && condition.bounds.isEmpty { return measure == ruleCount }
            return condition.holds(measure)
        }
    }
}

/// The correlation rules over one stream of events, judged in event time whatever the order the
/// events arrive in.
///
/// Per correlation, groups (the values of its `group-by` fields, hashed) keep the times of their
/// recent events in time order (``CorrelationWindow``; ``OrderedSteps`` for temporal_ordered)
/// and references to a few of them as evidence: no event is kept. A correlation fires when a
/// window of its timespan meets its condition; the events of every such window are counted, each
/// once, so a finding's count is the events that met the rule and its first and last times are
/// theirs.
///
/// Bounds, whatever the input (and so whatever the number of sources attacking):
/// - an event may arrive up to ``lateness`` behind the clock (the newest event of the stream of a
///   kind some correlation reads, ``RuleEngine``'s) and still be judged exactly; an older one is
///   not correlated (counted in ``late``);
/// - a group leaves as soon as its newest event is older than the timespan plus ``lateness``
///   behind the clock (groups are kept in the order they were last touched, so this costs O(1)
///   per event), and a group touched again after that time starts afresh whether it had left or
///   not: what a group decides never depends on when others left, so the groups can be shared
///   out among threads by their keys (``RuleWorkers``) with the same findings;
/// - a group keeps at most ``capacity(for:)`` entries and ``evidencePerGroup`` references;
/// - a correlation keeps at most ``maxGroups`` groups and ``maxEntries`` entries in all; past
///   them the least recently touched group leaves even though its time has not passed, and the
///   report says so (``dropped``): findings of that group may be missed.
///
/// Memory per correlation is thus at most about 24 bytes × ``maxEntries`` + 400 bytes ×
/// ``maxGroups`` (about 36 MiB), and stays at what the live groups need below that.
final class CorrelationEngine {
    static let maxGroups = 32_768
    /// Entries kept in all groups of one correlation at most.
    static let maxEntries = 1 << 20
    /// How far behind the newest event an event may arrive and still be correlated: 15 minutes.
    static let lateness: Int64 = 15 * 60 * 1_000_000_000
    /// Entries kept per group at most.
    static let maxGroupEntries = 4_096
    /// Events a group keeps references to, as evidence.
    static let evidencePerGroup = 5

    /// A correlation that fired: the events it newly counted, and whether every event of the
    /// group had the account and the host of the event that made it fire.
    struct Firing {
        var correlation: Int
        /// The group's key (the hash of its group-by values).
        var group: UInt64
        /// The entries newly counted, in time order (a few carry evidence references).
        var counted: [CorrelationWindow.Counted]
        /// For a sequence, those of the event completing it; otherwise whether every event of
        /// the group shares them.
        var sharesUser: Bool
        var sharesHost: Bool
    }

    let correlations: [CorrelationRule]
    private let shapes: [CorrelationRule.Shape]
    /// For each base rule index, the correlations that refer to it (by name or id).
    private var byRule: [Int: [(correlation: Int, position: Int)]] = [:]
    /// Correlations with the same parameters as an earlier one (its twins) share its state:
    /// they fire when it fires, and are not advanced on their own.
    private var twins: [Int: [Int]] = [:]
    /// For each correlation, the correlations that refer to it (chains).
    private var byCorrelation: [Int: [(correlation: Int, position: Int)]] = [:]
    /// Groups by the 64-bit hash of their group-by values: no string is built or SipHashed per
    /// event. Two groups colliding (odds about n²/2⁶⁵ for n groups) would share a window.
    private var windows: [GroupTable<CorrelationWindow>]
    private var sequences: [GroupTable<OrderedSteps>]
    /// Entries kept in all groups, per correlation.
    private var entries: [Int]
    /// The group-by fields of each correlation for each of its rules (aliases differ by rule).
    private var groupFields: [[[Field?]]]
    private var valueField: [Field?]
    /// Events too far behind the newest to be correlated, by input.
    private(set) var late: [InputID: (count: Int, first: SourceLocation)] = [:]
    /// Per correlation, groups that left before their time had passed (a bound was reached).
    private(set) var dropped: [Int]

    init(correlations: [CorrelationRule], rules: [Rule]) {
        self.correlations = correlations
        shapes = correlations.map {
            CorrelationRule.Shape(
                kind: $0.type, span: $0.timespan * 1_000_000_000, condition: $0.condition, ruleCount: $0.rules.count)
        }
        capacities = shapes.map(Self.capacity(for:))
        windows = Array(repeating: GroupTable(), count: correlations.count)
        sequences = Array(repeating: GroupTable(), count: correlations.count)
        entries = Array(repeating: 0, count: correlations.count)
        dropped = Array(repeating: 0, count: correlations.count)
        groupFields = correlations.map { correlation in
            correlation.rules.map { reference in
                correlation.groupBy.map { name in Field.intern(correlation.aliases[name]?[reference] ?? name) }
            }
        }
        valueField = correlations.map { $0.field.flatMap(Field.intern) }
        var twinOf: [Int: Int] = [:]
        for (index, correlation) in correlations.enumerated() {
            if let first = correlations.indices.first(where: {
                $0 < index && twinOf[$0] == nil && Self.same(correlations[$0], correlation)
            }) {
                twinOf[index] = first
                twins[first, default: []].append(index)
            }
        }
        for (index, correlation) in correlations.enumerated() where twinOf[index] == nil {
            for (position, reference) in correlation.rules.enumerated() {
                if let rule = rules.firstIndex(where: { $0.id == reference || $0.sigmaID == reference }) {
                    byRule[rule, default: []].append((index, position))
                } else if let other = correlations.firstIndex(where: { $0.id == reference || $0.sigmaID == reference }),
                    other != index
                {
                    byCorrelation[other, default: []].append((index, position))
                }
            }
        }
    }

    /// FNV-1a over a field's text (an absent field hashes as the empty text), then a separator,
    /// continuing from `seed`.
    @inline(__always)
    static func hash(_ value: FieldValue?, into seed: UInt64) -> UInt64 {
        var hash = seed
        switch value {
        case .string(var text)?: text.withUTF8 { fnv(UnsafeRawBufferPointer($0), into: &hash) }
        // The same bytes as a string: the same group, whichever form a source used.
        case .text(let text)?: text.withBytes { fnv($0, into: &hash) }
        case .int(let number)?:
            withUnsafeBytes(of: number.littleEndian) { fnv($0, into: &hash) }
            hash ^= 0x49
        case .bool(let flag)?: hash ^= flag ? 0x54 : 0x46
        case .address(let address)?:
            // Its bytes: a given text is always the same value (binary when canonical), so the
            // same address written the same way always falls in the same group.
            address.withBytes { fnv($0, into: &hash) }
            hash ^= 0x41
        case nil: break
        }
        hash ^= 0x1F
        hash &*= fnvPrime
        return hash
    }

    /// FNV-1a's starting value and prime.
    static var fnvBasis: UInt64 { 0xcbf2_9ce4_8422_2325 }
    static var fnvPrime: UInt64 { 0x0000_0100_0000_01B3 }

    /// `bytes` mixed into `hash` by FNV-1a.
    @inline(__always)
    static func fnv(_ bytes: UnsafeRawBufferPointer, into hash: inout UInt64) {
        for byte in bytes {
            hash ^= UInt64(byte)
            hash &*= fnvPrime
        }
    }

    /// Whether two correlations count the same thing the same way.
    private static func same(_ a: CorrelationRule, _ b: CorrelationRule) -> Bool {
        a.type == b.type && a.rules == b.rules && a.groupBy == b.groupBy && a.aliases == b.aliases
            && a.timespan == b.timespan && a.condition == b.condition && a.field == b.field
    }

    /// Base rules some correlation refers to.
    var referencedRules: Set<Int> { Set(byRule.keys) }

    /// Entries one group of a correlation of `shape` keeps. An event_count needs only its threshold's worth (a
    /// window crossing it holds no more, so the count stays exact); the others keep up to
    /// ``maxGroupEntries`` (a value_count reached after more events than that counts the last
    /// ones).
    private static func capacity(for shape: CorrelationRule.Shape) -> Int {
        guard shape.kind == .eventCount else { return Self.maxGroupEntries }
        return min(Self.maxGroupEntries, max(32, shape.condition.largestValue * 2 + 16))
    }

    /// ``capacity(for:)`` of each correlation, worked out once.
    private let capacities: [Int]

    /// Takes a match of base rule `rule` on `event`, `clock` being the newest time of the stream
    /// (at least the event's); returns the correlations that fired.
    func observe(rule: Int, event: Event, clock: Int64) -> [Firing] {
        guard let targets = byRule[rule] else { return [] }
        var fired: [Firing] = []
        for target in targets {
            advance(
                target.correlation, position: target.position, event: event, time: event.time.nanoseconds,
                clock: clock, into: &fired)
        }
        return fired
    }

    /// Takes `event` (at `time`; for a chained correlation, an event counted by the one it
    /// refers to, whose `evidence` it is) into correlation `index` as a match of its rule at
    /// `position`; appends what fired. `link` is how far down a chain of correlations this is:
    /// ``RuleSet`` refuses cycles and chains longer than ``RuleSet/maxCorrelationChain``, and an
    /// engine given them anyway stops there rather than recurse without end.
    private func advance(
        _ index: Int, position: Int, event: Event, time: Int64, clock: Int64, evidence: EvidenceReference? = nil,
        link: Int = 1, into fired: inout [Firing]
    ) {
        let shape = shapes[index]
        if time < clock - Self.lateness {
            let input = event.source.input
            if let known = late[input] {
                late[input] = (known.count + 1, known.first)
            } else {
                late[input] = (1, event.source)
            }
            return
        }
        var key = Self.fnvBasis
        for field in groupFields[index][position] {
            key = Self.hash(field.flatMap { event[$0] }, into: key)
        }
        let horizon = clock - shape.span - Self.lateness
        let capacity = capacities[index]
        var firing = Firing(correlation: index, group: key, counted: [], sharesUser: true, sharesHost: true)
        if shape.kind == .temporalOrdered {
            expire(sequences: index, horizon: horizon)
            let slot = sequences[index].touch(key) { OrderedSteps(rules: shape.ruleCount) }
            let (counted, change) = sequences[index].update(slot) { steps in
                let before = steps.count
                // Time has passed for it: afresh, as if it had left (see the type's notes).
                if steps.latest != .min && steps.latest < horizon { steps.reset() }
                _ = steps.trim(before: horizon, capacity: capacity)
                let counted = steps.add(
                    time: time, position: position, event: event, evidence: evidence,
                    evidenceSlots: Self.evidencePerGroup, span: shape.span)
                return (counted, steps.count - before)
            }
            entries[index] += change
            firing.counted = counted
        } else {
            expire(windows: index, horizon: horizon)
            let value: UInt64 =
                shape.kind == .valueCount
                ? Self.hash(valueField[index].flatMap { event[$0] }, into: Self.fnvBasis)
                : UInt64(position)
            let slot = windows[index].touch(key) { CorrelationWindow() }
            let (counted, change, user, host) = windows[index].update(slot) { window in
                let before = window.count
                if window.latest != .min && window.latest < horizon { window.reset() }
                _ = window.trim(before: horizon, capacity: capacity)
                let counted = window.add(
                    time: time, value: value, event: event, evidence: evidence, evidenceSlots: Self.evidencePerGroup,
                    rule: shape)
                return (counted, window.count - before, !window.user.mixed, !window.host.mixed)
            }
            entries[index] += change
            firing.counted = counted
            firing.sharesUser = user
            firing.sharesHost = host
        }
        guard !firing.counted.isEmpty else { return }
        for fires in [index] + (twins[index] ?? []) {
            firing.correlation = fires
            fired.append(firing)
            // Each event it counted is an event, at its own time, for the correlations chained on
            // it (grouped by the values of the event that made it fire: the group's own).
            for target in byCorrelation[fires] ?? [] where link < RuleSet.maxCorrelationChain {
                for entry in firing.counted {
                    advance(
                        target.correlation, position: target.position, event: event, time: entry.time, clock: clock,
                        evidence: entry.evidence, link: link + 1, into: &fired)
                }
            }
        }
    }

    /// Adds what `other` (an engine over the same correlations, given another share of the same
    /// stream) counted as late or dropped.
    func merge(_ other: CorrelationEngine?) {
        guard let other else { return }
        for (index, count) in other.dropped.enumerated() where index < dropped.count { dropped[index] += count }
        for (input, theirs) in other.late {
            guard let ours = late[input] else {
                late[input] = theirs
                continue
            }
            late[input] = (
                ours.count + theirs.count, theirs.first.offset < ours.first.offset ? theirs.first : ours.first
            )
        }
    }

    /// Drops the groups whose time has passed, then the least recently touched while a bound is
    /// exceeded.
    private func expire(windows index: Int, horizon: Int64) {
        while windows[index].oldest >= 0 {
            let oldest = windows[index].oldest
            let (latest, count) = windows[index].peek(oldest) { ($0.latest, $0.count) }
            let passed = latest < horizon
            guard passed || windows[index].count >= Self.maxGroups || entries[index] > Self.maxEntries else { return }
            if !passed { dropped[index] += 1 }
            entries[index] -= count
            windows[index].removeOldest(reset: { $0.reset() }, replacingWith: CorrelationWindow())
        }
    }

    private func expire(sequences index: Int, horizon: Int64) {
        while sequences[index].oldest >= 0 {
            let oldest = sequences[index].oldest
            let (latest, count) = sequences[index].peek(oldest) { ($0.latest, $0.count) }
            let passed = latest < horizon
            guard passed || sequences[index].count >= Self.maxGroups || entries[index] > Self.maxEntries else {
                return
            }
            if !passed { dropped[index] += 1 }
            entries[index] -= count
            sequences[index].removeOldest(reset: { $0.reset() }, replacingWith: OrderedSteps(rules: 0))
        }
    }
}
