public import VigilCore

/// A count condition of a correlation: one or more bounds, all of which must hold (`gt: 100`
/// and `lte: 200` is a range).
public struct CountCondition: Sendable, Equatable {
    public enum Bound: String, Sendable, CaseIterable { case gt, gte, lt, lte, eq, neq }
    public var bounds: [(bound: Bound, value: Int)]

    public init(bounds: [(bound: Bound, value: Int)]) { self.bounds = bounds }

    public static func == (a: CountCondition, b: CountCondition) -> Bool {
        a.bounds.map { "\($0.bound)\($0.value)" } == b.bounds.map { "\($0.bound)\($0.value)" }
    }

    public func holds(_ count: Int) -> Bool {
        bounds.allSatisfy { bound, value in
            switch bound {
            case .gt: count > value
            case .gte: count >= value
            case .lt: count < value
            case .lte: count <= value
            case .eq: count == value
            case .neq: count != value
            }
        }
    }
}

/// An example sequence for a correlation rule (`vigil: tests:`): events a given number of
/// seconds apart and the number of findings the correlation must give.
public struct CorrelationExample: Sendable {
    public var name: String
    public var events: [Event]
    public var findings: Int
}

/// State of the correlation rules over one stream of events, in event time.
///
/// Each correlation keeps, per group (the values of its `group-by` fields), only what its
/// window needs: the times of the events (event_count), the last time of each distinct value
/// (value_count), the last time of each rule (temporal) or the progress through the rules
/// (temporal_ordered). Entries older than the window are dropped as time moves on, and at most
/// ``maxGroups`` groups are kept per correlation (the stalest go first), so state is bounded.
/// A correlation fires when its condition first holds in a window; the group then rests for one
/// window and starts over, so a long attack gives one finding whose count is the number of
/// windows it filled (and costs nothing while the group rests).
final class CorrelationEngine {
    static let maxGroups = 50_000
    /// Events kept per window as evidence: the first few show the pattern; the finding gathers
    /// them over its windows up to ``Finding/evidenceLimit``.
    static let evidencePerWindow = 5

    struct Firing {
        var correlation: Int
        var events: [Event]
    }

    private struct Group {
        var times: [Int64] = []
        /// Distinct values by their 64-bit hash (``CorrelationEngine/hash(_:)``), with the last
        /// time each was seen.
        var values: [UInt64: Int64] = [:]
        /// The earliest time in ``values``: pruning waits until a value can have left the window.
        var oldestValue: Int64 = .max
        var lastByRule: [Int: Int64] = [:]
        var progress = 0
        var started: Int64 = 0
        var evidence: [Event] = []
        var touched: Int64 = 0
        /// After firing, the group is quiet for one window: a long attack fires once per window.
        var quietUntil: Int64 = .min
    }

    let correlations: [CorrelationRule]
    /// What the hot path needs of each correlation, apart from the rule (which is large: copying
    /// it per event would cost more than the window's work).
    private enum Kind { case eventCount, valueCount, temporal, ordered }
    private let kinds: [Kind]
    private let spans: [Int64]
    private let conditions: [CountCondition]
    private let ruleCounts: [Int]
    /// For each base rule index, the correlations that refer to it (by name or id).
    private var byRule: [Int: [(correlation: Int, position: Int)]] = [:]
    /// Correlations with the same parameters as an earlier one (its twins) share its state:
    /// they fire when it fires, and are not advanced on their own.
    private var twins: [Int: [Int]] = [:]
    /// For each correlation, the correlations that refer to it (chains).
    private var byCorrelation: [Int: [(correlation: Int, position: Int)]] = [:]
    /// Groups by the 64-bit hash of their group-by values: no string is built or SipHashed per
    /// event. Two groups colliding (odds about n²/2⁶⁵ for n groups) would share a window.
    private var groups: [[UInt64: Group]]
    /// The group-by fields of each correlation for each of its rules (aliases differ by rule).
    private var groupFields: [[[Field?]]]
    private var valueField: [Field?]

    init(correlations: [CorrelationRule], rules: [Rule]) {
        self.correlations = correlations
        kinds = correlations.map {
            switch $0.type {
            case "event_count": .eventCount
            case "value_count": .valueCount
            case "temporal": .temporal
            default: .ordered
            }
        }
        spans = correlations.map { $0.timespan * 1_000_000_000 }
        conditions = correlations.map(\.condition)
        ruleCounts = correlations.map(\.rules.count)
        groups = Array(repeating: [:], count: correlations.count)
        groupFields = correlations.map { correlation in
            correlation.rules.map { reference in
                correlation.groupBy.map { name in Field.named(correlation.aliases[name]?[reference] ?? name) }
            }
        }
        valueField = correlations.map { $0.field.flatMap(Field.named) }
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
        func mix(_ bytes: UnsafeBufferPointer<UInt8>) {
            for byte in bytes {
                hash ^= UInt64(byte)
                hash &*= 0x0000_0100_0000_01B3
            }
        }
        switch value {
        case .string(var text)?: text.withUTF8(mix)
        case .int(let number)?:
            withUnsafeBytes(of: number.littleEndian) { mix($0.bindMemory(to: UInt8.self)) }
            hash ^= 0x49
        case .bool(let flag)?: hash ^= flag ? 0x54 : 0x46
        case nil: break
        }
        hash ^= 0x1F
        hash &*= 0x0000_0100_0000_01B3
        return hash
    }

