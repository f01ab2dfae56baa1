internal import Foundation
internal import VigilCore
internal import VigilCrypto

/// The ledger for a person: one line per entry, one entry in full, one asset's timeline.
/// Every value that came from a document or a certificate is shown through
/// ``PersonName/display(_:)``, so a control character cannot steer the terminal.
public enum LedgerText {
    /// One line per entry: number, time, kind, asset, who and what.
    public static func list(_ history: LedgerHistory) -> [String] {
        history.entries.map { entry in
            "\(entry.id)\t\(entry.created)\t\(entry.kind)\t\(PersonName.display(entry.asset))\t\(summary(entry, history))"
        }
    }

    /// What an entry says, in a few words.
    static func summary(_ entry: Ledger.Entry, _ history: LedgerHistory) -> String {
        let json = entry.json
        let who = history.signers[entry.id]?.displayName ?? "?"
        switch entry.kind {
        case .authority, .authorityChange:
            let pem = json?["ca_certificate"]?.string.map { Array($0.utf8) }
            let name = pem.flatMap { try? PEMFile.certificates(pem: $0).first }.flatMap { $0.commonName } ?? "?"
            let fingerprint = json?["ca_sha256"]?.string?.prefix(16) ?? "?"
            return entry.kind == .authority
                ? "pinned the CA \(PersonName.display(name)) (SHA-256 \(fingerprint)…), by \(who)"
                : "changed the CA to \(PersonName.display(name)) (SHA-256 \(fingerprint)…), signed by the old CA"
        case .asset:
            guard let json, let record = AssetRecord(json) else { return "unreadable asset record" }
            return "recorded by \(who): \(record.drives.count) drive(s): \(displayList(record.drives))"
        case .certificate:
            let name = json?["person"]?["name"]?.string.map(PersonName.display) ?? who
            let result = json?["verification"]?["result"]?.string ?? "?"
            let drive = json.flatMap(CertificateEntry.drive(of:)) ?? "?"
            return "by \(name), \(result), \(PersonName.display(drive))"
        case .release:
            let name = json?["approver"]?["name"]?.string ?? json?["approver"]?.string ?? who
            return "approved by \(PersonName.display(name))"
        case .unknown:
            return "unknown kind"
        }
    }

    /// One entry in full: its place in the chain, its signer, its document.
    public static func entry(_ entry: Ledger.Entry, _ history: LedgerHistory) -> String {
        var lines = [
            "entry \(entry.id): \(entry.kind) for \(PersonName.display(entry.asset.isEmpty ? "the ledger" : entry.asset)), \(entry.created)",
            "hash \(entry.hash), after \(entry.previous)",
        ]
        if let signer = history.signers[entry.id] {
            let roles = signer.roles.isEmpty ? "no role" : signer.roles.map(\.rawValue).joined(separator: ", ")
            lines.append("signed by \(signer.displayName) (\(roles); key SHA-256 \(signer.keySHA256))")
        } else {
            lines.append("signed by (the signature does not verify)")
        }
        if entry.timestamp != nil {
            lines.append("timestamp: an RFC 3161 token over the signature (checked against the TSA's CA)")
        }
        for problem in history.problems where problem.entry == entry.id { lines.append("PROBLEM: \(problem.reason)") }
        if entry.kind == .certificate, let json = entry.json {
            lines.append(CertificateText.render(json))
        } else {
            lines.append(PersonName.display(String(decoding: entry.document, as: UTF8.self)))
        }
        return lines.joined(separator: "\n")
    }

