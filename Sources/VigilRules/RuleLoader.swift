internal import Foundation
public import VigilCore
internal import VigilCrypto
internal import Yams

/// A Sigma correlation rule (`event_count`, `value_count`, `temporal`, `temporal_ordered`),
/// evaluated by the ``RuleEngine`` over the matches of the rules it refers to.
public struct CorrelationRule: Sendable {
    public var id: String
    /// The Sigma `id` (a UUID), when the rule has both a `name` and an `id`.
    public var sigmaID: String?
    public var title: String
    public var type: CorrelationType
    public var rules: [String]
    public var groupBy: [String]
    /// Sigma's field aliases: a `group-by` name that stands for a different field in each rule
    /// (alias → rule reference → field).
    public var aliases: [String: [String: String]] = [:]
    /// The window, in seconds.
    public var timespan: Int64
    /// The count condition (distinct values of ``field`` for value_count; for temporal, the
    /// number of different rules, all of them when empty).
    public var condition: CountCondition
    /// The field whose distinct values a value_count counts.
    public var field: String?
    /// Whether the rules it refers to also give findings of their own (Sigma's `generate`).
    public var generate: Bool
    public var severity: Severity
    public var category: Category
    public var remediation: String
    public var checklist: [String]
    public var examples: [CorrelationExample]
    public var file: String
    public var line: Int
}

/// Every rule loaded from one or more folders, with what was wrong or worth saying about them.
public struct RuleSet: Sendable {
    public var rules: [Rule]
    public var correlations: [CorrelationRule]
    /// Rule files that could not be loaded, each with its file, line and reason.
    public var errors: [VigilError]
    /// Remarks that do not stop a rule from loading.
    public var notes: [String]
    /// The folders or files the set was loaded from.
    public var sources: [String] = []
    /// The rule files read.
    public var fileCount = 0
    /// SHA-256 over each rule file's path (within its source) and content, in order: the same
    /// rules give the same digest wherever they lie.
    public var sha256 = ""

    public init(
        rules: [Rule] = [], correlations: [CorrelationRule] = [], errors: [VigilError] = [], notes: [String] = []
    ) {
        self.rules = rules
        self.correlations = correlations
        self.errors = errors
        self.notes = notes
    }

    /// Loads every `*.yml` and `*.yaml` file under each of `paths` (files or folders,
    /// recursively, in name order; `checklists/` folders hold checklist templates and are left
    /// out). A missing path is an error in ``errors``.
    /// The most rules (and correlations) one run loads: every rule costs time on every event.
    public static let maxRules = 10_000

    public static func load(from paths: [String]) -> RuleSet {
        var set = RuleSet()
        set.sources = paths
        var seen: [String: String] = [:]
        var files: [String] = []
        var identity: [UInt8] = []
        for path in paths {
            let found = ruleFiles(under: path, errors: &set.errors)
            for file in found {
                let relative = file.hasPrefix(path) ? String(file.dropFirst(path.count)) : file
                let content = FileManager.default.contents(atPath: file).map { Array($0) } ?? []
                identity += Array(relative.utf8) + [0] + Array(((try? SHA256.hex(content)) ?? "").utf8) + [0x0A]
            }
            files += found
        }
        set.fileCount = files.count
        set.sha256 = (try? SHA256.hex(identity)) ?? ""
        // Files are parsed on all cores (YAML is the slow part), then taken in order. Each
        // worker writes its own slot of a buffer allocated beforehand.
        final class Results: @unchecked Sendable {
            let slots: UnsafeMutablePointer<Result<RuleLoader.Loaded, VigilError>?>
            let count: Int
            init(_ count: Int) {
                self.count = count
                slots = .allocate(capacity: max(1, count))
                slots.initialize(repeating: nil, count: max(1, count))
            }
            deinit {
                slots.deinitialize(count: max(1, count))
                slots.deallocate()
            }
        }
        let results = Results(files.count)
        let fileList = files
        DispatchQueue.concurrentPerform(iterations: fileList.count) { index in
            let outcome: Result<RuleLoader.Loaded, VigilError>
            do {
                outcome = .success(try RuleLoader.load(file: fileList[index]))
            } catch let error as VigilError {
                outcome = .failure(error)
            } catch {
                outcome = .failure(VigilError(.invalidRule, path: fileList[index], reason: "\(error)"))
            }
            results.slots[index] = outcome
        }
        for (index, file) in files.enumerated() {
            do {
                let loaded = try results.slots[index]!.get()
                for rule in loaded.rules {
                    if let other = seen[rule.id] {
                        set.errors.append(
                            VigilError(
                                .invalidRule, path: file, position: .line(rule.line),
                                reason: "rule id '\(rule.id)' is already used by \(other)"))
                        continue
                    }
                    seen[rule.id] = file
                    set.rules.append(rule)
                    set.notes += rule.notes.map { "\(file): \($0)" }
                }
                set.correlations += loaded.correlations
            } catch {
                set.errors.append(error)
            }
        }
        if set.rules.count + set.correlations.count > maxRules {
            set.errors.append(
                VigilError(
                    .limit, path: paths.joined(separator: ", "),
                    reason: "\(set.rules.count + set.correlations.count) rules, more than the \(maxRules) Vigil loads; "
                        + "only the first \(maxRules) (in file order) were kept"))
            set.rules = Array(set.rules.prefix(maxRules))
            set.correlations = Array(set.correlations.prefix(max(0, maxRules - set.rules.count)))
        }
        set.dropUnresolvedCorrelations()
        return set
    }

