internal import Foundation
public import VigilCore
internal import Yams

/// A detection rule loaded from a Sigma YAML document, with Vigil's own keys from `vigil:`.
public struct Rule: Sendable {
    public var id: String
    /// The Sigma `id` (a UUID) when the rule also has a `name` (which is then its ``id``):
    /// correlations may refer to either.
    public var sigmaID: String?
    public var title: String
    public var status: String?
    public var description: String?
    public var references: [String]
    public var tags: [String]
    public var logsource: Logsource
    /// The events the rule's log source selects, as the log source mapping resolves it.
    public var selection: SourceSelection
    public var severity: Severity
    public var category: Category
    public var remediation: String
    public var checklist: [String]
    /// The file the rule came from, and the line its document starts on.
    public var file: String
    public var line: Int
    /// Example events that must or must not match (`vigil: tests:`).
    public var tests: [RuleExample]
    /// Examples read from real inputs (`vigil: tests:` with `log:` or `capture:`).
    public var inputExamples: [InputExample] = []
    /// The fields that name a finding's subject (`vigil: subject:`), when the rule chooses them;
    /// `nil` keeps the default (``RuleEngine`` documents it).
    public var subject: [Field]?
    /// Things that load but deserve a word.
    public var notes: [String]
    let detection: Detection
    /// The event kinds the rule's selection admits, narrowed by an `event.kind` test of its
    /// detection; `nil` admits every kind.
    let kinds: [EventKind]?
    /// Some selection is a keyword list: log events must keep their message for it.
    public var usesKeywords: Bool {
        detection.selections.contains { selection in
            !selection.keywords.isEmpty || selection.alternatives.contains { $0.contains(where: \.anyField) }
        }
    }
    /// The detection is only an `event.kind` test, already settled by ``kinds``.
    var kindOnly = false
}

/// Sigma's `logsource` as a rule states it; which events it selects is the log source
/// mapping's to say (``LogsourceMap``, `rules/mappings/logsources.yml`).
public struct Logsource: Sendable, Hashable {
    public var product: String?
    public var category: String?
    public var service: String?

    /// A log source of these parts (`nil`: not stated).
    public init(product: String? = nil, category: String? = nil, service: String? = nil) {
        self.product = product
        self.category = category
        self.service = service
    }

    /// `product/category/service`, `any` for a part not stated.
    public var description: String { [product, category, service].map { $0 ?? "any" }.joined(separator: "/") }
}

/// How rules are loaded: the log source mapping, and the placeholders `|expand` fills in.
public struct RuleLoadOptions: Sendable {
    /// The log source mapping: the shipped one, with the user's added.
    public var mappings: LogsourceMap
    /// Placeholder values for `|expand` (`%admins%` → a list of names), from `--placeholders`.
    public var placeholders: [String: [String]]

    /// The placeholders of a YAML file mapping each name to a value or a list of values
    /// (`admins: [alice, bob]`), for `|expand` (`%admins%`).
    ///
    /// - Throws: ``VigilError`` naming the file and what is wrong in it.
    public static func placeholders(file: String) throws(VigilError) -> [String: [String]] {
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VigilError(.unreadable, path: file, reason: "the placeholders file cannot be read")
        }
        let root: Node?
        do {
            root = try Yams.compose(yaml: String(decoding: data, as: UTF8.self))
        } catch {
            throw VigilError(.invalidRule, path: file, reason: "the placeholders file is not valid YAML: \(error)")
        }
        guard let root, case .mapping(let mapping) = root else {
            throw VigilError(.invalidRule, path: file, reason: "the placeholders file maps names to values")
        }
        var placeholders: [String: [String]] = [:]
        for (key, value) in mapping {
            guard let name = key.string else { continue }
            placeholders[name] = try NodeReader(file: file).strings(value, name)
        }
        return placeholders
    }

    /// Options with `mappings` (by default the shipped mapping; none when it cannot be found,
    /// which ``RuleSet/load(from:options:)`` reports).
    public init(mappings: LogsourceMap? = nil, placeholders: [String: [String]] = [:]) {
        self.mappings = mappings ?? ((try? ShippedRules.mapping.get()) ?? LogsourceMap())
        self.placeholders = placeholders
    }
}

/// A rule that was not loaded because Vigil cannot apply it here: a log source Vigil does not
/// read, or a field no source of its events produces. Rules with errors are in
/// ``RuleSet/errors`` instead.
public struct SkippedRule: Sendable, Equatable {
    public var file: String
    public var line: Int
    /// The rule's id, when it has one.
    public var rule: String?
    public var reason: String
    /// The names a correlation may refer to it by (its `name` and its `id`).
    var references: [String] = []

    /// A rule of `file` at `line` skipped for `reason`.
    public init(file: String, line: Int, rule: String?, reason: String) {
        self.file = file
        self.line = line
        self.rule = rule
        self.reason = reason
    }
}

/// An example read from a real input by Vigil's own readers, so that a rule is tested against
/// the fields the parsers really give (a field renamed in a parser fails it): log lines written
/// in the rule, or a capture beside it (`vigil: tests:` with `log:` or `capture:`).
public struct InputExample: Sendable {
    /// What is read.
    public enum Source: Sendable {
        /// Log lines, as a log file holds them.
        case log(String)
        /// A capture file (an absolute path, resolved from the rule file's folder).
        case capture(String)
    }

    public var name: String
    public var source: Source
    /// For a rule: whether it must match an event of the input.
    public var shouldMatch: Bool
    /// For a correlation: how many findings it must give.
    public var findings: Int
    /// An asset inventory to read with it (an absolute path), for device rules.
    public var inventory: String?
    /// The zone of the log's times written without one, and of working hours (default UTC).
    public var timeZone: String?

    /// A rule as the loader builds it.
    public init(
        name: String, source: Source, shouldMatch: Bool = true, findings: Int = 0, inventory: String? = nil,
        timeZone: String? = nil
    ) {
        self.name = name
        self.source = source
        self.shouldMatch = shouldMatch
        self.findings = findings
        self.inventory = inventory
        self.timeZone = timeZone
    }
}

/// An example carried by a rule: an event and whether the rule must match it.
public struct RuleExample: Sendable {
    public var name: String
    public var shouldMatch: Bool
    public var event: Event
}
