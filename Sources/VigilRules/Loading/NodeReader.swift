internal import Foundation
internal import VigilCore
internal import Yams

/// Turns YAML nodes into rule parts, with errors that point at the offending line.
struct NodeReader {
    let file: String
    var options = RuleLoadOptions(mappings: LogsourceMap())

    func error(_ node: Node?, _ reason: String, hint: String? = nil) -> VigilError {
        let position = node?.mark.map { VigilError.Position.line($0.line) }
        return VigilError(.invalidRule, path: file, position: position, reason: reason, hint: hint)
    }

    func string(_ node: Node?, _ key: String, in parent: Node) throws(VigilError) -> String {
        guard let node else { throw error(parent, "the rule has no '\(key)'") }
        guard case .scalar(let scalar) = node else { throw error(node, "'\(key)' must be a single value") }
        return scalar.string
    }

    func optionalString(_ node: Node?, _ key: String) throws(VigilError) -> String? {
        guard let node else { return nil }
        guard case .scalar(let scalar) = node else { throw error(node, "'\(key)' must be a single value") }
        return scalar.string
    }

    func strings(_ node: Node?, _ key: String) throws(VigilError) -> [String] {
        guard let node else { return [] }
        switch node {
        case .scalar(let scalar): return [scalar.string]
        case .sequence(let sequence):
            var values: [String] = []
            for item in sequence {
                guard case .scalar(let scalar) = item else { throw error(item, "'\(key)' must list plain values") }
                values.append(scalar.string)
            }
            return values
        default:
            throw error(node, "'\(key)' must be a value or a list of values")
        }
    }

