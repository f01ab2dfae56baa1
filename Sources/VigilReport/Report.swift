public import VigilCore

/// Everything a report shows: what was read, what was found, and how to show secrets.
public struct Report: Sendable {
    public var toolVersion: String
    public var generatedAt: Timestamp
    public var inputs: [InputReport]
    public var findings: [Finding]
    public var devices: [Device]
    /// Show clear-text secrets: only when the user passed `--reveal-secrets`.
    public var revealSecrets: Bool
    /// The rules that ran (SARIF lists each as a reportingDescriptor).
    public var rules: [RuleDescriptor] = []
    /// The rule set that ran: where it was loaded from and a digest of its files.
    public var ruleSet: RuleSetIdentity?
    /// The key secrets' digests are made with (reports name its fingerprint, never the key).
    public var digest: SecretDigest = .ephemeral()

    /// A report of `inputs`, `findings` and `devices`, made by Vigil `toolVersion` at `generatedAt`.
    public init(
        toolVersion: String, generatedAt: Timestamp, inputs: [InputReport], findings: [Finding], devices: [Device],
        revealSecrets: Bool
    ) {
        self.toolVersion = toolVersion
        self.generatedAt = generatedAt
        self.inputs = inputs
        self.findings = findings
        self.devices = devices
        self.revealSecrets = revealSecrets
    }

    /// How a credential's secret is shown: masked, or in clear with `--reveal-secrets`.
    public func secret(_ credential: Credential) -> String { credential.secret.shown(reveal: revealSecrets) }

    /// The keyed digest of a credential's secret.
    public func digest(_ credential: Credential) -> String { digest.digest(credential.secret) }

    /// The inputs that could not be read, or only in part.
    public var failedInputs: [InputReport] { inputs.filter(\.isFailure) }

    /// What a report with no finding says: never "no findings" alone when no rule ran (every
    /// rule skipped: nothing was examined) or an input was not read whole.
    public var noFindingsSentence: String {
        if let ruleSet, ruleSet.rules == 0 && ruleSet.correlations == 0 {
            return
                "No findings, because no rule ran: every rule was skipped (see the rule set), so nothing was examined."
        }
        return failedInputs.isEmpty ? "No findings." : "No findings in what was read."
    }

    /// One sentence for the top of a report when some input was not read whole: the findings
    /// cover only what was read.
    public var incompleteNotice: String? {
        let failed = failedInputs
        guard !failed.isEmpty else { return nil }
        return
            "\(failed.count) input(s) could not be read, or only in part: the findings below cover only what was read ("
            + failed.map { "\($0.path): \($0.reason ?? $0.status.rawValue)" }.joined(separator: "; ") + ")."
    }

    /// Number of findings at each severity, every severity present.
    public var countsBySeverity: [(Severity, Int)] {
        Severity.descending.map { severity in (severity, findings.filter { $0.severity == severity }.count) }
    }
}

/// The rule set an audit ran: its folders or files, how many rule files, and the SHA-256 over
/// every file's path and content (in path order), so a report tells which rules judged it.
public struct RuleSetIdentity: Sendable, Equatable {
    /// A rule that did not run, and why.
    public struct Skipped: Sendable, Equatable {
        public var file: String
        public var line: Int?
        public var reason: String
        /// An error in the rule (syntax, an unknown modifier), rather than a rule Vigil cannot
        /// apply here (a log source it does not read, a field no source of its events produces).
        public var isError: Bool

        /// A rule of `file` at `line` that did not run for `reason`.
        public init(file: String, line: Int?, reason: String, isError: Bool) {
            self.file = file
            self.line = line
            self.reason = reason
            self.isError = isError
        }
    }

    public var paths: [String]
    public var files: Int
    public var sha256: String
    /// The rules and correlations that ran.
    public var rules = 0
    public var correlations = 0
    /// The rules that did not.
    public var skipped: [Skipped] = []
    /// What the reader of the report must know of how the rules ran (a correlation that had to
    /// let sources go before their time: its findings may be incomplete).
    public var warnings: [String] = []

    /// The rule set loaded from `paths`: `files` rule files with this SHA-256.
    public init(paths: [String], files: Int, sha256: String) {
        self.paths = paths
        self.files = files
        self.sha256 = sha256
    }

    /// `47 rules and 5 correlations ran; 3 skipped (1 with an error)`.
    public var counts: String {
        var text = "\(rules) rules and \(correlations) correlations ran"
        if !skipped.isEmpty {
            let errors = skipped.filter(\.isError).count
            text +=
                "; \(skipped.count) skipped (\(errors) with an error, \(skipped.count - errors) that cannot apply here)"
        }
        for warning in warnings { text += "; WARNING: " + warning }
        return text
    }
}

/// A rule as reports describe it.
public struct RuleDescriptor: Sendable, Equatable {
    public var id: String
    public var title: String
    public var description: String?
    public var severity: Severity
    public var category: Category
    public var remediation: String
    public var tags: [String]

    /// A rule as reports list it.
    public init(
        id: String, title: String, description: String?, severity: Severity, category: Category, remediation: String,
        tags: [String]
    ) {
        self.id = id
        self.title = title
        self.description = description
        self.severity = severity
        self.category = category
        self.remediation = remediation
        self.tags = tags
    }
}

/// A report format: its name, its file in a folder of reports, and how a report is written in
/// it. Adding a format is a type conforming to this and a line in ``ReportFormat/renderers``.
public protocol ReportRenderer: Sendable {
    /// The name `--format` takes: `json`.
    static var name: String { get }
    /// The file `--output-dir` writes it to: `report.json`.
    static var fileName: String { get }
    /// `report` in this format; `colour` for a terminal (text only).
    static func render(_ report: Report, colour: Bool) -> String
}

/// A report format Vigil writes, by name (`--format json`).
public struct ReportFormat: RawRepresentable, Hashable, Sendable, CaseIterable {
    /// Every format, in the order a folder of reports is written and listed.
    static let renderers: [any ReportRenderer.Type] = [
        HTMLReport.self, JSONReport.self, SARIFReport.self, CSVReport.self, MarkdownReport.self, TextReport.self,
    ]

    public let rawValue: String

    /// The format named `rawValue`; `nil` for a name no renderer has.
    public init?(rawValue: String) {
        guard Self.renderers.contains(where: { $0.name == rawValue }) else { return nil }
        self.rawValue = rawValue
    }

    public static let allCases: [ReportFormat] = renderers.map { ReportFormat(rawValue: $0.name)! }

    public static let text = ReportFormat(rawValue: TextReport.name)!
    public static let json = ReportFormat(rawValue: JSONReport.name)!
    public static let sarif = ReportFormat(rawValue: SARIFReport.name)!
    public static let csv = ReportFormat(rawValue: CSVReport.name)!
    public static let md = ReportFormat(rawValue: MarkdownReport.name)!
    public static let html = ReportFormat(rawValue: HTMLReport.name)!

    private var renderer: any ReportRenderer.Type { Self.renderers.first { $0.name == rawValue }! }

    /// The file name `--output-dir` writes this format to.
    public var fileName: String { renderer.fileName }

    /// Renders `report` in this format. `colour` applies to text only.
    public func render(_ report: Report, colour: Bool = false) -> String { renderer.render(report, colour: colour) }
}
