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

    /// Number of findings at each severity, every severity present.
    public var countsBySeverity: [(Severity, Int)] {
        Severity.descending.map { severity in (severity, findings.filter { $0.severity == severity }.count) }
    }
}

/// The report formats Vigil writes.
public enum ReportFormat: String, Sendable, CaseIterable {
    case text
    case json

    /// Renders `report` in this format. `colour` applies to text only.
    public func render(_ report: Report, colour: Bool = false) -> String {
        switch self {
        case .text: TextReport(colour: colour).render(report)
        case .json: JSONReport.render(report)
        }
    }
}
