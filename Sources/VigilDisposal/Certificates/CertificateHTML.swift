internal import VigilCore

/// A certificate of sanitization as one self-contained HTML page: no scripts, fonts or images,
/// a print stylesheet for A4 and Letter, the verification summary, and the signature's SHA-256
/// written out (no QR code) so a person can compare it by eye.
public enum CertificateHTML {
    /// The page for `document`, with the verification `status` line, who signed, and the
    /// signature's SHA-256.
    public static func render(_ document: CanonicalJSON, status: String, signer: String?, signatureSHA256: String?)
        -> String
    {
        func value(_ path: String...) -> String { document.text(at: path, missing: "—") }
        func row(_ label: String, _ text: String) -> String {
            "<tr><th scope=\"row\">\(escape(label))</th><td>\(escape(text))</td></tr>\n"
        }
        let passed = value("verification", "result") == "pass"
        var sample = ""
        if value("verification", "method") == "sample" {
            sample =
                row(
                    "Sample",
                    "seed \(value("verification", "seed")), \(value("verification", "percent_per_subsection"))% of each of \(value("verification", "subsections")) subsections, plus the first and last MiB"
                )
                + row("Chance of missing one bad byte", "\(value("verification", "miss_probability_ppm")) in a million")
        }
        let fingerprint = signatureSHA256.map { hex in
            stride(from: 0, to: hex.count, by: 4).map { start -> String in
                let from = hex.index(hex.startIndex, offsetBy: start)
                return String(hex[from..<hex.index(from, offsetBy: min(4, hex.count - start))])
            }.joined(separator: " ")
        }
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <title>Certificate of sanitization \(escape(value("media", "property_number")))</title>
            <style>
            body { font: 11pt/1.45 Georgia, "Times New Roman", serif; color: #111; max-width: 46em; margin: 2em auto; padding: 0 1em; }
            h1 { font-size: 1.5em; margin-bottom: 0.2em; } h2 { font-size: 1.1em; margin-top: 1.4em; border-bottom: 1px solid #999; }
            table { border-collapse: collapse; width: 100%; } th { text-align: left; width: 16em; font-weight: normal; color: #444; vertical-align: top; }
            td, th { padding: 0.15em 0.4em 0.15em 0; } .verdict { font-weight: bold; padding: 0.3em 0.6em; border: 2px solid; display: inline-block; }
            .pass { color: #0a5c2f; } .fail { color: #8a1010; } code { font: 10pt/1.4 "DejaVu Sans Mono", monospace; word-break: break-all; }
            .sign { margin-top: 3em; display: flex; gap: 3em; } .sign div { flex: 1; border-top: 1px solid #111; padding-top: 0.3em; }
            @page { size: A4; margin: 18mm; } @media print { body { margin: 0; max-width: none; } }
            @media print and (max-height: 280mm) { @page { size: letter; } }
            </style></head><body>
            <h1>Certificate of sanitization</h1>
            <p>\(escape(value("organisation"))) · certificate \(escape(value("id"))) · issued \(escape(value("issued")))</p>
            <p class="verdict \(passed ? "pass" : "fail")">Verification: \(passed ? "PASSED" : "FAILED") — \(escape(status))</p>
            <h2>Media</h2>
            <table>
            \(row("Asset (property number)", value("media", "property_number")))\(row("Type", value("media", "type")))\(row("Manufacturer and model", "\(value("media", "manufacturer")) \(value("media", "model"))"))\(row("Serial number", value("media", "serial")))\(row("Size", "\(value("media", "size_bytes")) bytes"))\(row("Source", value("media", "source")))
            </table>
            <h2>Sanitization</h2>
            <table>
            \(row("Category (NIST SP 800-88)", value("sanitization", "category")))\(row("Method", value("sanitization", "method")))\(row("Tool", value("sanitization", "tool")))\(row("Performed by", value("person", "name")))\(row("Destination", value("destination")))
            </table>
            <h2>Verification</h2>
            <table>
            \(row("Read back by", value("verification", "tool")))\(row("Expected content", value("verification", "expected")))\(row("Scope", value("verification", "method")))\(sample)\(row("Bytes verified", "\(value("verification", "bytes_verified")) (\(value("verification", "coverage_ppm")) ppm of the medium)"))\(row("Differences, read errors", "\(value("verification", "mismatches")), \(value("verification", "read_errors"))"))\(row("Started, finished", "\(value("verification", "started")), \(value("verification", "finished"))"))
            </table>
            <h2>Signature</h2>
            <table>
            \(row("Signed by", signer ?? "—"))\(row("Ledger: previous entry", value("previous_entry_sha256")))
            <tr><th scope="row">SHA-256 of the signature</th><td><code>\(escape(fingerprint ?? "—"))</code></td></tr>
            </table>
            <p>Check with stock OpenSSL: <code>openssl cms -verify -binary -inform DER -content CERT.json -in CERT.json.p7s -CAfile ca.pem</code></p>
            <div class="sign"><div>Technician</div><div>Approver</div></div>
            </body></html>

            """
    }

    static func escape(_ text: String) -> String { Printable.html(text) }
}
