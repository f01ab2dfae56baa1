public import VigilCore

/// The JSON report of the contract in `DESIGN.md`: every key always present, `null` where a
/// value is unknown, secrets masked unless the report reveals them.
public enum JSONReport {
    /// `report` as the JSON of the contract, pretty-printed.
    public static func render(_ report: Report) -> String {
        value(report).serialized(pretty: true) + "\n"
    }

    /// `report` as a JSON value (for callers that add to it).
    public static func value(_ report: Report) -> JSONValue {
        .object([
            ("tool", .object([("name", .string("vigil")), ("version", .string(report.toolVersion))])),
            ("generated_at", .string(report.generatedAt.iso8601)),
            ("inputs", .array(report.inputs.map(input))),
            (
                "rule_set",
                report.ruleSet.map { set in
                    .object([
                        ("paths", .array(set.paths.map(JSONValue.string))), ("files", .int(Int64(set.files))),
                        ("sha256", .string(set.sha256)), ("rules", .int(Int64(set.rules))),
                        ("correlations", .int(Int64(set.correlations))),
                        (
                            "skipped",
                            .array(
                                set.skipped.map { skip in
                                    .object([
                                        ("file", .string(skip.file)),
                                        ("line", skip.line.map { .int(Int64($0)) } ?? .null),
                                        ("reason", .string(skip.reason)), ("error", .bool(skip.isError)),
                                    ])
                                })
                        ),
                        ("warnings", .array(set.warnings.map(JSONValue.string))),
                    ])
                } ?? .null
            ),
            (
                "secret_digest",
                .object([
                    ("algorithm", .string("HMAC-SHA-256")), ("key", .string(report.digest.origin.rawValue)),
                    ("key_fingerprint", .string(report.digest.fingerprint)),
                ])
            ),
            (
                "summary",
                .object([
                    ("findings", .int(Int64(report.findings.count))),
                    ("by_severity", .object(report.countsBySeverity.map { ($0.0.rawValue, .int(Int64($0.1))) })),
                ])
            ),
            ("findings", .array(report.findings.map { finding($0, in: report) })),
            ("devices", .array(report.devices.map(device))),
        ])
    }

    static func input(_ input: InputReport) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("path", .string(input.path)), ("kind", .string(input.kind)), ("status", .string(input.statusLabel)),
            ("reason", .optional(input.reason)),
        ]
        if let packets = input.packets { members.append(("packets", .int(Int64(packets)))) }
        if let lines = input.lines { members.append(("lines", .int(Int64(lines)))) }
        if let unrecognised = input.unrecognisedLines {
            members.append(("unrecognised_lines", .int(Int64(unrecognised))))
        }
        members.append(("warnings", .array(input.warnings.map(JSONValue.string))))
        if !input.samples.isEmpty {
            members.append(
                (
                    "samples",
                    .array(
                        input.samples.map { sample in
                            .object([
                                ("index", .int(Int64(sample.index))), ("start", .string(sample.start.iso8601)),
                                ("end", .string(sample.end.iso8601)), ("packets", .int(Int64(sample.packets))),
                                ("bytes", .int(Int64(sample.bytes))), ("kernel_drops", .int(Int64(sample.kernelDrops))),
                                ("interface_drops", .int(Int64(sample.interfaceDrops))),
                            ])
                        })
                ))
        }
        return .object(members)
    }

    static func finding(_ finding: Finding, in report: Report) -> JSONValue {
        .object([
            ("id", .string(finding.id)),
            ("rule", .string(finding.rule)),
            ("title", .string(finding.title)),
            ("severity", .string(finding.severity.rawValue)),
            ("category", .string(finding.category.rawValue)),
            ("first_seen", .string(finding.firstSeen.iso8601)),
            ("last_seen", .string(finding.lastSeen.iso8601)),
            ("count", .int(Int64(finding.count))),
            (
                "subject",
                .object([
                    ("ip", .optional(finding.subject.ip)), ("mac", .optional(finding.subject.mac)),
                    ("host", .optional(finding.subject.host)), ("user", .optional(finding.subject.user)),
                ])
            ),
            ("credential", finding.credential.map { credential($0, in: report) } ?? .null),
            (
                "evidence",
                .array(
                    finding.evidence.map {
                        .object([
                            ("source", .string($0.source)), ("locator", .string($0.locator)),
                            ("summary", .string($0.summary)),
                        ])
                    })
            ),
            ("remediation", .string(finding.remediation)),
            ("checklist", .array(finding.checklist.map(JSONValue.string))),
        ])
    }

    /// A credential as the contract shows it: `strength` is `null` for hashes and tokens;
    /// `outcome` and `packets` extend the contract. `secret_digest` is keyed (see the report's
    /// `secret_digest`).
    static func credential(_ credential: Credential, in report: Report) -> JSONValue {
        var members: [(String, JSONValue)] = [
            ("protocol", .string(credential.protocolName)),
            ("username", .string(credential.username)),
            ("secret_masked", .string(credential.secret.masked)),
            ("secret_digest", .string(report.digest(credential))),
        ]
        if report.revealSecrets { members.append(("secret", .string(credential.secret.reveal()))) }
        members += [
            ("strength", credential.strength.map(strength) ?? .null),
            ("client", .optional(credential.client?.description)),
            ("server", .optional(credential.server?.description)),
            ("outcome", .string(credential.outcome.description)),
            ("packets", .array(credential.packets.map { .int(Int64($0)) })),
            ("kind", .string(credential.kind.rawValue)),
            ("domain", .optional(credential.domain)),
            ("workstation", .optional(credential.workstation)),
            ("hashcat_mode", credential.hashcatMode.map { .int(Int64($0)) } ?? .null),
        ]
        for attribute in credential.attributes { members.append((attribute.name, .string(attribute.value))) }
        return .object(members)
    }

    /// The contract's `strength`: zxcvbn score, log10 of guesses, reasons in words.
    static func strength(_ strength: CredentialStrength) -> JSONValue {
        .object([
            ("score", .int(Int64(strength.score))),
            ("guesses_log10", .double(strength.guessesLog10)),
            ("weak_because", .array(strength.weakBecause.map(JSONValue.string))),
            ("default", .bool(strength.isDefault)),
        ])
    }

    static func device(_ device: Device) -> JSONValue {
        .object([
            ("mac", .string(device.mac)),
            ("ip", .array(device.ips.map(JSONValue.string))),
            ("hostnames", .array(device.hostnames.map(JSONValue.string))),
            ("vendor", .optional(device.vendor)),
            ("first_seen", .string(device.firstSeen.iso8601)),
            ("last_seen", .string(device.lastSeen.iso8601)),
            ("managed", .bool(device.managed)),
            ("asset_tag", .optional(device.assetTag)),
            ("asset_status", .optional(device.assetStatus)),
            ("locally_administered", .bool(device.locallyAdministered)),
            ("platform", .optional(device.platform)),
            ("port", .optional(device.port)),
            ("seen_by", .array(device.seenBy.map(JSONValue.string))),
        ])
    }
}

extension JSONReport: ReportRenderer {
    public static let name = "json"
    public static let fileName = "report.json"

    /// `report` as JSON (no colour).
    public static func render(_ report: Report, colour: Bool) -> String { render(report) }
}
