internal import Foundation
internal import VigilCore
public import VigilCrypto

/// What a ledger's chain says, read from its entries alone: whether it is intact, the CA it
/// pins, and each asset's timeline (records of its drives, certificates, release).
///
/// The walk checks, for every entry: its hash, its place in the chain, its signature, and the
/// document's own reference to the entry before it. Entries written after the CA was pinned
/// must also be signed by a person certificate of that CA, valid when the entry was written
/// (or when its RFC 3161 token says, where the TSA's CA is given), with the role the entry
/// needs: technician for a certificate of sanitization, approver for a release, either for an
/// asset record; a release must be signed by a key that signed neither a certificate nor a
/// record of that asset. Entries of Vigil 0.1 (before any pin) are checked as that version did:
/// by their own signature, or against the CA given.
public struct LedgerHistory: Sendable {
    /// Every entry, in order.
    public let entries: [Ledger.Entry]
    /// What is wrong, entry by entry; empty for an intact ledger.
    public private(set) var problems: [Ledger.Problem] = []
    /// The CA pinned now (after any changes), `nil` while none is.
    public private(set) var authority: Certificate?
    /// The CA the first pin recorded: the organisation's.
    public private(set) var firstAuthority: Certificate?
    /// Each asset's timeline, by tag.
    public private(set) var assets: [String: AssetHistory] = [:]
    /// Who signed each entry (where the signature verifies).
    public private(set) var signers: [Int64: SignerIdentity] = [:]
    /// Entries with a timestamp token that was not checked (no TSA CA given).
    public private(set) var uncheckedTimestamps = 0
    /// The CA each entry written under a pin had to chain to.
    public private(set) var authorityOf: [Int64: Certificate] = [:]

    /// The hash of the newest entry.
    public var head: String { entries.last?.hash ?? Ledger.genesis }

    /// Walks `entries`. `trusted`: the CA(s) the user expects (`--ca`): the pinned CA must be one
    /// of them, and 0.1 entries are checked against them. `timestampAuthorities`: the TSA's CA,
    /// to check the entries' RFC 3161 tokens.
    public init(entries: [Ledger.Entry], trusted: [Certificate] = [], timestampAuthorities: [Certificate] = []) {
        self.entries = entries
        checkChain()
        let trustedFingerprints = Set(trusted.compactMap { try? $0.fingerprint() })
        for entry in entries {
            var time = Timestamp(iso8601: entry.created)?.seconds
            if time == nil { problem(entry, "its time '\(entry.created)' is not an RFC 3339 time") }
            if let token = entry.timestamp {
                if timestampAuthorities.isEmpty {
                    uncheckedTimestamps += 1
                } else if let stamped = try? RFC3161.verify(
                    token, data: entry.signature, authorities: timestampAuthorities)
                {
                    time = stamped
                } else {
                    problem(entry, "its timestamp does not verify against the TSA's CA")
                }
            }
            let json = entry.json
            if json == nil { problem(entry, "its document is not canonical JSON") }
            if let json, case .object = json, let named = json["previous_entry_sha256"]?.string,
                named != entry.previous
            {
                problem(
                    entry,
                    entry.kind == .certificate
                        ? "its certificate names another previous entry than the ledger's"
                        : "its document names another previous entry than the ledger's")
            }
            switch entry.kind {
            case .authority: pin(entry, json, time: time, trusted: trustedFingerprints)
            case .authorityChange: changeAuthority(entry, json)
            case .asset, .certificate, .release: signedRecord(entry, json, time: time, trusted: trusted)
            case .unknown(let name): problem(entry, "an entry of a kind Vigil does not know ('\(name)')")
            }
        }
    }

    /// Whether the ledger still holds `head` (the hash `vigil ledger head` printed): deleting
    /// the newest entries leaves a valid, shorter chain that only such a saved head reveals.
    public func contains(head saved: String) -> Bool {
        saved == Ledger.genesis || entries.contains { $0.hash == saved.lowercased() }
    }

    // MARK: - The chain itself

    private mutating func checkChain() {
        var expectedPrevious = Ledger.genesis
        var expectedID: Int64 = 1
        let byHash = Dictionary(entries.map { ($0.hash, $0.id) }, uniquingKeysWith: { first, _ in first })
        for row in entries {
            let recomputed = try? Ledger.hash(
                id: row.id, kind: row.kind.rawValue, asset: row.asset, created: row.created, document: row.document,
                signature: row.signature, timestamp: row.timestamp, previous: row.previous)
            if row.id > expectedID {
                problem(
                    row.id,
                    row.id == expectedID + 1
                        ? "entry \(expectedID) before it was deleted"
                        : "entries \(expectedID) to \(row.id - 1) before it were deleted")
            }
            if let other = byHash[row.hash], other != row.id {
                problem(row.id, "inserted: a copy of entry \(other)")
            } else if recomputed != row.hash {
                // Its own content under another number: a row moved, not changed.
                let maximum = (entries.last?.id ?? 0) + 1
                let original = (1...max(1, maximum)).first { number in
                    (try? Ledger.hash(
                        id: number, kind: row.kind.rawValue, asset: row.asset, created: row.created,
                        document: row.document, signature: row.signature, timestamp: row.timestamp,
                        previous: row.previous)) == row.hash
                }
                if let original {
                    problem(row.id, "out of order: it was written as entry \(original)")
                } else {
                    problem(row.id, "edited: its content no longer matches its hash")
                }
            } else if row.previous != expectedPrevious && row.id <= expectedID {
                if let other = byHash[row.previous], other != row.id - 1 {
                    problem(row.id, "out of order: it was written after entry \(other), not \(row.id - 1)")
                } else {
                    problem(row.id, "inserted, or the entry before it was replaced: the chain breaks here")
                }
            }
            expectedPrevious = row.hash
            expectedID = max(expectedID, row.id) + 1
        }
    }

