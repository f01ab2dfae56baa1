public import VigilCore

/// Runs every rule over a stream of events and aggregates the matches into findings.
///
/// The same rule and subject give one finding with a count, first and last time and up to
/// ``Finding/evidenceLimit`` pieces of evidence; for credentials the account, server and secret
/// digest are part of the subject, so two different passwords give two findings. Memory grows
/// with the number of distinct findings, not with the number of events.
public final class RuleEngine {
    private let rules: [Rule]
    /// The rules behind references: looking one up on the hot path is a retain, not a copy of
    /// its title, description, tests and detection.
    private let compiled: [Compiled]

    private final class Compiled {
        let rule: Rule
        init(_ rule: Rule) { self.rule = rule }

        /// ``RuleEngine/matches(_:_:)`` on the rule where it lies (a method reads its fields in
        /// place; passing `rule` on would copy it).
        func matches(_ event: Event) -> Bool {
            if let kinds = rule.kinds, !kinds.contains(event.kind) { return false }
            return rule.selection.admitsSource(event) && (rule.kindOnly || rule.detection.matches(event))
        }
    }
    private var aggregates: [AggregateKey: Aggregate] = [:]
    private var order: [AggregateKey] = []
    /// Events seen, whether or not any rule matched.
    public private(set) var eventCount = 0
    /// Findings so far (distinct rule and subject), cheap to ask at any time.
    public var findingCount: Int { order.count }

    private struct AggregateKey: Hashable {
        var rule: Int
        var subject: Subject
        var account: [String?]
        /// For a credential, its secret: two passwords for one account are two findings.
        var secret: Secret? = nil
        /// For a correlation, its group (the hash of its group-by values); 0 otherwise.
        var group: UInt64 = 0
    }

    private struct Aggregate {
        var first: Timestamp
        var last: Timestamp
        var count: Int
        var evidence: [Evidence]
        var credential: Credential?
        /// For a correlation, who it is about (what its firings agree on).
        var subject: Subject?
    }

    /// Rules by the event kinds they admit, and those that admit any kind: an event is shown
    /// only to the rules that can match it.
    private var byKind: [EventKind: [Int]] = [:]
    private var anyKind: [Int] = []
    private var lastKind: EventKind?
    private var lastRules: [Int] = []

