internal import VigilCore
internal import Yams

/// Correlation documents (Sigma's `correlation:`), read by the same reader as rules.
extension NodeReader {
    func correlation(_ document: Node) throws(VigilError) -> CorrelationRule {
        let title = try string(document["title"], "title", in: document)
        guard let body = document["correlation"], case .mapping = body else {
            throw error(document["correlation"], "'correlation' must be a mapping")
        }
        let typeName = try string(body["type"], "type", in: body)
        guard let type = CorrelationType(rawValue: typeName) else {
            throw error(
                body["type"],
                "correlation type '\(typeName)' is not one of \(CorrelationType.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        let rules = try strings(body["rules"], "rules")
        guard !rules.isEmpty else { throw error(body, "a correlation needs 'rules' to correlate") }
        let span = try string(body["timespan"], "timespan", in: body)
        guard let seconds = Self.seconds(span) else {
            throw error(
                body["timespan"], "timespan '\(span)' is not a duration such as 30s, 5m, 1h, 1d, of at most ten years")
        }
        var condition = CountCondition(bounds: [])
        var field: String?
        if let node = body["condition"] {
            guard case .mapping(let mapping) = node else {
                throw error(node, "'condition' must be a mapping (gte: 10, ...)")
            }
            for (key, value) in mapping {
                guard let name = key.string else { continue }
                if name == "field" {
                    field = value.string
                    continue
                }
                guard let bound = CountCondition.Bound(rawValue: name) else {
                    throw error(key, "condition '\(name)' is not one of gt, gte, lt, lte, eq, neq, field")
                }
                guard let number = value.int else { throw error(value, "condition '\(name)' needs a whole number") }
                condition.bounds.append((bound, number))
            }
        }
        if type == .eventCount || type == .valueCount {
            guard !condition.bounds.isEmpty else {
                throw error(body, "a \(type.rawValue) correlation needs a 'condition' mapping (gte: 10, ...)")
            }
            if type == .valueCount && field == nil {
                throw error(
                    body["condition"], "a value_count condition needs the 'field' whose distinct values it counts")
            }
        }
        // A field no Vigil source produces (a Windows rule's `ComputerName`) is always empty: the
        // rule loads, as Sigma rules for other sources do, and groups everything together.
        let groupBy = try strings(body["group-by"], "group-by")
        if (type == .temporal || type == .temporalOrdered) && rules.count < 2 {
            throw error(body["rules"], "a \(type.rawValue) correlation needs at least two rules")
        }
        var aliases: [String: [String: String]] = [:]
        if let node = body["aliases"] {
            guard case .mapping(let mapping) = node else {
                throw error(node, "'aliases' must map each alias to the field it stands for in each rule")
            }
            for (key, value) in mapping {
                guard let alias = key.string, case .mapping(let fields) = value else {
                    throw error(value, "an alias maps rule names to field names")
                }
                guard groupBy.contains(alias) else {
                    throw error(key, "alias '\(alias)' is not in the correlation's group-by")
                }
                for (ruleNode, fieldNode) in fields {
                    guard let rule = ruleNode.string, let field = fieldNode.string else {
                        throw error(ruleNode, "an alias maps rule names to field names")
                    }
                    guard rules.contains(rule) else {
                        throw error(
                            ruleNode, "alias '\(alias)' names rule '\(rule)', which the correlation does not list")
                    }
                    aliases[alias, default: [:]][rule] = field
                }
            }
        }
        let name = try optionalString(document["name"], "name")
        let sigmaID = try optionalString(document["id"], "id")
        let id = name ?? sigmaID ?? title
        let vigil = document["vigil"]
        try checkVigilKeys(vigil)
        let level = try optionalString(document["level"], "level")
        let severity =
            try optionalString(vigil?["severity"], "severity").flatMap(Severity.init(rawValue:))
            ?? level.flatMap { $0 == "informational" ? .info : Severity(rawValue: $0) } ?? .medium
        let category =
            try optionalString(vigil?["category"], "category").flatMap(Category.init(rawValue:)) ?? .policyBreach
        var correlation = CorrelationRule(
            id: id, sigmaID: name == nil ? nil : sigmaID, title: title, type: type, rules: rules, groupBy: groupBy,
            aliases: aliases, timespan: seconds, condition: condition, field: field,
            generate: body["generate"]?.flag ?? false,
            severity: severity, category: category,
            remediation: try optionalString(vigil?["remediation"], "remediation") ?? "",
            checklist: try strings(vigil?["checklist"], "checklist"),
            examples: try correlationExamples(vigil?["tests"]?.withoutInputExamples), file: file,
            line: document.mark?.line ?? 1)
        correlation.inputExamples = try inputExamples(vigil?["tests"], correlation: true)
        return correlation
    }

    /// `tests:` of a correlation: `events:` (each `kind`, `fields`, `after` seconds since the
    /// previous) and the number of `findings` the correlation must give.
    private func correlationExamples(_ node: Node?) throws(VigilError) -> [CorrelationExample] {
        guard let node else { return [] }
        guard case .sequence(let items) = node else { throw error(node, "'tests' must be a list of examples") }
        var examples: [CorrelationExample] = []
        for (index, item) in items.enumerated() {
            let name = try optionalString(item["name"], "name") ?? "example \(index + 1)"
            guard let expected = item["findings"]?.int else {
                throw error(item, "test '\(name)' needs 'findings: N', the findings the correlation must give")
            }
            guard let list = item["events"], case .sequence(let nodes) = list else {
                throw error(item, "test '\(name)' needs 'events', a list of events")
            }
            var events: [Event] = []
            var clock: Int64 = 1_700_000_000
            for (number, eventNode) in nodes.enumerated() {
                clock += Int64(eventNode["after"]?.int ?? 1)
                events.append(
                    try exampleEvent(
                        eventNode, test: name, time: Timestamp(seconds: clock), position: .line(number + 1)))
            }
            examples.append(CorrelationExample(name: name, events: events, findings: expected))
        }
        return examples
    }

    static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let number = Int64(text.dropLast()), number > 0 else { return nil }
        let scale: Int64
        switch unit {
        case "s": scale = 1
        case "m": scale = 60
        case "h": scale = 3600
        case "d": scale = 86400
        case "w": scale = 604_800
        default: return nil
        }
        // At most ten years: windows are held in nanoseconds, and no log spans more.
        let (seconds, overflow) = number.multipliedReportingOverflow(by: scale)
        guard !overflow, seconds <= 315_360_000 else { return nil }
        return seconds
    }
}