    // MARK: - The CA

    private mutating func pin(_ entry: Ledger.Entry, _ json: CanonicalJSON?, time: Int64?, trusted: Set<String>) {
        guard authority == nil else {
            problem(entry, "a second CA pin: a new CA is a ca-change entry signed with the old CA's key")
            return
        }
        guard let certificate = Self.authorityCertificate(json, entry: entry, problem: &problems) else { return }
        authority = certificate
        firstAuthority = certificate
        let fingerprint = (try? certificate.fingerprint()) ?? ""
        if !trusted.isEmpty && !trusted.contains(fingerprint) {
            problem(
                entry,
                "the ledger pins the CA \(certificate.commonName ?? certificate.subject) (SHA-256 \(fingerprint)), not the CA given"
            )
        }
        _ = signer(of: entry, authority: certificate, time: time, role: nil)
    }

    private mutating func changeAuthority(_ entry: Ledger.Entry, _ json: CanonicalJSON?) {
        guard let current = authority else {
            problem(entry, "a CA change before any CA was pinned")
            return
        }
        guard let verified = try? CMS.verify(entry.signature, content: entry.document, authorities: []),
            let signerCertificate = verified.signerCertificates.first
        else {
            problem(entry, "its signature does not verify")
            return
        }
        if (try? signerCertificate.publicKeyFingerprint()) != (try? current.publicKeyFingerprint()) {
            problem(
                entry,
                "a CA change must be signed with the pinned CA's key; it is signed by \(signerCertificate.subject)")
        }
        if json?["previous_ca_sha256"]?.string != (try? current.fingerprint()) {
            problem(entry, "it names another previous CA than the one pinned")
        }
        guard let certificate = Self.authorityCertificate(json, entry: entry, problem: &problems) else { return }
        authority = certificate
    }

    private static func authorityCertificate(
        _ json: CanonicalJSON?, entry: Ledger.Entry, problem problems: inout [Ledger.Problem]
    ) -> Certificate? {
        guard let pem = json?["ca_certificate"]?.string,
            let certificate = try? PEMFile.certificates(pem: Array(pem.utf8)).first
        else {
            problems.append(Ledger.Problem(entry: entry.id, reason: "it names no readable CA certificate"))
            return nil
        }
        if !certificate.isSelfSignedAuthority {
            problems.append(Ledger.Problem(entry: entry.id, reason: "the certificate it pins is not a CA's"))
        }
        if json?["ca_sha256"]?.string != (try? certificate.fingerprint()) {
            problems.append(Ledger.Problem(entry: entry.id, reason: "its CA fingerprint does not match its CA"))
        }
        return certificate
    }

    // MARK: - Assets, certificates, releases

    private mutating func signedRecord(
        _ entry: Ledger.Entry, _ json: CanonicalJSON?, time: Int64?, trusted: [Certificate]
    ) {
        let role: PersonRole? =
            switch entry.kind {
            case .certificate: .technician
            case .release: .approver
            default: nil
            }
        let identity: SignerIdentity?
        let pinned = authority != nil
        if let authority {
            authorityOf[entry.id] = authority
            identity = signer(of: entry, authority: authority, time: time, role: role)
            if entry.kind == .asset, let identity, identity.roles.isEmpty {
                problem(entry, "an asset record must be signed by a technician or an approver")
            }
        } else {
            // Vigil 0.1: the signature alone, or against the CA given.
            if entry.kind == .asset { problem(entry, "an asset record written before any CA was pinned") }
            if let verified = try? CMS.verify(entry.signature, content: entry.document, authorities: trusted) {
                identity = verified.signerCertificates.first.flatMap { try? SignerIdentity($0) }
                if let identity { signers[entry.id] = identity }
            } else {
                problem(entry, "its signature does not verify")
                identity = nil
            }
        }
        var history = assets[entry.asset] ?? AssetHistory(tag: entry.asset)
        defer { assets[entry.asset] = history }
        if history.release != nil && entry.kind != .release {
            problem(entry, "written for \(entry.asset) after its release")
        }
        switch entry.kind {
        case .asset:
            guard let json, let record = AssetRecord(json), record.tag == entry.asset else {
                problem(entry, "not an asset record of \(entry.asset)")
                return
            }
            if let identity {
                history.records.append(AssetRecordEntry(entry: entry, record: record, signer: identity))
            }
        case .certificate:
            let drive = json.flatMap(CertificateEntry.drive(of:)) ?? "entry \(entry.id)"
            history.certificates.append(
                CertificateEntry(
                    entry: entry, drive: drive, passed: json?["verification"]?["result"]?.string == "pass",
                    signer: identity, underPinnedAuthority: pinned))
        case .release:
            if let earlier = history.release {
                problem(entry, "a second release of \(entry.asset) (released in entry \(earlier.entry.id))")
            }
            if pinned, let identity {
                for reason in Release.twoPersonProblems(approver: identity, history: history) {
                    problem(entry, reason)
                }
                if let latest = history.records.last,
                    json?["asset_record"]?["entry_sha256"]?.string != latest.entry.hash
                {
                    problem(entry, "it does not name the asset record it judged (entry \(latest.entry.id))")
                }
            }
            history.release = ReleaseEntry(entry: entry, signer: identity, underPinnedAuthority: pinned)
        default: break
        }
    }