    func rule(_ document: Node) throws(VigilError) -> Rule {
        let title = try string(document["title"], "title", in: document)
        let sigmaID = try optionalString(document["id"], "id")
        let name = try optionalString(document["name"], "name")
        guard let id = name ?? sigmaID else { throw error(document, "the rule has neither 'id' nor 'name'") }
        guard let logsourceNode = document["logsource"], case .mapping = logsourceNode else {
            throw error(document["logsource"] ?? document, "the rule needs a 'logsource' mapping")
        }
        let logsource = Logsource(
            product: try optionalString(logsourceNode["product"], "product"),
            category: try optionalString(logsourceNode["category"], "category"),
            service: try optionalString(logsourceNode["service"], "service"))
        var notes: [String] = []
        guard let detectionNode = document["detection"] else { throw error(document, "the rule has no 'detection'") }
        let resolution = options.mappings.resolve(logsource)
        var compiler = DetectionCompiler(reader: self)
        var selection = SourceSelection()
        if case .applies(let resolved, let fields, let open) = resolution {
            selection = resolved
            compiler.fieldNames = fields
            compiler.openFields = open
            compiler.kinds = resolved.kinds
            compiler.checkFields = true
        }
        // The detection is compiled even when the rule cannot apply, so that its errors are told.
        let detection = try compiler.compile(detectionNode, notes: &notes, ruleID: id)
        if case .cannotApply(let reason) = resolution {
            throw VigilError(
                .cannotApply, path: file, position: document.mark.map { .line($0.line) },
                reason: "rule '\(id)' (\(logsource.description)): \(reason)")
        }

        let vigil = document["vigil"]
        try checkVigilKeys(vigil)
        let severity: Severity
        if let text = try optionalString(vigil?["severity"], "severity") {
            guard let value = Severity(rawValue: text) else {
                throw error(vigil?["severity"], "severity '\(text)' is not one of info, low, medium, high, critical")
            }
            severity = value
        } else {
            let level = try optionalString(document["level"], "level")
            severity = level.flatMap { $0 == "informational" ? .info : Severity(rawValue: $0) } ?? .medium
        }
        var category = Category.policyBreach
        if let text = try optionalString(vigil?["category"], "category") {
            guard let value = Category(rawValue: text) else {
                throw error(
                    vigil?["category"],
                    "category '\(text)' is not one of \(Category.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            category = value
        }
        let line = document.mark?.line ?? 1
        var rule = Rule(
            id: id, sigmaID: name == nil ? nil : sigmaID, title: title,
            status: try optionalString(document["status"], "status"),
            description: try optionalString(document["description"], "description"),
            references: try strings(document["references"], "references"),
            tags: try strings(document["tags"], "tags"),
            logsource: logsource, selection: selection, severity: severity, category: category,
            remediation: try optionalString(vigil?["remediation"], "remediation") ?? "",
            checklist: try strings(vigil?["checklist"], "checklist"),
            file: file, line: line,
            tests: try examples(vigil?["tests"]?.withoutInputExamples),
            subject: try subjectFields(vigil?["subject"]),
            notes: notes, detection: detection,
            kinds: Self.narrowed(selection.kinds.map { $0.sorted { $0.id < $1.id } }, by: detection),
            kindOnly: Self.onlyKind(detection))
        rule.inputExamples = try inputExamples(vigil?["tests"], correlation: false)
        return rule
    }

    /// The event kinds a rule can match: those of its log source, narrowed by an `event.kind`
    /// equality that every match needs (a condition of one selection, or an `and` of them), so
    /// the engine does not show the rule events it must reject.
    static func narrowed(_ kinds: [EventKind]?, by detection: Detection) -> [EventKind]? {
        var required: [Int]
        switch detection.condition {
        case .selection(let index): required = [index]
        case .and(let nodes):
            required = nodes.compactMap { if case .selection(let index) = $0 { index } else { nil } }
        default: required = []
        }
        var result = kinds
        for index in required {
            let selection = detection.selections[index]
            guard selection.keywords.isEmpty, selection.alternatives.count == 1 else { continue }
            for test in selection.alternatives[0] where test.field == .eventKind && !test.requireAll {
                var allowed: [EventKind] = []
                for value in test.values {
                    guard case .equals(let bytes, _) = value else { return result }
                    allowed.append(EventKind(rawValue: String(decoding: bytes, as: UTF8.self).lowercased()))
                }
                result = result.map { current in current.filter { allowed.contains($0) } } ?? allowed
            }
        }
        return result
    }

    /// Whether the detection is one selection with one test, an `event.kind` equality: once
    /// the kinds are narrowed by it, nothing is left to evaluate.
    static func onlyKind(_ detection: Detection) -> Bool {
        guard case .selection(let index) = detection.condition else { return false }
        let selection = detection.selections[index]
        guard selection.keywords.isEmpty, selection.alternatives.count == 1, selection.alternatives[0].count == 1,
            let test = selection.alternatives[0].first, test.field == .eventKind, !test.requireAll
        else { return false }
        return test.values.allSatisfy { if case .equals = $0 { true } else { false } }
    }

    /// Vigil's own keys are a closed set (Sigma's top level is open to custom keys; `vigil:` is
    /// ours): a misspelt one is an error rather than a setting silently ignored.
    func checkVigilKeys(_ node: Node?) throws(VigilError) {
        guard let node else { return }
        guard case .mapping(let mapping) = node else { throw error(node, "'vigil' must be a mapping") }
        let known = ["severity", "category", "remediation", "checklist", "tests", "subject"]
        for key in mapping.keys {
            guard let name = key.string, known.contains(name) else {
                throw error(
                    key, "unknown key '\(key.string ?? "?")' under 'vigil'",
                    hint: "vigil: takes \(known.joined(separator: ", "))")
            }
        }
    }

    /// `vigil: subject:`: the fields a finding is about, among `src.ip`, `dst.ip`, `src.mac`,
    /// `host.name` and `user.name`.
    private func subjectFields(_ node: Node?) throws(VigilError) -> [Field]? {
        guard let node else { return nil }
        let names = try strings(node, "subject")
        let allowed = ["src.ip", "dst.ip", "src.mac", "host.name", "user.name"]
        var fields: [Field] = []
        for name in names {
            guard allowed.contains(name), let field = Field.named(name) else {
                throw error(node, "subject field '\(name)' is not one of \(allowed.joined(separator: ", "))")
            }
            fields.append(field)
        }
        return fields
    }

    /// `tests:` entries read from real inputs: `log: |` lines or `capture: FILE` (beside the rule
    /// file), with `match:` (a rule) or `findings:` (a correlation), and optionally `inventory:`
    /// and `timezone:`.
    func inputExamples(_ node: Node?, correlation: Bool) throws(VigilError) -> [InputExample] {
        guard let node, case .sequence(let items) = node else { return [] }
        let folder = (file as NSString).deletingLastPathComponent
        func resolve(_ path: String) -> String { path.hasPrefix("/") ? path : folder + "/" + path }
        var examples: [InputExample] = []
        for (index, item) in items.enumerated() where item["log"] != nil || item["capture"] != nil {
            let name = try optionalString(item["name"], "name") ?? "example \(index + 1)"
            let source: InputExample.Source
            if let log = try optionalString(item["log"], "log") {
                source = .log(log)
            } else {
                source = .capture(resolve(try string(item["capture"], "capture", in: item)))
            }
            var example = InputExample(
                name: name, source: source, inventory: try optionalString(item["inventory"], "inventory").map(resolve),
                timeZone: try optionalString(item["timezone"], "timezone"))
            if correlation {
                guard let findings = item["findings"]?.int else {
                    throw error(item, "test '\(name)' needs 'findings: N', the findings the correlation must give")
                }
                example.findings = findings
            } else {
                guard let match = item["match"]?.flag else {
                    throw error(item, "test '\(name)' needs 'match: true' or 'match: false'")
                }
                example.shouldMatch = match
            }
            examples.append(example)
        }
        return examples
    }

    private func examples(_ node: Node?) throws(VigilError) -> [RuleExample] {
        guard let node else { return [] }
        guard case .sequence(let items) = node else { throw error(node, "'tests' must be a list of examples") }
        var examples: [RuleExample] = []
        for (index, item) in items.enumerated() {
            let name = try optionalString(item["name"], "name") ?? "example \(index + 1)"
            guard let match = item["match"]?.flag else {
                throw error(item, "test '\(name)' needs 'match: true' or 'match: false'")
            }
            guard let eventNode = item["event"] else { throw error(item, "test '\(name)' needs an 'event'") }
            let origin = try optionalString(eventNode["source"], "source") ?? "network"
            let event = try exampleEvent(
                eventNode, test: name, time: Timestamp(nanoseconds: 0),
                position: origin == "log" ? .line(1) : .packet(1))
            examples.append(RuleExample(name: name, shouldMatch: match, event: event))
        }
        return examples
    }

    /// An example's event: its `kind` and `fields` (known field names only), at `time`.
    func exampleEvent(
        _ node: Node, test name: String, time: Timestamp, position: SourceLocation.Position
    ) throws(VigilError) -> Event {
        let kind = try string(node["kind"], "kind", in: node)
        var event = Event(
            kind: EventKind(rawValue: kind), time: time,
            source: SourceLocation(path: "\(file) test '\(name)'", position: position))
        if let fields = node["fields"] {
            guard case .mapping(let mapping) = fields else { throw error(fields, "'fields' must be a mapping") }
            for (key, value) in mapping {
                guard let fieldName = key.string, let field = Field.named(fieldName) else {
                    throw error(key, "test '\(name)': unknown field '\(key.string ?? "?")'")
                }
                event.set(field, Self.fieldValue(value))
            }
        }
        return event
    }

    static func fieldValue(_ node: Node) -> FieldValue {
        if case .scalar(let scalar) = node, scalar.style == .plain {
            if let number = node.int { return .int(Int64(number)) }
            if let flag = node.flag { return .bool(flag) }
        }
        return .string(node.string ?? "")
    }
}

extension Node {
    /// A `tests:` list without its real-input entries (`log:`, `capture:`), which
    /// ``NodeReader/inputExamples(_:correlation:)`` reads.
    var withoutInputExamples: Node {
        guard case .sequence(let items) = self else { return self }
        var kept = items
        kept.removeAll { $0["log"] != nil || $0["capture"] != nil }
        return .sequence(kept)
    }
}
