public import VigilCore

/// Runs every rule over a stream of events and aggregates the matches into findings.
///
/// The same rule and subject give one finding with a count, first and last time and up to
/// ``Finding/evidenceLimit`` pieces of evidence; for credentials the account, server and secret
/// digest are part of the subject, so two different passwords give two findings. Memory grows
/// with the number of distinct findings, not with the number of events.
public final class RuleEngine {
    let rules: [Rule]
    /// The rules behind references: looking one up on the hot path is a retain, not a copy of
    /// its title, description, tests and detection.
    private let compiled: [Compiled]

    private final class Compiled {
        let rule: Rule
        let detection: Detection
        let kindOnly: Bool
        init(_ rule: Rule) {
            self.rule = rule
            detection = rule.detection
            kindOnly = rule.kindOnly
        }

        /// ``RuleEngine/matches(_:_:)`` on the rule where it lies (a method reads its fields in
        /// place; passing `rule` on would copy it).
        func matches(_ event: Event) -> Bool {
            if let kinds = rule.kinds, !kinds.contains(event.kind) { return false }
            return rule.selection.admitsSource(event) && (rule.kindOnly || rule.detection.matches(event))
        }
    }
    /// Findings so far, in the order they were first seen, and where each is by its key.
    var aggregates: [Aggregate] = []
    var keys: [AggregateKey] = []
    private var positions: [AggregateKey: Int] = [:]
    /// Events seen, whether or not any rule matched.
    public private(set) var eventCount = 0
    /// Findings so far (distinct rule and subject), cheap to ask at any time.
    public var findingCount: Int { aggregates.count }

    struct AggregateKey: Hashable {
        var rule: Int
        var subject: Subject
        var account: [String?]
        /// For a credential, its secret: two passwords for one account are two findings.
        var secret: Secret? = nil
        /// For a correlation, its group (the hash of its group-by values); 0 otherwise.
        var group: UInt64 = 0
    }

    struct Aggregate {
        var first: Timestamp
        var last: Timestamp
        var count: Int
        /// Written at once, or kept by reference until the finding is reported.
        var evidence: [PendingEvidence]
        var credential: Credential?
        /// For a correlation, who it is about (what its firings agree on).
        var subject: Subject?
    }

    /// The rules an event is shown, worked out once per kind of event and kind of line (the
    /// event kind, where it was read, its program and header format): the rules whose log
    /// source admits such events, in rule order. The last list is kept at hand, the others in
    /// ``dispatch``.
    private struct Dispatch {
        var rules: [Int32]
        /// Some of them are judged by the keyword filter first.
        var filtered: Bool
    }
    private struct DispatchKey: Hashable {
        var kind: EventKind
        var input: InputID
        var capture: Bool
        var service: String?
        var format: String?
        var facility: Int?
    }
    private var dispatch: [DispatchKey: Dispatch] = [:]
    private var lastKey: DispatchKey?
    private var lastDispatch = Dispatch(rules: [], filtered: false)
    /// One pass over an event's text says which keyword rules can match it.
    private let filter: KeywordFilter?
    /// Per rule, whether the filter judges it.
    private let filtered: [Bool]
    private let found: UnsafeMutablePointer<UInt64>

    let correlationRules: [CorrelationRule]
    /// What a firing's finding needs of its correlation, apart from the rule (a copy of which,
    /// per firing, would retain each of its strings and arrays).
    private struct CorrelationTraits {
        var byUser: Bool
        var byHost: Bool
        var byIP: Bool
        var grouped: Bool
        var sequence: Bool
    }
    private let correlationTraits: [CorrelationTraits]
    private let correlation: CorrelationEngine?
    /// Base rules that only feed correlations (Sigma's `generate: false`, the default).
    private let silent: Set<Int>
    /// Correlations that only feed other correlations (chains), likewise.
    private let silentCorrelations: Set<Int>

