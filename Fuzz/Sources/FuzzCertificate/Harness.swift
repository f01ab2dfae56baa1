import FuzzSupport
import VigilCore

@testable import VigilCrypto
@testable import VigilDisposal

/// The certificate reader of `vigil cert verify|show` and the ledger: canonical JSON, its fields,
/// and the DER structure check run on a detached signature. Canonical form is a fixed point:
/// what it writes reads back to the same bytes, or the target stops. The same bytes, as the
/// document of each kind of ledger entry, go through the chain walker (asset records, releases,
/// CA pins), the ledger's texts, and the name and time readers.
enum Harness {
    static func run(_ input: FuzzBytes) {
        let bytes = input.array
        if let document = CanonicalJSON.parse(bytes) {
            let canonical = document.bytes
            guard let again = CanonicalJSON.parse(canonical) else {
                fatalError("canonical JSON that does not read back")
            }
            precondition(again.bytes == canonical, "canonical JSON is not a fixed point")
            for path in [["device", "serial"], ["sanitization", "method"], ["verification", "result"], ["asset"]] {
                _ = document.text(at: path, missing: "-")
            }
            _ = AssetRecord(document)
            _ = CertificateText.render(document)
        }
        _ = CMS.structureProblem(bytes)
        let text = String(decoding: bytes.prefix(4096), as: UTF8.self)
        _ = PersonName.display(text)
        _ = PersonName.skeleton(text)
        _ = Timestamp(iso8601: text)
        var entries: [Ledger.Entry] = []
        for (index, kind) in [Ledger.Kind.authority, .asset, .certificate, .release, .authorityChange].enumerated() {
            let previous = entries.last?.hash ?? Ledger.genesis
            let id = Int64(index + 1)
            let created = "2026-11-28T10:00:0\(index)Z"
            guard
                let hash = try? Ledger.hash(
                    id: id, kind: kind.rawValue, asset: "LAP-1", created: created, document: bytes,
                    signature: Array(bytes.prefix(64)), previous: previous)
            else { return }
            entries.append(
                Ledger.Entry(
                    id: id, kind: kind, asset: "LAP-1", created: created, document: bytes,
                    signature: Array(bytes.prefix(64)), timestamp: nil, previous: previous, hash: hash))
        }
        let history = LedgerHistory(entries: entries)
        _ = LedgerText.list(history)
        _ = LedgerText.timeline("LAP-1", history)
        for entry in entries { _ = LedgerText.entry(entry, history) }
    }
}
