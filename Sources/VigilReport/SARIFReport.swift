internal import VigilCore

/// SARIF 2.1.0: one run of the tool `vigil`, every rule that ran as a reportingDescriptor, each
/// finding a result whose locations point at the log file and line (a region) or the capture
/// file and packet (a `packet` property of the physical location: the schema's region needs a
/// line or a byte offset, and a packet number is neither), with the finding id as fingerprint.
/// Secrets are masked as everywhere else.
public enum SARIFReport {
    static let schema = "https://json.schemastore.org/sarif-2.1.0.json"

    /// `report` as SARIF 2.1.0.
    public static func render(_ report: Report) -> String {
        // Rules that ran, plus any rule a finding names that the list lacks.
        var rules = report.rules
        for finding in report.findings where !rules.contains(where: { $0.id == finding.rule }) {
            rules.append(
                RuleDescriptor(
                    id: finding.rule, title: finding.title, description: nil, severity: finding.severity,
                    category: finding.category, remediation: finding.remediation, tags: []))
        }
        let index = Dictionary(rules.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        let descriptors: [JSONValue] = rules.map { rule in
            var properties: [(String, JSONValue)] = [
                ("category", .string(rule.category.rawValue)),
                ("security-severity", .string(securitySeverity(rule.severity))),
                ("precision", .string("high")),
            ]
            properties.append(("tags", .array((["security"] + rule.tags).map(JSONValue.string))))
            return .object([
                ("id", .string(rule.id)),
                ("name", .string(name(rule.id))),
                ("shortDescription", .object([("text", .string(rule.title))])),
                ("fullDescription", .object([("text", .string(rule.description ?? rule.title))])),
                ("help", .object([("text", .string(rule.remediation.isEmpty ? rule.title : rule.remediation))])),
                ("defaultConfiguration", .object([("level", .string(level(rule.severity)))])),
                ("properties", .object(properties)),
            ])
        }
        let results: [JSONValue] = report.findings.map { finding in
            var members: [(String, JSONValue)] = [
                ("ruleId", .string(finding.rule)),
                ("ruleIndex", .int(Int64(index[finding.rule] ?? 0))),
                ("level", .string(level(finding.severity))),
                ("message", .object([("text", .string(message(finding, in: report)))])),
            ]
            let locations = finding.evidence.map(location)
            if let first = locations.first { members.append(("locations", .array([first]))) }
            if locations.count > 1 {
                members.append(
                    (
                        "relatedLocations",
                        .array(
                            locations.dropFirst().enumerated().map { offset, location in
                                guard case .object(var parts) = location else { return location }
                                parts.insert(("id", .int(Int64(offset + 1))), at: 0)
                                return .object(parts)
                            })
                    ))
            }
            members.append(("fingerprints", .object([("vigil/v1", .string(finding.id))])))
            members.append(("partialFingerprints", .object([("vigilFindingId/v1", .string(finding.id))])))
            var properties: [(String, JSONValue)] = [
                ("severity", .string(finding.severity.rawValue)),
                ("category", .string(finding.category.rawValue)),
                ("count", .int(Int64(finding.count))),
                ("first_seen", .string(finding.firstSeen.iso8601)),
                ("last_seen", .string(finding.lastSeen.iso8601)),
            ]
            if let credential = finding.credential {
                properties.append(("credential", JSONReport.credential(credential, in: report)))
            }
            members.append(("properties", .object(properties)))
            return .object(members)
        }
        // Inputs not read whole are errors of the run (it did not look at everything); their
        // warnings are warnings.
        let failures: [JSONValue] = report.failedInputs.map { input in
            JSONValue.object([
                ("level", .string("error")),
                ("message", .object([("text", .string("\(input.path): \(input.statusLabel): \(input.reason ?? "")"))])),
            ])
        }
        let notifications: [JSONValue] =
            failures
            + report.inputs.flatMap { input in
                input.warnings.map { warning in
                    JSONValue.object([
                        ("level", .string("warning")),
                        ("message", .object([("text", .string("\(input.path): \(warning)"))])),
                    ])
                }
            }
        let run = JSONValue.object([
            (
                "tool",
                .object([
                    (
                        "driver",
                        .object([
                            ("name", .string("vigil")),
                            ("version", .string(report.toolVersion)),
                            ("semanticVersion", .string(report.toolVersion)),
                            ("informationUri", .string("https://github.com/vigil-audit/vigil")),
                            ("rules", .array(descriptors)),
                        ])
                    )
                ])
            ),
            (
                "invocations",
                .array([
                    .object([
                        ("executionSuccessful", .bool(report.failedInputs.isEmpty)),
                        ("endTimeUtc", .string(report.generatedAt.iso8601)),
                        ("toolExecutionNotifications", .array(notifications)),
                    ])
                ])
            ),
            (
                "artifacts",
                .array(
                    report.inputs.map {
                        .object([
                            ("location", .object([("uri", .string(uri($0.path)))])),
                            ("properties", .object([("status", .string($0.statusLabel))])),
                        ])
                    })
            ),
            ("results", .array(results)),
        ])
        return JSONValue.object([("$schema", .string(schema)), ("version", .string("2.1.0")), ("runs", .array([run]))])
            .serialized(pretty: true) + "\n"
    }

    /// SARIF's level: critical and high are errors, medium warnings, low and info notes.
    static func level(_ severity: Severity) -> String {
        switch severity {
        case .critical, .high: "error"
        case .medium: "warning"
        case .low, .info: "note"
        }
    }

    /// GitHub code scanning's `security-severity` (0.0 to 10.0, as CVSS bands).
    static func securitySeverity(_ severity: Severity) -> String {
        switch severity {
        case .critical: "9.5"
        case .high: "8.0"
        case .medium: "5.5"
        case .low: "3.0"
        case .info: "0.0"
        }
    }

    /// `net.cleartext-credential.ftp` → `NetCleartextCredentialFtp`: SARIF's name is an identifier.
    static func name(_ id: String) -> String {
        id.split(whereSeparator: { !$0.isLetter && !$0.isNumber }).map { $0.prefix(1).uppercased() + $0.dropFirst() }
            .joined()
    }

    static func message(_ finding: Finding, in report: Report) -> String {
        var parts = [finding.title]
        let subject = [
            finding.subject.ip, finding.subject.mac, finding.subject.host, finding.subject.user.map { "user \($0)" },
        ].compactMap { $0 }
        if !subject.isEmpty { parts.append("(" + subject.joined(separator: ", ") + ")") }
        if let credential = finding.credential {
            parts.append("credential \(credential.protocolName) '\(credential.username)' \(report.secret(credential))")
            if let strength = credential.strength, strength.isWeak {
                parts.append("weak: " + strength.weakBecause.joined(separator: "; "))
            }
        }
        parts.append("seen \(finding.count) time(s), \(finding.firstSeen.iso8601) to \(finding.lastSeen.iso8601).")
        return parts.joined(separator: " ")
    }

    /// A physical location: the file, and the line (logs) or the packet (captures).
    static func location(_ evidence: Evidence) -> JSONValue {
        let locator = evidence.locator
        var physical: [(String, JSONValue)] = [("artifactLocation", .object([("uri", .string(uri(evidence.source)))]))]
        if locator.hasPrefix("line "), let line = Int(locator.dropFirst(5)), line >= 1 {
            physical.append(("region", .object([("startLine", .int(Int64(line)))])))
        } else if locator.hasPrefix("packet "), let packet = Int(locator.dropFirst(7)) {
            // A region needs a line or an offset; a packet number is neither, so it is a
            // property of the physical location.
            physical.append(("properties", .object([("packet", .int(Int64(packet)))])))
        }
        return .object([
            ("physicalLocation", .object(physical)),
            ("message", .object([("text", .string(evidence.summary))])),
        ])
    }

    /// A relative or absolute path as a URI reference (RFC 3986: spaces and the like escaped).
    static func uri(_ path: String) -> String {
        var out = ""
        for byte in path.utf8 {
            let character = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (character.isLetter || character.isNumber || "/-._~".contains(character)) {
                out.append(character)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded()
            }
        }
        return path.hasPrefix("/") ? "file://" + out : out
    }
}

extension String {
    fileprivate func leftPadded() -> String { count == 1 ? "0" + self : self }
}

extension SARIFReport: ReportRenderer {
    public static let name = "sarif"
    public static let fileName = "report.sarif"

    /// `report` as SARIF (no colour).
    public static func render(_ report: Report, colour: Bool) -> String { render(report) }
}
