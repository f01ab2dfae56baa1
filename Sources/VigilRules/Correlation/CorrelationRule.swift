public import VigilCore

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
    /// Examples read from real inputs (`vigil: tests:` with `log:` or `capture:`).
    public var inputExamples: [InputExample] = []
    public var file: String
    public var line: Int
}
