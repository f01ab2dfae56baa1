internal import VigilCore

/// One row per finding, RFC 4180 (CRLF, quotes doubled), stable columns (new ones only ever
/// appended), and a leading `'` on cells a spreadsheet would take for a formula.
public enum CSVReport {
    public static let columns = [
        "id", "rule", "title", "severity", "category", "count", "first_seen", "last_seen", "subject_ip",
        "subject_mac", "subject_host", "subject_user", "credential_protocol", "credential_user", "secret",
        "secret_digest", "weak_because", "evidence", "remediation",
    ]

    /// `report` as CSV, one row per finding.
    public static func render(_ report: Report) -> String {
        var out = columns.joined(separator: ",") + "\r\n"
        for finding in report.findings {
            let credential = finding.credential
            let row: [String] = [
                finding.id, finding.rule, finding.title, finding.severity.rawValue, finding.category.rawValue,
                String(finding.count), finding.firstSeen.iso8601, finding.lastSeen.iso8601, finding.subject.ip ?? "",
                finding.subject.mac ?? "", finding.subject.host ?? "", finding.subject.user ?? "",
                credential?.protocolName ?? "", credential?.username ?? "",
                credential.map(report.secret) ?? "",
                credential.map(report.digest) ?? "",
                credential?.strength?.weakBecause.joined(separator: "; ") ?? "",
                finding.evidence.map { "\($0.source) \($0.locator)" }.joined(separator: "; "),
                finding.remediation,
            ]
            out += row.map(DeviceList.csvField).joined(separator: ",") + "\r\n"
        }
        return out
    }
}

extension CSVReport: ReportRenderer {
    public static let name = "csv"
    public static let fileName = "findings.csv"

    /// `report` as CSV (no colour).
    public static func render(_ report: Report, colour: Bool) -> String { render(report) }
}