    /// Whether two correlations count the same thing the same way.
    private static func same(_ a: CorrelationRule, _ b: CorrelationRule) -> Bool {
        a.type == b.type && a.rules == b.rules && a.groupBy == b.groupBy && a.aliases == b.aliases
            && a.timespan == b.timespan && a.condition == b.condition && a.field == b.field
    }

    /// Base rules some correlation refers to.
    var referencedRules: Set<Int> { Set(byRule.keys) }

    /// Takes a match of base rule `rule` on `event`; returns the correlations that fired.
    func observe(rule: Int, event: Event) -> [Firing] {
        guard let targets = byRule[rule] else { return [] }
        var fired: [Firing] = []
        for target in targets { advance(target.correlation, position: target.position, event: event, into: &fired) }
        return fired
    }

    private func advance(_ index: Int, position: Int, event: Event, into fired: inout [Firing]) {
        let kind = kinds[index]
        let condition = conditions[index]
        let ruleCount = ruleCounts[index]
        let time = event.time.nanoseconds
        let span = spans[index]
        let fields = groupFields[index][position]
        var key: UInt64 = 0xcbf2_9ce4_8422_2325
        for field in fields {
            key = Self.hash(field.flatMap { event[$0] }, into: key)
        }
        // The group is changed where it lies: a copy would copy its arrays on every event.
        let outcome: Bool? = Self.mutate(&groups[index][key, default: Group()]) { group in
            group.touched = time
            if time < group.quietUntil { return nil }
            var fire = false
            switch kind {
            case .eventCount:
                group.times.append(time)
                var stale = 0
                while stale < group.times.count && group.times[stale] < time - span { stale += 1 }
                if stale > 0 { group.times.removeFirst(stale) }
                fire = condition.holds(group.times.count)
            case .valueCount:
                let value = Self.hash(valueField[index].flatMap { event[$0] }, into: 0xcbf2_9ce4_8422_2325)
                group.values[value] = time
                group.oldestValue = min(group.oldestValue, time)
                if (condition.holds(group.values.count) || group.values.count > 1024)
                    && group.oldestValue < time - span
                {
                    // Only then are values from before the window dropped: the count is exact
                    // when it matters, the table stays small, and a long burst prunes once per
                    // window rather than on every event.
                    group.values = group.values.filter { $0.value >= time - span }
                    group.oldestValue = group.values.values.min() ?? .max
                }
                fire = condition.holds(group.values.count)
            case .temporal:
                group.lastByRule[position] = time
                group.lastByRule = group.lastByRule.filter { $0.value >= time - span }
                let seen = group.lastByRule.count
                fire = condition.bounds.isEmpty ? seen == ruleCount : condition.holds(seen)
            case .ordered:  // temporal_ordered: the rules in their order, all within the span of the first
                if group.progress > 0 && time - group.started > span { group = Group() }
                if position == group.progress {
                    if group.progress == 0 { group.started = time }
                    group.progress += 1
                } else if position == 0 {
                    // The first step again (more failures): the sequence starts from the latest.
                    group = Group()
                    group.progress = 1
                    group.started = time
                } else if position > group.progress {
                    return nil
                }
                fire = group.progress == ruleCount
            }
            // Evidence is the window's events: those that fell out of it go.
            if let oldest = group.evidence.first, oldest.time.nanoseconds < time - span {
                group.evidence.removeAll { $0.time.nanoseconds < time - span }
            }
            if group.evidence.count < Self.evidencePerWindow { group.evidence.append(event) }
            return fire
        }
        guard outcome == true else {
            if groups[index].count > Self.maxGroups { expire(index, now: time, span: span) }
            return
        }
        let evidence = groups[index][key]?.evidence ?? [event]
        var quiet = Group()
        quiet.touched = time
        quiet.quietUntil = time + span
        groups[index][key] = quiet
        for fires in [index] + (twins[index] ?? []) {
            fired.append(Firing(correlation: fires, events: evidence))
            // A correlation that fired is an event for the correlations chained on it.
            for target in byCorrelation[fires] ?? [] {
                advance(target.correlation, position: target.position, event: event, into: &fired)
            }
        }
        if groups[index].count > Self.maxGroups { expire(index, now: time, span: span) }
    }

    @inline(__always)
    private static func mutate<Result>(_ group: inout Group, _ body: (inout Group) -> Result) -> Result {
        body(&group)
    }

    /// Drops the groups whose window has passed; if that is not enough, the stalest half.
    private func expire(_ index: Int, now: Int64, span: Int64) {
        groups[index] = groups[index].filter { $0.value.touched >= now - span }
        if groups[index].count > Self.maxGroups {
            let ordered = groups[index].sorted { $0.value.touched > $1.value.touched }
            groups[index] = Dictionary(
                uniqueKeysWithValues: ordered.prefix(Self.maxGroups / 2).map { ($0.key, $0.value) })
        }
    }
}