    /// An engine running `rules` and `correlations` over the events it is given.
    public init(rules: [Rule], correlations: [CorrelationRule] = []) {
        self.rules = rules
        compiled = rules.map(Compiled.init)
        correlationRules = correlations
        correlationTraits = correlations.map {
            CorrelationTraits(
                byUser: $0.groupBy.contains("user.name"), byHost: $0.groupBy.contains("host.name"),
                byIP: $0.groupBy.contains("src.ip"), grouped: !$0.groupBy.isEmpty, sequence: $0.type == .temporalOrdered
            )
        }
        var quietCorrelations: Set<Int> = []
        for (index, item) in correlations.enumerated() {
            let referrers = correlations.filter { other in
                other.rules.contains { $0 == item.id || $0 == item.sigmaID }
            }
            if !referrers.isEmpty && !referrers.contains(where: \.generate) { quietCorrelations.insert(index) }
        }
        silentCorrelations = quietCorrelations
        if correlations.isEmpty {
            correlation = nil
            silent = []
        } else {
            let engine = CorrelationEngine(correlations: correlations, rules: rules)
            correlation = engine
            var quiet = engine.referencedRules
            for rule in quiet {
                let generating = correlations.contains { item in
                    item.generate && item.rules.contains { $0 == rules[rule].id || $0 == rules[rule].sigmaID }
                }
                if generating { quiet.remove(rule) }
            }
            silent = quiet
        }
        let literals = rules.map { RequiredLiterals.of($0.detection) }
        filter = KeywordFilter(literals: literals)
        filtered = filter == nil ? rules.map { _ in false } : literals.map { $0 != nil }
        found = .allocate(capacity: max(1, filter?.words ?? 1))
        found.initialize(repeating: 0, count: max(1, filter?.words ?? 1))
    }

    deinit { found.deallocate() }

    /// The rules shown an event like `event`.
    @inline(__always)
    private func candidates(_ event: Event) -> Dispatch {
        let key = DispatchKey(
            kind: event.kind, input: event.source.input,
            capture: { if case .packet = event.source.position { true } else { false } }(),
            service: event[.service]?.description, format: event[.logFormat]?.description,
            facility: SourceSelection.Stream.facility(of: event))
        if key == lastKey { return lastDispatch }
        lastKey = key
        if let known = dispatch[key] {
            lastDispatch = known
            return known
        }
        let fileName = SourceSelection.Stream.fileName(key.input.path)
        var chosen: [Int32] = []
        for (index, rule) in rules.enumerated() {
            if let kinds = rule.kinds, !kinds.contains(key.kind) { continue }
            guard
                rule.selection.admits(
                    kind: key.kind, origin: key.capture ? .capture : .log, format: key.format, service: key.service,
                    fileName: fileName, facility: key.facility)
            else { continue }
            chosen.append(Int32(index))
        }
        let made = Dispatch(rules: chosen, filtered: chosen.contains { filtered[Int($0)] })
        if dispatch.count < 65_536 { dispatch[key] = made }
        lastDispatch = made
        return made
    }

    /// Runs the keyword filter over what keywords search in `event`: its raw record and its
    /// text field values.
    private func scan(_ event: Event) {
        guard let filter else { return }
        found.update(repeating: 0, count: filter.words)
        if let text = event.text { text.withBytes { filter.scan($0, into: found) } }
        // Every field value, as keywords see it (`matchesAnywhere`: numbers, booleans and
        // addresses in their text form too).
        for entry in event.fields {
            var value: String
            if case .string(let text) = entry.value { value = text } else { value = entry.value.description }
            value.withUTF8 { filter.scan(UnsafeRawBufferPointer($0), into: found) }
        }
    }

    /// Whether `rule` matches `event`: its log source admits the event and its condition holds.
    public static func matches(_ rule: Rule, _ event: Event) -> Bool {
        if let kinds = rule.kinds, !kinds.contains(event.kind) { return false }
        return rule.selection.admitsSource(event) && (rule.kindOnly || rule.detection.matches(event))
    }

    /// Runs every rule over `event`.
    public func process(_ event: Event) {
        eventCount += 1
        let chosen = candidates(event)
        if chosen.filtered { scan(event) }
        for rule in chosen.rules {
            let index = Int(rule)
            if filtered[index] && found[index >> 6] & (1 << UInt64(index & 63)) == 0 { continue }
            let compiled = compiled[index]
            guard compiled.kindOnly || compiled.detection.matches(event) else { continue }
            if !silent.contains(index) { record(event, rule: index) }
            if let correlation {
                for firing in correlation.observe(rule: index, event: event) { record(firing, event) }
            }
        }
    }

    /// A piece of evidence, written or kept by reference.
    enum PendingEvidence {
        case written(Evidence)
        case reference(EvidenceReference)
    }

    /// The aggregate of `key`, made with `make` when new; `body` changes it in place.
    private func aggregate(_ key: AggregateKey, make: () -> Aggregate, _ body: (inout Aggregate) -> Void) {
        if let position = positions[key] {
            body(&aggregates[position])
        } else {
            positions[key] = aggregates.count
            keys.append(key)
            aggregates.append(make())
        }
    }