    /// The signer of `entry`, checked against `authority` at `time`, with `role` when given.
    private mutating func signer(of entry: Ledger.Entry, authority: Certificate, time: Int64?, role: PersonRole?)
        -> SignerIdentity?
    {
        guard let verified = try? CMS.verify(entry.signature, content: entry.document, authorities: []),
            let certificate = verified.signerCertificates.first, let identity = try? SignerIdentity(certificate)
        else {
            problem(entry, "its signature does not verify")
            return nil
        }
        signers[entry.id] = identity
        do {
            try certificate.verifyChain(to: [authority], at: time)
        } catch {
            problem(
                entry,
                "its signer \(identity.displayName) is not certified by the pinned CA at \(Timestamp(seconds: time ?? 0).iso8601): \(error.queue.first ?? "\(error)")"
            )
        }
        if let role, !identity.roles.contains(role) {
            problem(
                entry, "signed by \(identity.displayName), whose certificate does not carry the \(role.rawValue) role")
        } else if role == nil && entry.kind == .authority && identity.roles.isEmpty {
            problem(entry, "the CA was pinned by \(identity.displayName), who holds no role")
        }
        return identity
    }

    private mutating func problem(_ entry: Ledger.Entry, _ reason: String) { problem(entry.id, reason) }
    private mutating func problem(_ id: Int64, _ reason: String) {
        let new = Ledger.Problem(entry: id, reason: reason)
        if !problems.contains(new) { problems.append(new) }
    }
}

/// One asset's entries, in chain order.
public struct AssetHistory: Sendable {
    public let tag: String
    /// Its records: the first, then each change.
    public internal(set) var records: [AssetRecordEntry] = []
    /// The certificates written for its drives.
    public internal(set) var certificates: [CertificateEntry] = []
    /// Its release, once released.
    public internal(set) var release: ReleaseEntry?

    init(tag: String) { self.tag = tag }

    /// The record in force: the newest.
    public var current: AssetRecordEntry? { records.last }

    /// Drives once recorded and no longer in the current record, each with the record that
    /// took it out.
    public var removedDrives: [(drive: String, by: AssetRecordEntry)] {
        guard let current else { return [] }
        var removed: [(String, AssetRecordEntry)] = []
        var seen: Set<String> = []
        for (index, record) in records.enumerated() where index > 0 {
            for drive in records[index - 1].record.drives where !record.record.drives.contains(drive) {
                guard !current.record.drives.contains(drive) else { continue }
                if let existing = removed.firstIndex(where: { $0.0 == drive }) {
                    removed[existing] = (drive, record)
                } else if seen.insert(drive).inserted {
                    removed.append((drive, record))
                }
            }
        }
        return removed
    }
}

/// An asset record in the ledger and who signed it.
public struct AssetRecordEntry: Sendable {
    public var entry: Ledger.Entry
    public var record: AssetRecord
    public var signer: SignerIdentity
}

/// A certificate of sanitization in the ledger.
public struct CertificateEntry: Sendable {
    public var entry: Ledger.Entry
    /// The drive it certifies: its serial number, or its path when it has none.
    public var drive: String
    public var passed: Bool
    /// Its signer, when the signature verifies.
    public var signer: SignerIdentity?
    /// Written after the CA was pinned (so its signer's role was checked).
    public var underPinnedAuthority: Bool

    /// The drive a certificate document names: `media.serial`, else `media.path`.
    static func drive(of document: CanonicalJSON) -> String? {
        document["media"]?["serial"]?.string ?? document["media"]?["path"]?.string
    }
}

/// A release in the ledger.
public struct ReleaseEntry: Sendable {
    public var entry: Ledger.Entry
    public var signer: SignerIdentity?
    public var underPinnedAuthority: Bool
}