    /// Keeps only the correlations whose every rule reference names a loaded rule or
    /// correlation; each other one becomes an error naming what it refers to.
    mutating func dropUnresolvedCorrelations() {
        let names = Set(rules.flatMap { [$0.id] + ($0.sigmaID.map { [$0] } ?? []) })
            .union(correlations.flatMap { [$0.id] + ($0.sigmaID.map { [$0] } ?? []) })
        var valid: [CorrelationRule] = []
        for correlation in correlations {
            let missing = correlation.rules.filter { !names.contains($0) }
            if missing.isEmpty {
                valid.append(correlation)
            } else {
                errors.append(
                    VigilError(
                        .invalidRule, path: correlation.file, position: .line(correlation.line),
                        reason:
                            "correlation '\(correlation.id)' refers to no rule named \(missing.joined(separator: ", "))"
                    ))
            }
        }
        correlations = valid
    }

    private static func ruleFiles(under path: String, errors: inout [VigilError]) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            errors.append(VigilError(.unreadable, path: path, reason: "no such rule file or folder"))
            return []
        }
        guard isDirectory.boolValue else { return [path] }
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            // Checklist templates live beside the rules as data (`rules/checklists/`).
            if relative == "checklists" || relative.hasPrefix("checklists/") || relative.contains("/checklists/") {
                continue
            }
            if relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") {
                files.append((path as NSString).appendingPathComponent(relative))
            }
        }
        return files.sorted()
    }
}

/// Reads Sigma rule documents from a YAML file into ``Rule`` and ``CorrelationRule`` values.
enum RuleLoader {
    struct Loaded {
        var rules: [Rule] = []
        var correlations: [CorrelationRule] = []
    }

    /// The largest rule file read (1 MiB: the biggest Sigma rule files are a few kilobytes).
    static let maxFileBytes = 1 << 20
    /// The most YAML nodes a rule document may expand to, aliases followed: a "billion laughs"
    /// file of a few lines expands past any memory.
    static let maxNodes = 100_000

    static func load(file: String) throws(VigilError) -> Loaded {
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int,
            size > maxFileBytes
        {
            throw VigilError(
                .limit, path: file,
                reason: "the rule file is \(size) bytes, more than the \(maxFileBytes) a rule file may be")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VigilError(.unreadable, path: file, reason: "cannot read the rule file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VigilError(.invalidRule, path: file, reason: "not UTF-8 text")
        }
        return try load(yaml: text, file: file)
    }

    /// The plain-scalar types a Sigma rule uses: booleans, integers and null. Yams' default also
    /// tries floats, timestamps and merge keys with a regular expression on every scalar, most of
    /// the cost of loading a rule, for types no rule field takes (a value such as `1.5` stays text).
    static let resolver = Resolver.basic.appending(.bool).appending(.int).appending(.null)

    static func load(yaml text: String, file: String) throws(VigilError) -> Loaded {
        var documents: [Node] = []
        do {
            let parser = try Parser(yaml: text, resolver: Self.resolver)
            while let document = try parser.nextRoot() {
                // An empty document (a trailing `---`) holds nothing to load.
                if case .scalar(let scalar) = document, scalar.string.isEmpty || scalar.string == "~" { continue }
                documents.append(document)
            }
        } catch let error as YamlError {
            throw VigilError(
                .invalidRule, path: file, position: position(of: error), reason: "not valid YAML: \(summary(error))")
        } catch {
            throw VigilError(.invalidRule, path: file, reason: "not valid YAML: \(error)")
        }
        guard !documents.isEmpty else { throw VigilError(.invalidRule, path: file, reason: "the file holds no rule") }
        for document in documents {
            var budget = maxNodes
            guard !Self.fits(document, budget: &budget) else { continue }
            throw VigilError(
                .limit, path: file, position: document.mark.map { .lineColumn($0.line, $0.column) },
                reason: "the YAML expands to more than \(maxNodes) nodes (aliases repeating aliases?)")
        }
        var loaded = Loaded()
        for document in documents {
            let reader = NodeReader(file: file)
            guard case .mapping = document else {
                throw reader.error(document, "a rule document must be a mapping of keys (title, detection, ...)")
            }
            if document["correlation"] != nil {
                loaded.correlations.append(try reader.correlation(document))
            } else {
                loaded.rules.append(try reader.rule(document))
            }
        }
        return loaded
    }

    /// Counts `node` and what it holds against `budget`, stopping as soon as it runs out.
    private static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping where !fits(key, budget: &budget) || !fits(value, budget: &budget) {
                return false
            }
        case .sequence(let sequence):
            for item in sequence where !fits(item, budget: &budget) { return false }
        default: break
        }
        return true
    }

    private static func position(of error: YamlError) -> VigilError.Position? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return .lineColumn(mark.line, mark.column)
        default:
            return nil
        }
    }

    private static func summary(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        default:
            return "\(error)"
        }
    }
}

