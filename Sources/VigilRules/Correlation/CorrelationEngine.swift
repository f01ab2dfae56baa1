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
/// Per correlation, groups (the values of its `group-by` fields, hashed) keep their recent
/// events in time order (``CorrelationWindow``; ``OrderedSteps`` for temporal_ordered). A
/// correlation fires when a window of its timespan meets its condition; the events of every such
/// window are counted, each once, so a finding's count is the events that met the rule and its
/// first and last times are theirs.
///
/// Bounds, whatever the input: an event may arrive up to ``lateness`` behind the newest event the
/// correlation has seen and still be judged exactly; an older one is not correlated (and is
/// counted in ``late`` for a warning). A group keeps the entries of its last timespan plus
/// ``lateness``, at most ``capacity(for:)``; at most ``maxGroups`` groups are kept per
/// correlation (those whose time has passed go first, then the stalest half).
final class CorrelationEngine {
    static let maxGroups = 50_000
    /// How far behind the newest event an event may arrive and still be correlated: 15 minutes.
    static let lateness: Int64 = 15 * 60 * 1_000_000_000
    /// Entries kept per group at most.
    static let maxEntries = 4_096
    /// Events a group keeps as evidence.
    static let evidencePerGroup = 5

    /// A correlation that fired: the events it newly counted, and who it is about.
    struct Firing {
        var correlation: Int
        /// The group's key (the hash of its group-by values).
        var group: UInt64
        /// The entries newly counted, in time order (a few carry their event as evidence).
        var counted: [CorrelationWindow.Entry]
        /// The event that made it fire.
        var last: Event
        /// The account and host: for a sequence, those of the event completing it; otherwise
        /// those every event of the group shares (`nil` when they differ).
        var user: String?
        var host: String?
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
    private var windows: [[UInt64: CorrelationWindow]]
    private var sequences: [[UInt64: OrderedSteps]]
    /// The group-by fields of each correlation for each of its rules (aliases differ by rule).
    private var groupFields: [[[Field?]]]
    private var valueField: [Field?]
    /// The newest event time each correlation has seen.
    private var newest: [Int64]
    /// Events too far behind the newest to be correlated, by input.
    private(set) var late: [String: (count: Int, first: SourceLocation)] = [:]

    init(correlations: [CorrelationRule], rules: [Rule]) {
        self.correlations = correlations
        shapes = correlations.map {
            CorrelationRule.Shape(
                kind: $0.type, span: $0.timespan * 1_000_000_000, condition: $0.condition, ruleCount: $0.rules.count)
        }
        windows = Array(repeating: [:], count: correlations.count)
        sequences = Array(repeating: [:], count: correlations.count)
        newest = Array(repeating: .min, count: correlations.count)
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

    /// Entries one group of `index` keeps. An event_count needs only its threshold's worth (a
    /// window crossing it holds no more, so the count stays exact); the others keep up to
    /// ``maxEntries`` (a value_count reached after more events than that counts the last ones).
    private func capacity(for index: Int) -> Int {
        guard shapes[index].kind == .eventCount else { return Self.maxEntries }
        return min(Self.maxEntries, max(64, shapes[index].condition.largestValue * 2 + 16))
    }

    /// Takes a match of base rule `rule` on `event`; returns the correlations that fired.
    func observe(rule: Int, event: Event) -> [Firing] {
        guard let targets = byRule[rule] else { return [] }
        var fired: [Firing] = []
        for target in targets {
            advance(
                target.correlation, position: target.position, event: event, time: event.time.nanoseconds, into: &fired)
        }
        return fired
    }

    private func advance(_ index: Int, position: Int, event: Event, time: Int64, into fired: inout [Firing]) {
        let shape = shapes[index]
        if newest[index] != .min && time < newest[index] - Self.lateness {
            let path = event.source.path
            if let known = late[path] {
                late[path] = (known.count + 1, known.first)
            } else {
                late[path] = (1, event.source)
            }
            return
        }
        newest[index] = max(newest[index], time)
        var key: UInt64 = 0xcbf2_9ce4_8422_2325
        for field in groupFields[index][position] {
            key = Self.hash(field.flatMap { event[$0] }, into: key)
        }
        let horizon = newest[index] - shape.span - Self.lateness
        let capacity = capacity(for: index)
        var firing = Firing(correlation: index, group: key, counted: [], last: event)
        if shape.kind == .temporalOrdered {
            // The group is changed where it lies: a copy would copy its arrays on every event.
            firing.counted = Self.mutate(&sequences[index][key, default: OrderedSteps(rules: shape.ruleCount)]) {
                steps in
                _ = steps.trim(before: horizon, capacity: capacity)
                return steps.add(
                    time: time, position: position, event: event, evidenceLimit: Self.evidencePerGroup,
                    span: shape.span)
            }
            firing.user = event[.userName]?.description
            firing.host = event[.hostName]?.description
            if sequences[index].count > Self.maxGroups { expire(index, horizon: horizon) }
        } else {
            let value: UInt64 =
                shape.kind == .valueCount
                ? Self.hash(valueField[index].flatMap { event[$0] }, into: 0xcbf2_9ce4_8422_2325)
                : UInt64(position)
            var shared: (user: String?, host: String?) = (nil, nil)
            firing.counted = Self.mutate(&windows[index][key, default: CorrelationWindow()]) { window in
                _ = window.trim(before: horizon, capacity: capacity)
                let counted = window.add(
                    time: time, value: value, event: event,
                    keepEvidence: window.evidenceKept < Self.evidencePerGroup, rule: shape)
                shared = (window.user.value, window.host.value)
                return counted
            }
            firing.user = shared.user
            firing.host = shared.host
            if windows[index].count > Self.maxGroups { expire(index, horizon: horizon) }
        }
        guard !firing.counted.isEmpty else { return }
        for fires in [index] + (twins[index] ?? []) {
            firing.correlation = fires
            fired.append(firing)
            // Each event it counted is an event, at its own time, for the correlations chained on it.
            for target in byCorrelation[fires] ?? [] {
                for entry in firing.counted {
                    advance(
                        target.correlation, position: target.position, event: entry.evidence?.event ?? event,
                        time: entry.time, into: &fired)
                }
            }
        }
    }

    @inline(__always)
    private static func mutate<Group, Result>(_ group: inout Group, _ body: (inout Group) -> Result) -> Result {
        body(&group)
    }

    /// Drops the groups whose time has passed; if that is not enough, the stalest half.
    private func expire(_ index: Int, horizon: Int64) {
        if shapes[index].kind == .temporalOrdered {
            sequences[index] = sequences[index].filter { $0.value.latest >= horizon }
            if sequences[index].count > Self.maxGroups {
                let kept = sequences[index].sorted { $0.value.latest > $1.value.latest }.prefix(Self.maxGroups / 2)
                sequences[index] = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
            }
        } else {
            windows[index] = windows[index].filter { $0.value.latest >= horizon }
            if windows[index].count > Self.maxGroups {
                let kept = windows[index].sorted { $0.value.latest > $1.value.latest }.prefix(Self.maxGroups / 2)
                windows[index] = Dictionary(uniqueKeysWithValues: kept.map { ($0.key, $0.value) })
            }
        }
    }
}