    private let correlationRules: [CorrelationRule]
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
        for (index, rule) in rules.enumerated() {
            if let kinds = rule.kinds {
                for kind in kinds { byKind[kind, default: []].append(index) }
            } else {
                anyKind.append(index)
            }
        }
    }

    /// The rules that may match an event of `kind`, in rule order.
    private func candidates(_ kind: EventKind) -> [Int] {
        if kind == lastKind { return lastRules }
        let found = ((byKind[kind] ?? []) + anyKind).sorted()
        lastKind = kind
        lastRules = found
        return found
    }

    /// Whether `rule` matches `event`: its log source admits the event and its condition holds.
    public static func matches(_ rule: Rule, _ event: Event) -> Bool {
        if let kinds = rule.kinds, !kinds.contains(event.kind) { return false }
        return rule.selection.admitsSource(event) && (rule.kindOnly || rule.detection.matches(event))
    }

    /// Runs every rule over `event`.
    public func process(_ event: Event) {
        eventCount += 1
        for index in candidates(event.kind) where compiled[index].matches(event) {
            if !silent.contains(index) { record(event, rule: index) }
            if let correlation {
                for firing in correlation.observe(rule: index, event: event) { record(firing) }
            }
        }
    }

    /// A correlation that fired: the events it newly counted join its finding for the group (for
    /// a sequence, for the account and host of the event completing it).
    private func record(_ firing: CorrelationEngine.Firing) {
        guard !silentCorrelations.contains(firing.correlation), let first = firing.counted.first,
            let last = firing.counted.last
        else { return }
        let rule = rules.count + firing.correlation
        let correlation = correlationRules[firing.correlation]
        var subject = Self.subject(of: firing.last)
        let groupBy = Set(correlation.groupBy)
        if !groupBy.contains("user.name") { subject.user = firing.user }
        if !groupBy.contains("host.name") { subject.host = firing.host }
        if !groupBy.contains("src.ip") && !groupBy.isEmpty { subject.ip = nil }
        let sequence = correlation.type == .temporalOrdered
        let key = AggregateKey(
            rule: rule, subject: sequence ? Subject(host: subject.host, user: subject.user) : Subject(), account: [],
            group: firing.group)
        // Evidence: the events kept of those counted, the earliest first, while there is room.
        let evidence = firing.counted.compactMap { entry in
            entry.evidence.map {
                Evidence(
                    source: $0.event.source.path, locator: $0.event.source.locator, summary: Self.summary(of: $0.event))
            }
        }
        let firstTime = Timestamp(nanoseconds: first.time)
        let lastTime = Timestamp(nanoseconds: last.time)
        if var aggregate = aggregates[key] {
            aggregate.first = min(aggregate.first, firstTime)
            aggregate.last = max(aggregate.last, lastTime)
            aggregate.count += firing.counted.count
            if aggregate.evidence.count < Finding.evidenceLimit {
                aggregate.evidence += evidence.prefix(Finding.evidenceLimit - aggregate.evidence.count)
            }
            if var known = aggregate.subject {
                if known.user != subject.user { known.user = nil }
                if known.host != subject.host { known.host = nil }
                if known.ip != subject.ip { known.ip = nil }
                aggregate.subject = known
            }
            aggregates[key] = aggregate
        } else {
            aggregates[key] = Aggregate(
                first: firstTime, last: lastTime, count: firing.counted.count,
                evidence: Array(evidence.prefix(Finding.evidenceLimit)), credential: nil, subject: subject)
            order.append(key)
        }
    }

    /// Events that arrived too far behind the newest to be correlated, by input: the count and
    /// the first one's place.
    public var lateEvents: [String: (count: Int, first: SourceLocation)] { correlation?.late ?? [:] }

    private func record(_ event: Event, rule: Int) {
        let subject = compiled[rule].rule.subject.map { Self.subject(of: event, fields: $0) } ?? Self.subject(of: event)
        let credential = event.credential
        let account: [String?] = credential.map { [$0.protocolName, $0.username, $0.server?.description] } ?? []
        let key = AggregateKey(rule: rule, subject: subject, account: account, secret: credential?.secret)
        let evidence = Evidence(
            source: event.source.path, locator: event.source.locator, summary: Self.summary(of: event))
        if var aggregate = aggregates[key] {
            aggregate.first = min(aggregate.first, event.time)
            aggregate.last = max(aggregate.last, event.time)
            aggregate.count += 1
            if aggregate.evidence.count < Finding.evidenceLimit { aggregate.evidence.append(evidence) }
            if aggregate.credential?.outcome == .unknown, let credential { aggregate.credential = credential }
            aggregates[key] = aggregate
        } else {
            aggregates[key] = Aggregate(
                first: event.time, last: event.time, count: 1, evidence: [evidence], credential: credential)
            order.append(key)
        }
    }

    /// Adds what `other` (an engine over the same rules, fed other events) aggregated: counts
    /// add up, times widen, evidence is appended up to the limit. Used to run several inputs
    /// on several cores and merge them in input order.
    public func merge(_ other: RuleEngine) {
        eventCount += other.eventCount
        for key in other.order {
            guard let theirs = other.aggregates[key] else { continue }
            if var ours = aggregates[key] {
                ours.first = min(ours.first, theirs.first)
                ours.last = max(ours.last, theirs.last)
                ours.count += theirs.count
                ours.evidence += theirs.evidence.prefix(max(0, Finding.evidenceLimit - ours.evidence.count))
                if ours.credential?.outcome == .unknown, let credential = theirs.credential {
                    ours.credential = credential
                }
                aggregates[key] = ours
            } else {
                aggregates[key] = theirs
                order.append(key)
            }
        }
    }

    /// The findings so far, most severe first, then by first sighting. A credential finding's
    /// identifier includes its secret's digest under `digest` (keyed: stable for one key).
    ///
    /// - Throws: ``OpenSSLError`` if the stable identifiers cannot be hashed.
    public func findings(digest: SecretDigest = .ephemeral()) throws -> [Finding] {
        var findings: [Finding] = []
        for key in order {
            guard let aggregate = aggregates[key] else { continue }
            let subject = aggregate.subject ?? key.subject
            if key.rule >= rules.count {
                let rule = correlationRules[key.rule - rules.count]
                let id = try Finding.stableID(
                    rule: rule.id, key: [subject.ip, subject.mac, subject.host, subject.user])
                findings.append(
                    Finding(
                        id: id, rule: rule.id, title: rule.title, severity: rule.severity, category: rule.category,
                        firstSeen: aggregate.first, lastSeen: aggregate.last, count: aggregate.count,
                        subject: subject, credential: nil, evidence: aggregate.evidence, remediation: rule.remediation,
                        checklist: rule.checklist))
                continue
            }
            let rule = rules[key.rule]
            let id = try Finding.stableID(
                rule: rule.id,
                key: [subject.ip, subject.mac, subject.host, subject.user] + key.account
                    + (key.secret.map { [digest.digest($0)] } ?? []))
            findings.append(
                Finding(
                    id: id, rule: rule.id, title: rule.title, severity: rule.severity, category: rule.category,
                    firstSeen: aggregate.first, lastSeen: aggregate.last, count: aggregate.count, subject: subject,
                    credential: aggregate.credential, evidence: aggregate.evidence, remediation: rule.remediation,
                    checklist: rule.checklist))
        }
        return findings.sorted {
            ($0.severity, $1.firstSeen, $1.id) > ($1.severity, $0.firstSeen, $0.id)
        }
    }

    /// Who a finding is about: the client for credentials and most events; for a protocol in
    /// use, the server offering it, since that is what must change; for a device, its MAC
    /// (its addresses and names change; they are in the evidence); for an account change, the
    /// account changed and its host. A rule may choose other fields with `vigil: subject:`.
    static func subject(of event: Event) -> Subject {
        if event.kind == .protocolObserved {
            return Subject(ip: event[.dstIP]?.description, host: event[.hostName]?.description)
        }
        if event.kind == .deviceObserved, let mac = event[.srcMAC]?.description {
            return Subject(mac: mac)
        }
        if event.kind == .accountChange {
            // The account the change is about, on its host: two accounts are two findings.
            let account = (event[.userTarget] ?? event[.userName])?.description
            return Subject(
                ip: event[.srcIP]?.description, host: event[.hostName]?.description,
                user: account?.isEmpty == true ? nil : account)
        }
        let user = event[.userName]?.description
        return Subject(
            ip: event[.srcIP]?.description, mac: event[.srcMAC]?.description, host: event[.hostName]?.description,
            user: user?.isEmpty == true ? nil : user)
    }

    /// The subject made of the chosen `fields` only.
    static func subject(of event: Event, fields: [Field]) -> Subject {
        var subject = Subject()
        for field in fields {
            let value = event[field]?.description
            switch field {
            case .srcIP, .dstIP: subject.ip = value
            case .srcMAC: subject.mac = value
            case .hostName: subject.host = value
            default: subject.user = value
            }
        }
        return subject
    }

    /// One sentence on what the event shows, for the evidence list. Never contains a secret.
    static func summary(of event: Event) -> String {
        if let credential = event.credential {
            var text = "\(credential.protocolName.uppercased()) login as '\(credential.username)'"
            if let client = credential.client { text += " from \(client)" }
            if let server = credential.server { text += " to \(server)" }
            switch credential.outcome {
            case .success(let reply): text += ", accepted" + (reply.map { " (\($0))" } ?? "")
            case .failure(let reply): text += ", rejected" + (reply.map { " (\($0))" } ?? "")
            case .unknown: text += ", no server answer seen"
            }
            if !credential.packets.isEmpty {
                text += "; packets " + credential.packets.map(String.init).joined(separator: ", ")
            }
            return text
        }
        // Evidence never holds a secret: text fields that carry one (the log line of a password
        // typed as a user name) are scrubbed.
        let secrets = event.secretsInText
        let fields = event.allFields.map {
            "\($0.field)=\(Secret.scrub($0.value.description, of: secrets, reveal: false))"
        }
        .joined(separator: " ")
        return fields.isEmpty ? event.kind.rawValue : "\(event.kind): \(fields)"
    }
}
