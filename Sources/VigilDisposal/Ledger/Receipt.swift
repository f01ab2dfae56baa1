internal import Foundation
internal import VigilCore
internal import VigilCrypto

/// The approver's proof of a release, kept apart from the ledger: which entry released which
/// asset and the hash of the chain's head just after it, signed with the approver's key
/// (`RECEIPT.json`, canonical JSON, and `RECEIPT.json.p7s`, a detached CMS signature that
/// `openssl cms -verify` checks). Deleting the release, or anything before it, from the ledger
/// is then detected: `vigil ledger verify --receipt RECEIPT.json`.
public enum Receipt {
    /// Writes the receipt for the release `entry` (the head of a chain of `count` entries) to
    /// `path` and `path.p7s`, refusing existing files.
    static func write(for entry: Ledger.Entry, count: Int, signer: Signer, to path: String) throws {
        let document = CanonicalJSON.object([
            "receipt": .string("release of an asset, recorded in a Vigil ledger"),
            "format_version": .int(1),
            "asset": .string(entry.asset),
            "entry": .int(entry.id),
            "entry_sha256": .string(entry.hash),
            "head_sha256": .string(entry.hash),
            "entries": .int(Int64(count)),
            "released": .string(entry.created),
            "approver": signer.identity.json,
            "vigil_version": .string(VigilVersion.current),
        ]).bytes
        let signature = try CMS.sign(document, certificate: signer.certificate, key: signer.key)
        try FileOutput.write(signature, to: path + ".p7s", permissions: 0o644, existing: .refuse)
        do {
            try FileOutput.write(document, to: path, permissions: 0o644, existing: .refuse)
        } catch {
            FileOutput.remove(path + ".p7s")
            throw error
        }
    }

    /// Why the ledger whose chain is `history` does not hold the release `path` vouches for;
    /// empty when it does. The receipt's signature must verify and chain to the CA the ledger
    /// pins (at the time of the release).
    public static func problems(path: String, history: LedgerHistory) -> [String] {
        guard let document = FileManager.default.contents(atPath: path).map(Array.init),
            let signature = FileManager.default.contents(atPath: path + ".p7s").map(Array.init)
        else { return ["\(path): the receipt or its signature (\(path).p7s) cannot be read"] }
        guard let json = CanonicalJSON.parse(document), json.bytes == document,
            let id = json["entry"]?.int, let hash = json["entry_sha256"]?.string, let asset = json["asset"]?.string
        else { return ["\(path): not a Vigil release receipt"] }
        guard let verified = try? CMS.verify(signature, content: document, authorities: []),
            let signerCertificate = verified.signerCertificates.first
        else { return ["\(path): its signature does not verify"] }
        var problems: [String] = []
        if let authority = history.authority ?? history.firstAuthority {
            let time = json["released"]?.string.flatMap { Timestamp(iso8601: $0) }?.seconds
            if (try? signerCertificate.verifyChain(to: [authority], at: time)) == nil {
                problems.append("\(path): signed by \(signerCertificate.subject), not certified by the ledger's CA")
            }
        }
        guard let entry = history.entries.first(where: { $0.id == id }) else {
            return problems + [
                "the ledger no longer holds entry \(id), the release of \(asset) this receipt vouches for (entries deleted?)"
            ]
        }
        if entry.hash != hash || entry.kind != .release || entry.asset != asset {
            problems.append(
                "entry \(id) of the ledger is not the release of \(asset) this receipt vouches for (hash \(hash.prefix(16))…)"
            )
        } else if (try? signerCertificate.publicKeyFingerprint()) != history.signers[id]?.keySHA256 {
            problems.append("\(path): signed by another key than the release's")
        }
        return problems
    }
}