    /// Everything the ledger holds about one asset, in order: records and changes of its
    /// drives, certificates, release, then what a release still waits for.
    public static func timeline(_ tag: String, _ history: LedgerHistory) -> String? {
        guard let asset = history.assets[tag] else { return nil }
        var lines: [String] = []
        if let current = asset.current {
            lines.append(
                "\(PersonName.display(tag)): \(PersonName.display(current.record.description)), owner \(PersonName.display(current.record.owner))"
            )
        } else {
            lines.append("\(PersonName.display(tag)): no asset record")
        }
        var events: [(Int64, String)] = []
        var previous: AssetRecord?
        for record in asset.records {
            let who = "\(record.signer.displayName) (\(record.signer.roles.map(\.rawValue).joined(separator: ", ")))"
            if let before = previous {
                let removed = before.drives.filter { !record.record.drives.contains($0) }
                let added = record.record.drives.filter { !before.drives.contains($0) }
                var change: [String] = []
                if !added.isEmpty { change.append("added \(displayList(added))") }
                if !removed.isEmpty { change.append("TOOK OUT \(displayList(removed))") }
                if before.description != record.record.description || before.owner != record.record.owner {
                    change.append("description or owner changed")
                }
                let reason = record.record.reason.map { " (reason: \(PersonName.display($0)))" } ?? ""
                events.append((record.entry.id, "record changed by \(who): \(change.joined(separator: "; "))\(reason)"))
            } else {
                events.append(
                    (record.entry.id, "recorded by \(who): drives \(displayList(record.record.drives))"))
            }
            previous = record.record
        }
        for certificate in asset.certificates {
            let json = certificate.entry.json
            let how = [json?["verification"]?["method"]?.string, json?["verification"]?["expected"]?.string]
                .compactMap { $0 }.joined(separator: ", ")
            let who = certificate.signer?.displayName ?? "?"
            let era = certificate.underPinnedAuthority ? "" : " (written before the CA was pinned)"
            events.append(
                (
                    certificate.entry.id,
                    "certificate of \(PersonName.display(certificate.drive)) by \(who): \(certificate.passed ? "pass" : "FAIL") (\(how))\(era)"
                ))
        }
        if let release = asset.release {
            var text = "RELEASED by \(release.signer?.displayName ?? "?")"
            if case .array(let accepted)? = release.entry.json?["accepted_removed_drives"], !accepted.isEmpty {
                text += "; accepted drives taken out: " + displayList(accepted.compactMap { $0["drive"]?.string })
            }
            events.append((release.entry.id, text))
        }
        let times = Dictionary(history.entries.map { ($0.id, $0.created) }, uniquingKeysWith: { first, _ in first })
        for (id, text) in events.sorted(by: { $0.0 < $1.0 }) {
            lines.append("  entry \(id)  \(times[id] ?? "")  \(text)")
        }
        if asset.release == nil, let current = asset.current {
            let waiting = current.record.drives.filter { drive in
                !asset.certificates.contains { $0.drive == drive && $0.passed && $0.underPinnedAuthority }
            }
            lines.append(
                waiting.isEmpty
                    ? "not released: every recorded drive has a passing certificate"
                    : "not released: no passing certificate yet for \(displayList(waiting))")
            let removed = asset.removedDrives.map(\.drive)
            if !removed.isEmpty {
                lines.append("drives taken out of the record (a release must accept each): \(displayList(removed))")
            }
        }
        return lines.joined(separator: "\n")
    }

    private static func displayList(_ items: [String]) -> String {
        items.map(PersonName.display).joined(separator: ", ")
    }
}

/// A certificate of sanitization as text.
public enum CertificateText {
    /// The certificate's fields, one per line.
    public static func render(_ document: CanonicalJSON) -> String {
        func value(_ path: String...) -> String { PersonName.display(document.text(at: path, missing: "-")) }
        var lines = [
            "Certificate of sanitization \(value("id")), issued \(value("issued"))",
            "organisation:  \(value("organisation"))",
            "technician:    \(value("person", "name"))",
            "media:         \(value("media", "property_number")) — \(value("media", "type")), \(value("media", "manufacturer")) \(value("media", "model")), serial \(value("media", "serial")), \(value("media", "size_bytes")) bytes",
            "sanitization:  \(value("sanitization", "category")): \(value("sanitization", "method")) with \(value("sanitization", "tool"))",
            "verification:  \(value("verification", "method")) read by \(value("verification", "tool")), expected \(value("verification", "expected")): \(value("verification", "result")), \(value("verification", "bytes_verified")) bytes (\(value("verification", "coverage_ppm")) ppm of the medium), \(value("verification", "finished"))",
        ]
        if value("verification", "method") == "sample" {
            lines.append(
                "sample:        seed \(value("verification", "seed")), \(value("verification", "percent_per_subsection"))% of \(value("verification", "subsections")) subsections"
            )
        }
        lines.append("destination:   \(value("destination"))")
        return lines.joined(separator: "\n")
    }
}
