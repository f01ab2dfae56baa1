internal import VigilCore

/// The report as one self-contained HTML page: no network, no external scripts, fonts or
/// images. An executive summary (the risk posture in a sentence, counts by severity and by
/// category as an inline SVG chart), the findings grouped by category, the device inventory, the
/// credentials found (masked) with why each is weak, the inputs and their warnings, and the
/// rules that ran. A few lines of inline script sort and filter the findings by severity; without
/// script every finding is shown. Severity is always written out and marked by a shape, never by
/// colour alone; a print stylesheet gives a clean A4 or Letter document.
public enum HTMLReport {
    /// `report` as one self-contained HTML page.
    public static func render(_ report: Report) -> String {
        var out = head(report)
        out += summary(report)
        out += findings(report)
        out += credentials(report)
        out += devices(report)
        out += inputs(report)
        out += rules(report)
        out += script
        out += "</main></body></html>\n"
        return out
    }

    static let order: [Severity] = Severity.descending

    static func mark(_ severity: Severity) -> String {
        switch severity {
        case .critical: "◆◆"
        case .high: "◆"
        case .medium: "▲"
        case .low: "●"
        case .info: "○"
        }
    }

    private static func head(_ report: Report) -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>Vigil audit report, \(escape(report.generatedAt.iso8601))</title>
        <style>
        :root { --critical: #7a0016; --high: #b33c00; --medium: #7a5c00; --low: #1f5f8b; --info: #4a4a4a; }
        body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1a1a1a; margin: 0; background: #fafafa; }
        main { max-width: 72em; margin: 0 auto; padding: 1.5em; background: #fff; }
        h1 { font-size: 1.7em; margin: 0 0 0.2em; } h2 { border-bottom: 2px solid #ccc; padding-bottom: 0.2em; margin-top: 2em; }
        table { border-collapse: collapse; width: 100%; margin: 0.5em 0; font-size: 0.95em; }
        th, td { text-align: left; padding: 0.35em 0.5em; border-bottom: 1px solid #e2e2e2; vertical-align: top; }
        th { background: #f1f1f1; }
        .sev { font-weight: 700; white-space: nowrap; }
        .sev-critical { color: var(--critical); } .sev-high { color: var(--high); } .sev-medium { color: var(--medium); }
        .sev-low { color: var(--low); } .sev-info { color: var(--info); }
        .finding { border: 1px solid #ddd; border-left-width: 6px; padding: 0.6em 0.9em; margin: 0.7em 0; border-radius: 3px; }
        .finding.critical { border-left-color: var(--critical); } .finding.high { border-left-color: var(--high); }
        .finding.medium { border-left-color: var(--medium); } .finding.low { border-left-color: var(--low); } .finding.info { border-left-color: var(--info); }
        .finding h3 { margin: 0 0 0.3em; font-size: 1.05em; } .meta { color: #444; font-size: 0.92em; }
        code { font: 0.9em/1.4 ui-monospace, "DejaVu Sans Mono", monospace; background: #f3f3f3; padding: 0 0.2em; word-break: break-all; }
        .controls { display: none; margin: 0.5em 0; } .controls label { margin-right: 1em; }
        .posture { font-size: 1.15em; } .warning { color: #7a5c00; }
        svg text { font: 12px system-ui, sans-serif; fill: #1a1a1a; }
        @media print {
          @page { size: A4; margin: 15mm; }
          body { background: #fff; font-size: 10.5pt; } main { max-width: none; padding: 0; }
          .controls { display: none !important; } .finding { break-inside: avoid; }
          h2 { break-after: avoid; } a { color: inherit; text-decoration: none; }
        }
        </style></head><body><main>
        <h1>Vigil audit report</h1>
        <p class="meta">Vigil \(escape(report.toolVersion)), generated \(escape(report.generatedAt.iso8601)); \(report.inputs.count) input(s).</p>

        """
    }

    private static func summary(_ report: Report) -> String {
        let counts = report.countsBySeverity
        let worst = counts.first { $0.1 > 0 }?.0
        let posture: String
        switch worst {
        case .critical?:
            posture =
                "Critical: act today. At least one finding shows a likely compromise, a default credential or an asset that should not be here."
        case .high?: posture = "High risk: credentials or access are exposed; fix the high findings this week."
        case .medium?: posture = "Moderate risk: no exposed credential, but weaknesses to plan away."
        case .low?, .info?: posture = "Low risk: only minor findings."
        case nil:
            posture =
                report.ruleSet.map { $0.rules == 0 && $0.correlations == 0 } == true
                ? report.noFindingsSentence
                : report.failedInputs.isEmpty ? "No findings in these inputs." : "No findings in what could be read."
        }
        var out = "<h2 id=\"summary\">Executive summary</h2>\n"
        if let notice = report.incompleteNotice {
            out += "<p class=\"posture sev-critical\"><strong>INCOMPLETE:</strong> \(escape(notice))</p>\n"
        }
        out += "<p class=\"posture\"><strong>\(escape(posture))</strong></p>\n"
        out += "<p>\(report.findings.count) finding(s): "
        out += counts.map { "\($0.1) \($0.0.rawValue)" }.joined(separator: ", ")
        let unmanaged = report.devices.filter { !$0.managed }.count
        out += ". \(report.devices.count) device(s) seen"
        if report.devices.contains(where: \.managed) { out += ", \(unmanaged) not in the inventory" }
        out += ".</p>\n"
        out += chart(
            counts: counts.map { ($0.0.rawValue, $0.1, "var(--\($0.0.rawValue))", mark($0.0)) },
            title: "Findings by severity")
        let categories = Category.allCases.map { category in
            (category.rawValue, report.findings.filter { $0.category == category }.count, "#555", "")
        }
        out += chart(counts: categories, title: "Findings by category")
        return out
    }

    /// A horizontal bar chart as inline SVG, with each count written beside its bar.
    private static func chart(counts: [(String, Int, String, String)], title: String) -> String {
        let maximum = max(1, counts.map(\.1).max() ?? 1)
        let rowHeight = 22
        let height = counts.count * rowHeight + 28
        var svg =
            "<svg role=\"img\" aria-label=\"\(escape(title))\" width=\"520\" height=\"\(height)\" viewBox=\"0 0 520 \(height)\">\n"
        svg += "<title>\(escape(title))</title><text x=\"0\" y=\"14\" font-weight=\"bold\">\(escape(title))</text>\n"
        for (index, item) in counts.enumerated() {
            let y = 24 + index * rowHeight
            let width = Int(Double(item.1) / Double(maximum) * 300)
            svg += "<text x=\"0\" y=\"\(y + 14)\">\(escape(item.3)) \(escape(item.0))</text>"
            svg +=
                "<rect x=\"150\" y=\"\(y + 3)\" width=\"\(max(width, item.1 > 0 ? 2 : 0))\" height=\"14\" style=\"fill:\(item.2)\"></rect>"
            svg += "<text x=\"\(156 + width)\" y=\"\(y + 14)\">\(item.1)</text>\n"
        }
        return svg + "</svg>\n"
    }

    private static func findings(_ report: Report) -> String {
        var out = "<h2 id=\"findings\">Findings</h2>\n"
        out += "<div class=\"controls\" id=\"controls\">Show: "
        for severity in order {
            out +=
                "<label><input type=\"checkbox\" checked data-severity=\"\(severity.rawValue)\"> \(mark(severity)) \(severity.rawValue)</label>"
        }
        out +=
            " <label>Sort: <select id=\"sort\"><option value=\"severity\">severity</option><option value=\"first\">first seen</option><option value=\"count\">count</option></select></label></div>\n"
        if report.findings.isEmpty { return out + "<p>\(report.noFindingsSentence)</p>\n" }
        for category in Category.allCases {
            let items = report.findings.filter { $0.category == category }
            guard !items.isEmpty else { continue }
            out += "<h3>\(escape(category.rawValue)) (\(items.count))</h3>\n<div class=\"group\">\n"
            for (rank, finding) in items.enumerated() {
                out +=
                    "<section class=\"finding \(finding.severity.rawValue)\" data-severity=\"\(finding.severity.rawValue)\" data-rank=\"\(rank)\" data-first=\"\(escape(finding.firstSeen.iso8601))\" data-count=\"\(finding.count)\">\n"
                out +=
                    "<h3><span class=\"sev sev-\(finding.severity.rawValue)\">\(mark(finding.severity)) \(finding.severity.rawValue.uppercased())</span> \(escape(finding.title))</h3>\n"
                let subject = [
                    finding.subject.ip, finding.subject.mac, finding.subject.host,
                    finding.subject.user.map { "user \($0)" },
                ].compactMap { $0 }
                out += "<p class=\"meta\">Rule <code>\(escape(finding.rule))</code>"
                if !subject.isEmpty { out += " · subject \(escape(subject.joined(separator: ", ")))" }
                out +=
                    " · seen \(finding.count) time(s), \(escape(finding.firstSeen.iso8601)) to \(escape(finding.lastSeen.iso8601))</p>\n"
                if let credential = finding.credential {
                    out +=
                        "<p>Credential: \(escape(credential.protocolName)) user <code>\(escape(credential.username))</code>, secret <code>\(escape(report.secret(credential)))</code> (digest <code>\(escape(String(report.digest(credential).prefix(16))))…</code>)"
                    if let strength = credential.strength, strength.isWeak {
                        out += "; weak: \(escape(strength.weakBecause.joined(separator: "; ")))"
                    }
                    out += "</p>\n"
                }
                out += "<ul>\n"
                for evidence in finding.evidence {
                    out +=
                        "<li><code>\(escape(evidence.source))</code> \(escape(evidence.locator)): \(escape(evidence.summary))</li>\n"
                }
                out += "</ul>\n"
                if !finding.remediation.isEmpty {
                    out += "<p><strong>Remediation:</strong> \(escape(finding.remediation))</p>\n"
                }
                out += "</section>\n"
            }
            out += "</div>\n"
        }
        return out
    }

    private static func credentials(_ report: Report) -> String {
        let found = report.findings.compactMap { finding in finding.credential.map { (finding, $0) } }
        guard !found.isEmpty else { return "" }
        var seen: Set<[String]> = []
        var out =
            "<h2 id=\"credentials\">Credentials found</h2>\n<table><thead><tr><th>Protocol</th><th>User</th><th>Secret (masked)</th><th>Server</th><th>Outcome</th><th>Why weak</th></tr></thead><tbody>\n"
        for (_, credential) in found {
            let key = [
                credential.protocolName, credential.username, report.digest(credential),
                credential.server?.description ?? "",
            ]
            guard seen.insert(key).inserted else { continue }
            let secret = report.secret(credential)
            out +=
                "<tr><td>\(escape(credential.protocolName))</td><td><code>\(escape(credential.username))</code></td><td><code>\(escape(secret))</code></td>"
            out +=
                "<td>\(escape(credential.server?.description ?? ""))</td><td>\(escape(credential.outcome.description))</td>"
            out +=
                "<td>\(escape(credential.strength.map { $0.isWeak ? $0.weakBecause.joined(separator: "; ") : "not weak (zxcvbn \($0.score) of 4)" } ?? (credential.kind == .hash ? "a hash to crack offline" : "")))</td></tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    private static func devices(_ report: Report) -> String {
        guard !report.devices.isEmpty else { return "" }
        let inventoried = report.devices.contains { $0.managed }
        var out =
            "<h2 id=\"devices\">Devices</h2>\n<table><thead><tr><th>MAC</th><th>Vendor</th><th>Addresses</th><th>Names</th><th>Managed</th><th>Seen</th></tr></thead><tbody>\n"
        for device in report.devices {
            let managed =
                device.managed
                ? "yes, \(device.assetTag ?? "")" + (device.assetStatus.map { $0 == "active" ? "" : " (\($0))" } ?? "")
                : (inventoried ? "NO" : "no inventory")
            out +=
                "<tr><td><code>\(device.mac)</code></td><td>\(escape(device.vendor ?? (device.locallyAdministered ? "(random MAC)" : "")))</td>"
            out +=
                "<td>\(escape(device.ips.joined(separator: " ")))</td><td>\(escape(device.hostnames.joined(separator: " ")))</td>"
            out +=
                "<td>\(escape(managed))</td><td>\(escape(device.firstSeen.iso8601)) to \(escape(device.lastSeen.iso8601)), by \(escape(device.seenBy.joined(separator: ", ")))</td></tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    private static func inputs(_ report: Report) -> String {
        var out =
            "<h2 id=\"inputs\">Inputs</h2>\n<table><thead><tr><th>File</th><th>Kind</th><th>Status</th><th>Read</th><th>Warnings</th></tr></thead><tbody>\n"
        for input in report.inputs {
            let read = input.packets.map { "\($0) packets" } ?? input.lines.map { "\($0) lines" } ?? ""
            let status = input.statusLabel + (input.reason.map { ": " + $0 } ?? "")
            let style = input.isFailure ? " class=\"sev sev-critical\"" : ""
            out += "<tr><td><code>\(escape(input.path))</code></td><td>\(escape(input.kind))</td>"
            out += "<td\(style)>\(escape(status))</td><td>\(read)</td>"
            out += "<td class=\"warning\">\(escape(input.warnings.joined(separator: "; ")))</td></tr>\n"
        }
        out += "</tbody></table>\n"
        if let ruleSet = report.ruleSet {
            out +=
                "<p class=\"meta\">Rules: \(ruleSet.files) file(s) from \(escape(ruleSet.paths.joined(separator: ", "))), SHA-256 <code>\(ruleSet.sha256)</code>; \(escape(ruleSet.counts)).</p>\n"
        }
        if report.findings.contains(where: { $0.credential != nil }) {
            out +=
                "<p class=\"meta\">Secret digests: HMAC-SHA-256 under the \(report.digest.origin.rawValue) key <code>\(report.digest.fingerprint)</code>.</p>\n"
        }
        return out
    }

    private static func rules(_ report: Report) -> String {
        guard !report.rules.isEmpty else { return "" }
        var out =
            "<h2 id=\"rules\">Rules that ran (\(report.rules.count))</h2>\n<table><thead><tr><th>Rule</th><th>Severity</th><th>Category</th><th>Title</th></tr></thead><tbody>\n"
        for rule in report.rules {
            out +=
                "<tr><td><code>\(escape(rule.id))</code></td><td class=\"sev sev-\(rule.severity.rawValue)\">\(mark(rule.severity)) \(rule.severity.rawValue)</td>"
            out += "<td>\(escape(rule.category.rawValue))</td><td>\(escape(rule.title))</td></tr>\n"
        }
        return out + "</tbody></table>\n"
    }

    /// Filtering by severity and sorting, for screens; the page reads fully without it.
    static let script = """
        <script>
        (function () {
          var controls = document.getElementById('controls');
          if (!controls) return;
          controls.style.display = 'block';
          var rank = { critical: 0, high: 1, medium: 2, low: 3, info: 4 };
          function apply() {
            var shown = {};
            controls.querySelectorAll('input[data-severity]').forEach(function (box) { shown[box.dataset.severity] = box.checked; });
            var key = document.getElementById('sort').value;
            document.querySelectorAll('.group').forEach(function (group) {
              var items = Array.prototype.slice.call(group.querySelectorAll('.finding'));
              items.sort(function (a, b) {
                if (key === 'count') return b.dataset.count - a.dataset.count;
                if (key === 'first') return a.dataset.first < b.dataset.first ? -1 : 1;
                return (rank[a.dataset.severity] - rank[b.dataset.severity]) || (a.dataset.rank - b.dataset.rank);
              });
              items.forEach(function (item) { item.hidden = !shown[item.dataset.severity]; group.appendChild(item); });
            });
          }
          controls.addEventListener('change', apply);
        })();
        </script>

        """

    /// `text` safe in HTML element content and attribute values.
    /// Text for HTML (``Printable/html(_:)``).
    public static func escape(_ text: String) -> String { Printable.html(text) }
}

extension HTMLReport: ReportRenderer {
    public static let name = "html"
    public static let fileName = "report.html"

    /// `report` as HTML (no colour).
    public static func render(_ report: Report, colour: Bool) -> String { render(report) }
}
