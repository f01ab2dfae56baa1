internal import Foundation
public import VigilCore

/// What a checklist needs of a finding in a report: its title, rule, subject, credential, first
/// evidence, and the checklist item ids it calls for.
public struct ReportedFinding: Sendable, Equatable {
    public var title: String
    public var rule: String
    public var ip: String?
    public var mac: String?
    public var host: String?
    public var user: String?
    public var protocolName: String?
    public var server: String?
    public var evidence: String?
    public var checklist: [String]

    /// A finding as a checklist needs it: its rule, title, subject, evidence and checklist items.
    public init(
        title: String, rule: String, ip: String? = nil, mac: String? = nil, host: String? = nil, user: String? = nil,
        protocolName: String? = nil, server: String? = nil, evidence: String? = nil, checklist: [String]
    ) {
        self.title = title
        self.rule = rule
        self.ip = ip
        self.mac = mac
        self.host = host
        self.user = user
        self.protocolName = protocolName
        self.server = server
        self.evidence = evidence
        self.checklist = checklist
    }
}

/// Makes the checklist for an incident from the findings of a report (or from a template): the
/// items the findings call for and every item they depend on, placeholders filled with each
/// finding's subject, the same step once, ordered by phase and dependency.
public enum ChecklistBuilder {
    /// The findings of a JSON report (the contract's `findings`).
    public static func findings(reportJSON bytes: [UInt8], path: String) throws -> [ReportedFinding] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any],
            let findings = object["findings"] as? [[String: Any]]
        else {
            throw VigilError(.corrupt, path: path, reason: "not a Vigil JSON report (no 'findings' list)")
        }
        return findings.map { finding in
            let subject = finding["subject"] as? [String: Any]
            let credential = finding["credential"] as? [String: Any]
            // The newest piece of evidence: for a correlation, the event that completed it (the
            // success after the failures), for a single event rule its latest sighting kept.
            let evidence = (finding["evidence"] as? [[String: Any]])?.last
            return ReportedFinding(
                title: finding["title"] as? String ?? "", rule: finding["rule"] as? String ?? "",
                ip: subject?["ip"] as? String, mac: subject?["mac"] as? String, host: subject?["host"] as? String,
                user: ((subject?["user"] as? String) ?? (credential?["username"] as? String)).flatMap {
                    $0.isEmpty ? nil : $0
                },
                protocolName: credential?["protocol"] as? String, server: credential?["server"] as? String,
                evidence: evidence.map { "\($0["source"] as? String ?? "") \($0["locator"] as? String ?? "")" },
                checklist: finding["checklist"] as? [String] ?? [])
        }
    }

    /// The checklist the findings call for. Item ids no template defines are listed in `unknown`.
    public static func plan(findings: [ReportedFinding], items: [String: ChecklistTemplateItem]) -> (
        items: [PlannedChecklistItem], unknown: [String]
    ) {
        var instances: [(item: ChecklistTemplateItem, text: String, dependencies: [String])] = []
        var index: [String: Int] = [:]
        var unknown: [String] = []
        /// Adds `id` filled for `finding` (and what it depends on); returns its key.
        @discardableResult
        func add(_ id: String, _ finding: ReportedFinding?) -> String? {
            guard let item = items[id] else {
                if !unknown.contains(id) { unknown.append(id) }
                return nil
            }
            let text = fill(item.text, finding)
            // The same step for the same subject once, whichever finding asked for it first.
            let key = id + "\u{1F}" + subjectKey(item.text, finding)
            if index[key] != nil { return key }
            index[key] = instances.count
            instances.append((item, text, []))
            let position = instances.count - 1
            var dependencies: [String] = []
            for dependency in item.dependsOn {
                // A dependency with placeholders is filled for the same finding; one without is shared.
                if let dependencyKey = add(dependency, finding) { dependencies.append(dependencyKey) }
            }
            instances[position].dependencies = dependencies
            return key
        }
        for finding in findings {
            for id in finding.checklist { add(id, finding) }
        }
        return (order(instances, index: index), unknown)
    }

    /// A checklist from a template without findings: every item and its dependencies, the
    /// placeholders in general words.
    public static func plan(template: ChecklistTemplate, items: [String: ChecklistTemplateItem])
        -> [PlannedChecklistItem]
    {
        var instances: [(item: ChecklistTemplateItem, text: String, dependencies: [String])] = []
        var index: [String: Int] = [:]
        func add(_ id: String) -> String? {
            guard let item = items[id] ?? template.items.first(where: { $0.id == id }) else { return nil }
            if index[id] != nil { return id }
            index[id] = instances.count
            instances.append((item, fill(item.text, nil), []))
            let position = instances.count - 1
            instances[position].dependencies = item.dependsOn.compactMap(add)
            return id
        }
        for item in template.items { _ = add(item.id) }
        return order(instances, index: index)
    }

    /// Phase first, then dependencies before what waits for them, then first appearance.
    private static func order(
        _ instances: [(item: ChecklistTemplateItem, text: String, dependencies: [String])], index: [String: Int]
    ) -> [PlannedChecklistItem] {
        var remaining = Set(instances.indices)
        var placed: [Int] = []
        var position: [Int: Int] = [:]
        while !remaining.isEmpty {
            let ready = remaining.filter { candidate in
                instances[candidate].dependencies.allSatisfy { key in
                    guard let dependency = index[key] else { return true }
                    return position[dependency] != nil
                }
            }
            // A cycle (a template mistake) is broken by taking the earliest phase anyway.
            let pool = ready.isEmpty ? remaining : ready
            let next = pool.min { a, b in
                (instances[a].item.phase, a) < (instances[b].item.phase, b)
            }!
            position[next] = placed.count
            placed.append(next)
            remaining.remove(next)
        }
        return placed.map { slot in
            let instance = instances[slot]
            return PlannedChecklistItem(
                itemID: instance.item.id, phase: instance.item.phase, text: instance.text, role: instance.item.role,
                evidence: instance.item.evidence,
                dependsOn: instance.dependencies.compactMap { index[$0].flatMap { position[$0] } }.sorted())
        }
    }

    /// Each placeholder: the finding's field it is filled from, the general words of a checklist
    /// made from a template, and what to say when the finding lacks the value. `{server}` is the
    /// machine that holds the account (a credential's server, else the host a log came from),
    /// never the address a finding's subject came from: that is usually the attacker's.
    static let placeholders:
        [(name: String, value: @Sendable (ReportedFinding) -> String?, general: String, unknown: String)] = [
            ("title", { $0.title }, "the incident", "[title unknown]"),
            ("rule", { $0.rule }, "", "[rule unknown]"),
            ("ip", { $0.ip }, "the address", "[address unknown]"),
            ("mac", { $0.mac }, "the device", "[device unknown]"),
            ("host", { $0.host }, "the host", "[host unknown]"),
            ("user", { $0.user }, "the account", "[account unknown]"),
            ("account", { $0.user.map { "the account '\($0)'" } }, "the accounts involved", "[account unknown]"),
            ("protocol", { $0.protocolName }, "", ""),
            ("server", { $0.server ?? $0.host }, "the server", "[server unknown]"),
            ("target", { $0.server ?? $0.host ?? $0.ip }, "the server", "[target unknown]"),
            ("evidence", { $0.evidence }, "the evidence", "[evidence unknown]"),
        ]

    /// The values of the subject placeholders `text` uses: what makes two fillings the same step.
    static func subjectKey(_ text: String, _ finding: ReportedFinding?) -> String {
        guard let finding else { return "" }
        return placeholders.filter { text.contains("{\($0.name)}") && $0.name != "title" && $0.name != "evidence" }
            .map { $0.value(finding) ?? "" }.joined(separator: "\u{1F}")
    }

    /// The text with `{placeholders}` filled from `finding`: general words for a template without
    /// findings, and for a value the finding lacks, words saying it is unknown.
    static func fill(_ text: String, _ finding: ReportedFinding?) -> String {
        var values: [String: String] = [:]
        for placeholder in placeholders {
            if let finding {
                values[placeholder.name] =
                    placeholder.value(finding).flatMap { $0.isEmpty ? nil : $0 } ?? placeholder.unknown
            } else {
                values[placeholder.name] = placeholder.general
            }
        }
        var out = ""
        var rest = Substring(text)
        while let open = rest.firstIndex(of: "{"), let close = rest[open...].firstIndex(of: "}") {
            out += rest[..<open]
            let name = String(rest[rest.index(after: open)..<close])
            if let value = values[name] { out += value } else { out += rest[open...close] }
            rest = rest[rest.index(after: close)...]
        }
        out += rest
        // Tidy what empty placeholders leave: doubled spaces, empty brackets, a space before
        // punctuation; until nothing changes.
        var tidy = out
        var before = ""
        while before != tidy {
            before = tidy
            for (from, to) in [
                ("  ", " "), ("( )", ""), ("()", ""), (" ,", ","), (" .", "."), (" )", ")"), ("( ", "("),
            ] {
                tidy = tidy.replacingOccurrences(of: from, with: to)
            }
        }
        return tidy.trimmingCharacters(in: .whitespaces)
    }
}
