public import VigilCore

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
    /// Things that load but deserve a word (fields or log sources no Vigil source produces).
    public var notes: [String]
    let detection: Detection
    /// The event kinds `logsource.category` admits, resolved once; `nil` admits every kind.
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

/// Sigma's `logsource`: which events a rule applies to.
///
/// | logsource | Vigil events |
/// |---|---|
/// | `category: credential` | `credential.observed` |
/// | `category: authentication` | `auth.failure`, `auth.success` |
/// | `category: device` | `device.observed` |
/// | `category: protocol` | `protocol.observed` |
/// | `category: privilege` | `privilege.use`, `privilege.denied` |
/// | `category: account` | `account.change` |
/// | `category: webserver` | `http.request` |
/// | `product: network` | events from captures |
/// | `product: linux` | events from logs |
/// | `service: NAME` | events whose `service` field is NAME |
public struct Logsource: Sendable, Hashable {
    public var product: String?
    public var category: String?
    public var service: String?

    /// The event kinds each `category` selects.
    static let categories: [String: Set<EventKind>] = [
        "credential": [.credentialObserved],
        "authentication": [.authFailure, .authSuccess],
        "device": [.deviceObserved],
        "protocol": [.protocolObserved],
        "privilege": [.privilegeUse, .privilegeDenied],
        "account": [.accountChange],
        "webserver": [.httpRequest],
    ]
    static let products: Set<String> = ["network", "linux", "vigil"]

    /// Whether any Vigil source can produce events this log source selects.
    var isReadByVigil: Bool {
        (product.map { Self.products.contains($0) } ?? true) && (category.map { Self.categories[$0] != nil } ?? true)
    }

    func admits(_ event: Event) -> Bool {
        if let category, !(Self.categories[category]?.contains(event.kind) ?? false) { return false }
        return admitsSource(event)
    }

    /// The product and service checks, for callers that checked the event kind already.
    func admitsSource(_ event: Event) -> Bool {
        if let product {
            switch (product, event.source.position) {
            case ("network", .packet), ("linux", .line), ("vigil", _): break
            default: return false
            }
        }
        if let service, event[.service]?.description != service { return false }
        return true
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