/// Turns YAML nodes into rule parts, with errors that point at the offending line.
struct NodeReader {
    let file: String

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
        if !logsource.isReadByVigil {
            notes.append(
                "rule '\(id)': no Vigil source produces logsource "
                    + "\([logsource.product, logsource.category, logsource.service].compactMap { $0 }.joined(separator: "/")); "
                    + "the rule loads but cannot match")
        }
        guard let detectionNode = document["detection"] else { throw error(document, "the rule has no 'detection'") }
        let detection = try DetectionCompiler(reader: self, strictFields: logsource.isReadByVigil).compile(
            detectionNode, notes: &notes, ruleID: id)

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
        return Rule(
            id: id, sigmaID: name == nil ? nil : sigmaID, title: title,
            status: try optionalString(document["status"], "status"),
            description: try optionalString(document["description"], "description"),
            references: try strings(document["references"], "references"),
            tags: try strings(document["tags"], "tags"),
            logsource: logsource, severity: severity, category: category,
            remediation: try optionalString(vigil?["remediation"], "remediation") ?? "",
            checklist: try strings(vigil?["checklist"], "checklist"),
            file: file, line: line,
            tests: try examples(vigil?["tests"]),
            subject: try subjectFields(vigil?["subject"]),
            notes: notes, detection: detection,
            kinds: Self.narrowed(
                logsource.category.map { (Logsource.categories[$0] ?? []).sorted().map(EventKind.init(rawValue:)) },
                by: detection),
            kindOnly: Self.onlyKind(detection))
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
    private func checkVigilKeys(_ node: Node?) throws(VigilError) {
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

    private func examples(_ node: Node?) throws(VigilError) -> [RuleExample] {
        guard let node else { return [] }
        guard case .sequence(let items) = node else { throw error(node, "'tests' must be a list of examples") }
        var examples: [RuleExample] = []
        for (index, item) in items.enumerated() {
            let name = try optionalString(item["name"], "name") ?? "example \(index + 1)"
            guard let match = item["match"]?.bool else {
                throw error(item, "test '\(name)' needs 'match: true' or 'match: false'")
            }
            guard let eventNode = item["event"] else { throw error(item, "test '\(name)' needs an 'event'") }
            let kind = try string(eventNode["kind"], "kind", in: eventNode)
            let origin = try optionalString(eventNode["source"], "source") ?? "network"
            let position: SourceLocation.Position = origin == "log" ? .line(1) : .packet(1)
            var event = Event(
                kind: EventKind(rawValue: kind), time: Timestamp(nanoseconds: 0),
                source: SourceLocation(path: "\(file) test '\(name)'", position: position))
            if let fields = eventNode["fields"] {
                guard case .mapping(let mapping) = fields else { throw error(fields, "'fields' must be a mapping") }
                for (key, value) in mapping {
                    guard let fieldName = key.string, let field = Field.named(fieldName) else {
                        throw error(key, "test '\(name)': unknown field '\(key.string ?? "?")'")
                    }
                    event.set(field, Self.fieldValue(value))
                }
            }
            examples.append(RuleExample(name: name, shouldMatch: match, event: event))
        }
        return examples
    }

    static func fieldValue(_ node: Node) -> FieldValue {
        if case .scalar(let scalar) = node, scalar.style == .plain {
            if let number = node.int { return .int(Int64(number)) }
            if let flag = node.bool { return .bool(flag) }
        }
        return .string(node.string ?? "")
    }

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
        return CorrelationRule(
            id: id, sigmaID: name == nil ? nil : sigmaID, title: title, type: type, rules: rules, groupBy: groupBy,
            aliases: aliases, timespan: seconds, condition: condition, field: field,
            generate: body["generate"]?.bool ?? false,
            severity: severity, category: category,
            remediation: try optionalString(vigil?["remediation"], "remediation") ?? "",
            checklist: try strings(vigil?["checklist"], "checklist"),
            examples: try correlationExamples(vigil?["tests"]), file: file, line: document.mark?.line ?? 1)
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
                let kind = try string(eventNode["kind"], "kind", in: eventNode)
                clock += Int64(eventNode["after"]?.int ?? 1)
                var event = Event(
                    kind: EventKind(rawValue: kind), time: Timestamp(seconds: clock),
                    source: SourceLocation(path: "\(file) test '\(name)'", position: .line(number + 1)))
                if let fields = eventNode["fields"] {
                    guard case .mapping(let mapping) = fields else { throw error(fields, "'fields' must be a mapping") }
                    for (key, value) in mapping {
                        guard let fieldName = key.string, let field = Field.named(fieldName) else {
                            throw error(key, "test '\(name)': unknown field '\(key.string ?? "?")'")
                        }
                        event.set(field, Self.fieldValue(value))
                    }
                }
                events.append(event)
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
