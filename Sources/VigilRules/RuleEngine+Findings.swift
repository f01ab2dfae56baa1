public import VigilCore

extension RuleEngine {
    /// The findings so far, most severe first, then by first sighting. A credential finding's
    /// identifier includes its secret's digest under `digest` (keyed: stable for one key).
    /// Evidence kept by reference is summarised by `resolve` (which reads the lines again; the
    /// audit gives it), else named by its place only.
    ///
    /// - Throws: ``OpenSSLError`` if the stable identifiers cannot be hashed.
    public func findings(
        digest: SecretDigest = .ephemeral(),
        resolve: ((Set<EvidenceReference>) -> [EvidenceReference: String])? = nil
    ) throws -> [Finding] {
        var wanted = Set<EvidenceReference>()
        for aggregate in aggregates {
            for case .reference(let reference) in aggregate.evidence where reference.summary == nil {
                wanted.insert(reference)
            }
        }
        let summaries = wanted.isEmpty ? [:] : resolve?(wanted) ?? [:]
        func written(_ evidence: [PendingEvidence]) -> [Evidence] {
            evidence.map {
                switch $0 {
                case .written(let evidence): return evidence
                case .reference(let reference):
                    return Evidence(
                        source: reference.source.path, locator: reference.source.locator,
                        summary: reference.summary ?? summaries[reference] ?? "\(reference.kind) (not read again)")
                }
            }
        }
        var findings: [Finding] = []
        for (key, aggregate) in zip(keys, aggregates) {
            let subject = aggregate.subject ?? key.subject
            if key.rule >= rules.count {
                let rule = correlationRules[key.rule - rules.count]
                let id = try Finding.stableID(
                    rule: rule.id, key: [subject.ip, subject.mac, subject.host, subject.user])
                findings.append(
                    Finding(
                        id: id, rule: rule.id, title: rule.title, severity: rule.severity, category: rule.category,
                        firstSeen: aggregate.first, lastSeen: aggregate.last, count: aggregate.count,
                        subject: subject, credential: nil, evidence: written(aggregate.evidence),
                        remediation: rule.remediation, checklist: rule.checklist))
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
                    credential: aggregate.credential, evidence: written(aggregate.evidence),
                    remediation: rule.remediation, checklist: rule.checklist))
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
    public static func summary(of event: Event) -> String {
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