    /// A correlation that fired on `event`: the events it newly counted join its finding for the
    /// group (for a sequence, for the account and host of the event completing it).
    private func record(_ firing: CorrelationEngine.Firing, _ event: Event) {
        guard !silentCorrelations.contains(firing.correlation), let first = firing.counted.first,
            let last = firing.counted.last
        else { return }
        let rule = rules.count + firing.correlation
        var subject = Self.subject(of: event)
        let traits = correlationTraits[firing.correlation]
        if !traits.byUser && !firing.sharesUser { subject.user = nil }
        if !traits.byHost && !firing.sharesHost { subject.host = nil }
        if !traits.byIP && traits.grouped { subject.ip = nil }
        let sequence = traits.sequence
        let key = AggregateKey(
            rule: rule, subject: sequence ? Subject(host: subject.host, user: subject.user) : Subject(), account: [],
            group: firing.group)
        let firstTime = Timestamp(nanoseconds: first.time)
        let lastTime = Timestamp(nanoseconds: last.time)
        // Evidence: the references of those counted, the earliest first, while there is room.
        func add(to evidence: inout [PendingEvidence]) {
            for entry in firing.counted where evidence.count < Finding.evidenceLimit {
                if let reference = entry.evidence { evidence.append(.reference(reference)) }
            }
        }
        aggregate(key) {
            var made = Aggregate(
                first: firstTime, last: lastTime, count: firing.counted.count, evidence: [], credential: nil,
                subject: subject)
            add(to: &made.evidence)
            return made
        } _: { aggregate in
            aggregate.first = min(aggregate.first, firstTime)
            aggregate.last = max(aggregate.last, lastTime)
            aggregate.count += firing.counted.count
            add(to: &aggregate.evidence)
            if var known = aggregate.subject {
                if known.user != subject.user { known.user = nil }
                if known.host != subject.host { known.host = nil }
                if known.ip != subject.ip { known.ip = nil }
                aggregate.subject = known
            }
        }
    }

    /// Events that arrived too far behind the newest to be correlated, by input: the count and
    /// the first one's place.
    public var lateEvents: [String: (count: Int, first: SourceLocation)] {
        var byPath: [String: (count: Int, first: SourceLocation)] = [:]
        for (input, late) in correlation?.late ?? [:] { byPath[input.path] = late }
        return byPath
    }

    /// Correlations that had to let groups go before their time had passed (more sources at
    /// once than their bounds hold), with how many: their findings may be incomplete.
    public var droppedGroups: [(correlation: String, groups: Int)] {
        guard let correlation else { return [] }
        return correlation.dropped.enumerated().filter { $0.element > 0 }.map {
            (correlationRules[$0.offset].id, $0.element)
        }
    }

    private func record(_ event: Event, rule: Int) {
        let subject = compiled[rule].rule.subject.map { Self.subject(of: event, fields: $0) } ?? Self.subject(of: event)
        let credential = event.credential
        let account: [String?] = credential.map { [$0.protocolName, $0.username, $0.server?.description] } ?? []
        let key = AggregateKey(rule: rule, subject: subject, account: account, secret: credential?.secret)
        aggregate(key) {
            Aggregate(
                first: event.time, last: event.time, count: 1, evidence: [.written(Self.evidence(of: event))],
                credential: credential)
        } _: { aggregate in
            aggregate.first = min(aggregate.first, event.time)
            aggregate.last = max(aggregate.last, event.time)
            aggregate.count += 1
            // The summary is written only while there is room for it.
            if aggregate.evidence.count < Finding.evidenceLimit {
                aggregate.evidence.append(.written(Self.evidence(of: event)))
            }
            if aggregate.credential?.outcome == .unknown, let credential { aggregate.credential = credential }
        }
    }

    static func evidence(of event: Event) -> Evidence {
        Evidence(source: event.source.path, locator: event.source.locator, summary: summary(of: event))
    }

    /// Adds what `other` (an engine over the same rules, fed other events) aggregated: counts
    /// add up, times widen, evidence is appended up to the limit. Used to run several inputs
    /// on several cores and merge them in input order.
    public func merge(_ other: RuleEngine) {
        eventCount += other.eventCount
        for (key, theirs) in zip(other.keys, other.aggregates) {
            aggregate(key) {
                theirs
            } _: { ours in
                ours.first = min(ours.first, theirs.first)
                ours.last = max(ours.last, theirs.last)
                ours.count += theirs.count
                ours.evidence += theirs.evidence.prefix(max(0, Finding.evidenceLimit - ours.evidence.count))
                if ours.credential?.outcome == .unknown, let credential = theirs.credential {
                    ours.credential = credential
                }
            }
        }
    }
}
