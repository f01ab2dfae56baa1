internal import VigilCore

/// The terminal report: a header, the inputs with their warnings, then each finding with its
/// subject, credential (masked), time span, evidence and remediation.
///
/// Colour marks severity only when `colour` is set (the CLI sets it on a TTY without
/// `NO_COLOR`); the severity is always spelled out too, so nothing depends on colour.
public struct TextReport: Sendable {
    public var colour: Bool

    /// A text renderer, in colour for a terminal when `colour`.
    public init(colour: Bool) { self.colour = colour }

    /// `report` as text for a person.
    public func render(_ report: Report) -> String {
        var out = "Vigil \(report.toolVersion) audit, \(report.generatedAt.iso8601)\n\n"
        if let notice = report.incompleteNotice { out += paint("INCOMPLETE:", .red) + " " + v(notice) + "\n\n" }
        out += "Inputs (\(report.inputs.count)):\n"
        for input in report.inputs {
            var size: [String] = []
            if let packets = input.packets { size.append("\(packets) packets") }
            if let lines = input.lines {
                size.append(
                    "\(lines) lines"
                        + (input.unrecognisedLines.map { $0 > 0 ? " (\($0) of no known service)" : "" } ?? ""))
            }
            switch input.status {
            case .read:
                out += (["  \(v(input.path))", input.kind] + size).joined(separator: "  ") + "\n"
            case .partial:
                out += (["  \(v(input.path))", input.kind] + size + [""]).joined(separator: "  ")
                out += paint("READ IN PART:", .red) + " \(v(input.reason ?? ""))\n"
            case .skipped:
                out += "  \(v(input.path))  skipped: \(v(input.reason ?? ""))\n"
            case .unreadable:
                out += "  \(v(input.path))  " + paint("NOT READ:", .red) + " \(v(input.reason ?? ""))\n"
            }
            for sample in input.samples {
                out +=
                    "    sample \(sample.index): \(sample.start.iso8601) to \(sample.end.iso8601), \(sample.packets) packets, "
                out += "\(sample.bytes) bytes, \(sample.kernelDrops) dropped by the kernel\n"
            }
            for warning in input.warnings { out += "    " + paint("warning:", .yellow) + " \(v(warning))\n" }
        }
        if let ruleSet = report.ruleSet {
            out +=
                "\nRules: \(ruleSet.files) file(s) from \(ruleSet.paths.map(v).joined(separator: ", ")), SHA-256 \(ruleSet.sha256); \(ruleSet.counts)\n"
        }
        if report.findings.contains(where: { $0.credential != nil }) {
            out +=
                "Secret digests: HMAC-SHA-256 under the \(report.digest.origin.rawValue) key \(report.digest.fingerprint)\n"
        }
        let counts = report.countsBySeverity.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        out += "\nFindings: \(report.findings.count) (\(counts))\n"
        for finding in report.findings {
            out += "\n" + describe(finding, in: report)
        }
        if report.findings.isEmpty {
            out += "\n" + report.noFindingsSentence + "\n"
        }
        if !report.devices.isEmpty {
            let unmanaged = report.devices.filter { !$0.managed }.count
            out += "\nDevices: \(report.devices.count) (\(unmanaged) not in an inventory)\n"
            // Some device is managed: an inventory was given, and the others are not in it.
            let inventoried = report.devices.contains { $0.managed }
            for device in report.devices {
                var parts = [device.mac]
                if inventoried && !device.managed { parts.append("UNMANAGED") }
                if device.managed {
                    parts.append(
                        "managed \(device.assetTag ?? "")"
                            + (device.assetStatus.map { $0 == "active" ? "" : " (\($0))" } ?? ""))
                }
                if !device.ips.isEmpty { parts.append(device.ips.prefix(4).joined(separator: " ")) }
                if !device.hostnames.isEmpty { parts.append(device.hostnames.joined(separator: " ")) }
                parts.append(device.vendor ?? (device.locallyAdministered ? "(random MAC)" : "(vendor unknown)"))
                if let platform = device.platform { parts.append(platform) }
                if let port = device.port { parts.append("port \(port)") }
                parts.append("seen by \(device.seenBy.joined(separator: ", "))")
                out += "  " + parts.map(v).joined(separator: "  ") + "\n"
            }
        }
        return out
    }

    private func describe(_ finding: Finding, in report: Report) -> String {
        let label = paint("[\(finding.severity.rawValue.uppercased())]", style(for: finding.severity))
        var out = "\(label) \(bold(v(finding.title)))  (\(v(finding.rule)), \(finding.category.rawValue))\n"
        let subject = [
            finding.subject.ip, finding.subject.mac, finding.subject.host, finding.subject.user.map { "user \($0)" },
        ].compactMap { $0 }
        if !subject.isEmpty { out += "  subject:     \(v(subject.joined(separator: ", ")))\n" }
        if let credential = finding.credential {
            out +=
                "  credential:  \(v(credential.protocolName)) user '\(v(credential.username))' secret \(report.secret(credential))"
            out += " (digest \(report.digest(credential).prefix(16))...)\n"
            let route = [credential.client.map { "from \($0)" }, credential.server.map { "to \($0)" }].compactMap { $0 }
            out += "  connection:  \(v(route.joined(separator: " "))), \(v(credential.outcome.description))\n"
            if let strength = credential.strength {
                let verdict = strength.isWeak ? "weak: " + strength.weakBecause.joined(separator: "; ") : "not weak"
                out +=
                    "  strength:    zxcvbn score \(strength.score) of 4, about 10^\(Int(strength.guessesLog10.rounded())) guesses; \(verdict)\n"
            }
        }
        let span =
            finding.firstSeen == finding.lastSeen
            ? finding.firstSeen.iso8601 : "\(finding.firstSeen.iso8601) to \(finding.lastSeen.iso8601)"
        out += "  seen:        \(span), \(finding.count) time\(finding.count == 1 ? "" : "s")\n"
        for (index, evidence) in finding.evidence.enumerated() {
            out += index == 0 ? "  evidence:    " : "               "
            out += "\(v(evidence.source)) \(evidence.locator): \(v(evidence.summary))\n"
        }
        if finding.count > finding.evidence.count {
            out += "               (\(finding.count - finding.evidence.count) more not listed)\n"
        }
        if !finding.remediation.isEmpty { out += "  remediation: \(v(finding.remediation))\n" }
        return out
    }

    /// A value from an input, its control characters shown.
    private func v(_ text: String) -> String { Printable.visible(text) }

    private enum Style: String {
        case red = "\u{1B}[1;31m"
        case yellow = "\u{1B}[33m"
        case cyan = "\u{1B}[36m"
        case dim = "\u{1B}[2m"
        case bold = "\u{1B}[1m"
    }

    private func style(for severity: Severity) -> Style {
        switch severity {
        case .critical, .high: .red
        case .medium: .yellow
        case .low: .cyan
        case .info: .dim
        }
    }

    private func paint(_ text: String, _ style: Style) -> String {
        colour ? style.rawValue + text + "\u{1B}[0m" : text
    }

    private func bold(_ text: String) -> String { paint(text, .bold) }
}

extension TextReport: ReportRenderer {
    public static let name = "text"
    public static let fileName = "report.txt"

    /// `report` as text, coloured when `colour`.
    public static func render(_ report: Report, colour: Bool) -> String { TextReport(colour: colour).render(report) }
}
