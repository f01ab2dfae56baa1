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
    var positions: [AggregateKey: Int] = [:]
    /// Events seen, whether or not any rule matched.
    public internal(set) var eventCount = 0
    /// Events of the stream so far, this engine's and those it was only shown (``pass(_:)``).
    public internal(set) var ordinal = 0
    /// The records made for the current event (``Order/step``).
    private var step = 0
    /// The newest time of the stream's events of a kind some correlation reads: the correlations'
    /// clock (lateness and groups leaving are judged against it).
    var clock: Int64 = .min
    /// Per kind number, whether correlations read it (a kind past the end: not, unless
    /// ``anyKindCorrelated``).
    let correlatedKinds: [Bool]
    /// Some correlation reads events of any kind.
    let anyKindCorrelated: Bool
    /// The field every correlation groups by (the same field in each of its rules): events of
    /// one group agree on it, so groups can be shared out among engines by its value.
    public let partitionField: Field?
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
        /// Where in the stream it was first seen (``Order``), and each piece of evidence: engines
        /// that shared one stream merge into what one engine would have made of it.
        var order: Order
        var evidenceOrder: [Order] = []
        /// Where its credential came from, and whether its outcome is known.
        var credentialOrder: Order = Order(event: -1, step: 0)
    }

    /// A place in the stream: the event's ordinal, then the step of its processing (the rules
    /// and correlations one event fires, in the order one engine records them).
    struct Order: Comparable {
        var event: Int
        var step: Int
        static func < (a: Order, b: Order) -> Bool { (a.event, a.step) < (b.event, b.step) }
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
    /// The last few kinds of line seen and their rules, most recent first: a log alternates
    /// between a few (failures, invalid users, disconnects), and comparing small strings costs
    /// less than hashing them into ``dispatch``.
    private var recent: [(key: DispatchKey, dispatch: Dispatch)] = []
    private static let recentLimit = 6
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
    let correlation: CorrelationEngine?
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
        partitionField = Self.partitionField(correlations)
        if correlations.isEmpty {
            correlation = nil
            silent = []
            correlatedKinds = []
            anyKindCorrelated = false
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
            let read = engine.referencedRules.map { rules[$0].kinds }
            anyKindCorrelated = read.contains { $0 == nil }
            let kinds = read.flatMap { $0 ?? [] }
            var flags = [Bool](repeating: false, count: Int(kinds.map(\.id).max() ?? 0) + 1)
            for kind in kinds { flags[Int(kind.id)] = true }
            correlatedKinds = flags
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
        if let hit = recent.firstIndex(where: { $0.key == key }) {
            if hit > 0 { recent.swapAt(hit, hit - 1) }
            return recent[hit > 0 ? hit - 1 : 0].dispatch
        }
        if let known = dispatch[key] {
            remember(key, known)
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
        remember(key, made)
        return made
    }

    /// Keeps `key` among the ``recent`` ones, in the place of the least recent.
    private func remember(_ key: DispatchKey, _ made: Dispatch) {
        if recent.count < Self.recentLimit {
            recent.append((key, made))
        } else {
            recent[recent.count - 1] = (key, made)
        }
    }

    /// Runs the keyword filter over what keywords search in `event` (``ValueMatcher``'s
    /// `matchesAnywhere`): its raw record, or without one its field values.
    private func scan(_ event: Event) {
        guard let filter else { return }
        found.update(repeating: 0, count: filter.words)
        if let text = event.text { text.withBytes { filter.scan($0, into: found) } }
        // Every field value, as keywords see it (numbers, booleans and addresses in their text
        // form too): all of them without a raw record, else a `log.message` a source set.
        for entry in event.fields where event.text == nil || entry.field == .logMessage {
            var value: String
            if case .text(let text) = entry.value {
                text.withBytes { filter.scan($0, into: found) }
                continue
            }
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
        ordinal += 1
        step = 0
        if correlated(event.kind) { clock = max(clock, event.time.nanoseconds) }
        let chosen = candidates(event)
        if chosen.filtered { scan(event) }
        for rule in chosen.rules {
            let index = Int(rule)
            if filtered[index] && found[index >> 6] & (1 << UInt64(index & 63)) == 0 { continue }
            let compiled = compiled[index]
            guard compiled.kindOnly || compiled.detection.matches(event) else { continue }
            if !silent.contains(index) { record(event, rule: index) }
            if let correlation {
                for firing in correlation.observe(rule: index, event: event, clock: clock) { record(firing, event) }
            }
        }
    }

    /// A piece of evidence, written or kept by reference.
    enum PendingEvidence {
        case written(Evidence)
        case reference(EvidenceReference)
    }

    /// The place in the stream of the record being made.
    private func nextOrder() -> Order {
        defer { step += 1 }
        return Order(event: ordinal, step: step)
    }

    /// The aggregate of `key`, made with `make` when new; `body` changes it in place.
    func aggregate(_ key: AggregateKey, make: () -> Aggregate, _ body: (inout Aggregate) -> Void) {
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
        let order = nextOrder()
        // Evidence: the references of those counted, the earliest first, while there is room.
        func add(to aggregate: inout Aggregate) {
            for entry in firing.counted where aggregate.evidence.count < Finding.evidenceLimit {
                guard let reference = entry.evidence else { continue }
                aggregate.evidence.append(.reference(reference))
                aggregate.evidenceOrder.append(order)
            }
        }
        aggregate(key) {
            var made = Aggregate(
                first: firstTime, last: lastTime, count: firing.counted.count, evidence: [], credential: nil,
                subject: subject, order: order)
            add(to: &made)
            return made
        } _: { aggregate in
            aggregate.first = min(aggregate.first, firstTime)
            aggregate.last = max(aggregate.last, lastTime)
            aggregate.count += firing.counted.count
            add(to: &aggregate)
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
        let order = nextOrder()
        aggregate(key) {
            Aggregate(
                first: event.time, last: event.time, count: 1, evidence: [.written(Self.evidence(of: event))],
                credential: credential, order: order, evidenceOrder: [order], credentialOrder: order)
        } _: { aggregate in
            aggregate.first = min(aggregate.first, event.time)
            aggregate.last = max(aggregate.last, event.time)
            aggregate.count += 1
            // The summary is written only while there is room for it.
            if aggregate.evidence.count < Finding.evidenceLimit {
                aggregate.evidence.append(.written(Self.evidence(of: event)))
                aggregate.evidenceOrder.append(order)
            }
            if aggregate.credential?.outcome == .unknown, let credential {
                aggregate.credential = credential
                aggregate.credentialOrder = order
            }
        }
    }

    static func evidence(of event: Event) -> Evidence {
        Evidence(source: event.source.path, locator: event.source.locator, summary: summary(of: event))
    }
}
