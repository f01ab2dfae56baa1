internal import VigilCore

/// The report as Markdown, for a ticket: a summary, the findings by severity with their
/// evidence and remediation, the devices. Every value from an input is escaped: control
/// characters shown, Markdown's own characters backslashed, code spans fenced longer than any
/// run of backticks inside.
public enum MarkdownReport {
    /// `report` as Markdown.
    public static func render(_ report: Report) -> String {
        var out = "# Vigil audit report\n\n"
        out += "Vigil \(report.toolVersion), \(report.generatedAt.iso8601).\n\n"
        if let notice = report.incompleteNotice { out += "**INCOMPLETE:** \(cell(notice))\n\n" }
        out += "| input | kind | status |\n|---|---|---|\n"
        for input in report.inputs {
            let status = input.statusLabel + (input.reason.map { ": " + $0 } ?? "")
            out += "| \(code(input.path)) | \(input.kind) | \(cell(status)) |\n"
        }
        if let ruleSet = report.ruleSet {
            out +=
                "\nRules: \(ruleSet.files) file(s) from \(ruleSet.paths.map(code).joined(separator: ", ")), SHA-256 `\(ruleSet.sha256)`; \(ruleSet.counts).\n"
        }
        out += "\n| severity | findings |\n|---|---|\n"
        for (severity, count) in report.countsBySeverity { out += "| \(severity.rawValue) | \(count) |\n" }
        out += "\n"
        if report.findings.isEmpty {
            out += report.noFindingsSentence + "\n"
        }
        for severity in Severity.descending {
            let findings = report.findings.filter { $0.severity == severity }
            guard !findings.isEmpty else { continue }
            out += "## \(severity.rawValue.capitalized) (\(findings.count))\n\n"
            for finding in findings {
                out += "### \(cell(finding.title))\n\n"
                out += "- rule \(code(finding.rule)), \(finding.category.rawValue), id `\(finding.id)`\n"
                let subject = [
                    finding.subject.ip, finding.subject.mac, finding.subject.host,
                    finding.subject.user.map { "user \($0)" },
                ].compactMap { $0 }
                if !subject.isEmpty { out += "- subject: \(cell(subject.joined(separator: ", ")))\n" }
                out += "- seen \(finding.count) time(s), \(finding.firstSeen.iso8601) to \(finding.lastSeen.iso8601)\n"
                if let credential = finding.credential {
                    out +=
                        "- credential: \(cell(credential.protocolName)) user \(code(credential.username)), secret \(code(report.secret(credential)))"
                    out += " (digest `\(report.digest(credential).prefix(16))…`)\n"
                    if let strength = credential.strength, strength.isWeak {
                        out += "- weak: \(cell(strength.weakBecause.joined(separator: "; ")))\n"
                    }
                }
                for evidence in finding.evidence.prefix(5) {
                    out += "- evidence: \(code(evidence.source)) \(evidence.locator): \(cell(evidence.summary))\n"
                }
                if !finding.remediation.isEmpty { out += "\n**Remediation:** \(cell(finding.remediation))\n" }
                out += "\n"
            }
        }
        if !report.devices.isEmpty {
            out +=
                "## Devices (\(report.devices.count))\n\n| MAC | vendor | addresses | names | managed |\n|---|---|---|---|---|\n"
            for device in report.devices {
                out +=
                    "| \(cell(device.mac)) | \(cell(device.vendor ?? "")) | \(cell(device.ips.joined(separator: " "))) | "
                out +=
                    "\(cell(device.hostnames.joined(separator: " "))) | \(device.managed ? "yes \(cell(device.assetTag ?? ""))" : "no") |\n"
            }
        }
        return out
    }

    static func cell(_ text: String) -> String { Printable.markdown(text) }
    static func code(_ text: String) -> String { Printable.markdownCode(text) }
}

extension MarkdownReport: ReportRenderer {
    public static let name = "md"
    public static let fileName = "report.md"

    /// `report` as Markdown (no colour).
    public static func render(_ report: Report, colour: Bool) -> String { render(report) }
}
