internal import Foundation
internal import VigilCore
public import VigilCrypto

extension Ledger {
    /// Runs `body` in one write transaction after checking, with the write lock held, that the
    /// chain verifies and that `signer` may sign as `role` under the ledger's CA. A ledger that
    /// pins no CA yet pins `authority` first, in the same transaction, signed by `signer`.
    ///
    /// - Throws: ``VigilError`` (`usage`) for a broken chain, a missing or different CA, or a
    ///   signer the CA does not stand behind; whatever `body` throws. Nothing is written then.
    public func writeSigned<T>(
        by signer: Signer, role: PersonRole?, authority given: Certificate?,
        _ body: (inout LedgerTransaction, LedgerHistory) throws -> T
    ) throws -> T {
        try write { transaction in
            var history = LedgerHistory(entries: transaction.entries)
            guard history.problems.isEmpty else {
                throw VigilError(
                    .usage, path: path,
                    reason:
                        "the ledger does not verify (\(history.problems[0])): nothing is added to a broken chain",
                    hint: "verifying the ledger names every problem")
            }
            if let pinned = history.authority, let given,
                (try? given.fingerprint()) != (try? pinned.fingerprint())
            {
                throw VigilError(
                    .usage,
                    reason:
                        "the ledger pins the CA \(pinned.commonName ?? pinned.subject) (SHA-256 \((try? pinned.fingerprint()) ?? "?")), not the CA given (SHA-256 \((try? given.fingerprint()) ?? "?"))",
                    hint: "a new CA is recorded by a change of CA signed with the old CA's key")
            }
            guard let authority = history.authority ?? given else {
                throw VigilError(
                    .usage, path: path, reason: "the ledger pins no CA yet", remedy: .pinTheOrganisationCA)
            }
            try signer.check(role: role, authority: authority)
            if signer.identity.roles.isEmpty {
                throw VigilError(
                    .notAllowed, reason: "\(signer.identity.displayName)'s certificate carries no role",
                    remedy: .issueAKey(role: nil))
            }
            if history.authority == nil {
                guard authority.isSelfSignedAuthority else {
                    throw VigilError(.usage, reason: "the CA given is not a CA certificate")
                }
                try Self.pin(authority, by: signer, in: &transaction)
                history = LedgerHistory(entries: transaction.entries)
            }
            return try body(&transaction, history)
        }
    }

    private static func pin(_ authority: Certificate, by signer: Signer, in transaction: inout LedgerTransaction)
        throws
    {
        try transaction.append(.authority, asset: "") { previous in
            let document = CanonicalJSON.object([
                "format_version": .int(2),
                "ledger": .string("the organisation's CA, pinned: every later signed entry must chain to it"),
                "ca_certificate": .string(String(decoding: try authority.pem(), as: UTF8.self)),
                "ca_sha256": .string(try authority.fingerprint()),
                "pinned": .string(Timestamp.now().wholeSeconds.iso8601),
                "pinned_by": signer.identity.json,
                "previous_entry_sha256": .string(previous),
                "vigil_version": .string(VigilVersion.current),
            ]).bytes
            return .init(
                document: document, signature: try CMS.sign(document, certificate: signer.certificate, key: signer.key))
        }
    }

    /// Records an asset's description and drives, or a change of them, signed by `signer`
    /// (technician or approver). Returns the entry, or `nil` when the record already says this.
    ///
    /// - Throws: ``Refusal`` for a released asset or a drive taken out without a reason;
    ///   ``VigilError`` as ``writeSigned(by:role:authority:_:)``.
    public func record(
        tag: String, description: String?, owner: String?, drives: [String], reason: String?, signer: Signer,
        authority: Certificate?
    ) throws -> (entry: Ledger.Entry?, removed: [String], added: [String]) {
        try writeSigned(by: signer, role: nil, authority: authority) { transaction, history in
            let asset = history.assets[tag]
            if let release = asset?.release {
                throw Refusal("\(tag) was released in entry \(release.entry.id): its record is final")
            }
            let current = asset?.current
            guard let description = description ?? current?.record.description,
                let owner = owner ?? current?.record.owner
            else {
                throw Refusal("the first record of \(tag) needs its description and owner")
            }
            let record = AssetRecord(
                tag: tag, description: description, owner: owner, drives: drives,
                reason: reason.flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 })
            guard !record.drives.isEmpty, !record.drives.contains("") else {
                throw Refusal("an asset record needs at least one drive")
            }
            let removed = current.map { old in old.record.drives.filter { !record.drives.contains($0) } } ?? []
            let added = record.drives.filter { !(current?.record.drives.contains($0) ?? false) }
            if !removed.isEmpty && record.reason == nil {
                throw Refusal(
                    "taking drive(s) \(removed.joined(separator: ", ")) out of \(tag)'s record needs a reason; the change stays in the ledger and the release must accept it"
                )
            }
            if let current, current.record.drives == record.drives, current.record.description == description,
                current.record.owner == owner
            {
                return (nil, [], [])
            }
            let entry = try transaction.append(.asset, asset: tag) { previous in
                let document = record.document(previous: previous, signer: signer.identity, supersedes: current?.entry)
                    .bytes
                return .init(
                    document: document,
                    signature: try CMS.sign(document, certificate: signer.certificate, key: signer.key))
            }
            return (entry, removed, added)
        }
    }

    /// Appends a certificate of sanitization signed by a technician: `build` writes the files
    /// and returns the signed document.
    public func appendCertificate(
        asset: String, signer: Signer, authority: Certificate?, build: (String) throws -> LedgerTransaction.Signed
    ) throws -> Ledger.Entry {
        try writeSigned(by: signer, role: .technician, authority: authority) { transaction, history in
            if let release = history.assets[asset]?.release {
                throw Refusal("\(asset) was released in entry \(release.entry.id): no certificate is added to it")
            }
            return try transaction.append(.certificate, asset: asset, build: build)
        }
    }

    /// What a release wrote.
    public struct Released: Sendable {
        public var entry: Ledger.Entry
        /// Names that look alike among the people who signed for the asset (never a refusal).
        public var warnings: [String]
        /// The receipt and its signature.
        public var receipt: String
    }

    /// Releases an asset (see ``Release``): checks and appends in one write transaction, so of
    /// any number of concurrent sign-offs exactly one succeeds; then writes the receipt (see
    /// ``Receipt``) to `receipt` before committing. `stamp`, when given, returns an RFC 3161
    /// token over the release's signature, kept in the entry.
    ///
    /// - Throws: ``Refusal`` with every reason it is refused; ``VigilError`` as
    ///   ``writeSigned(by:role:authority:_:)``.
    public func release(
        _ request: Release.Request, signer: Signer, authority: Certificate?, receipt: String,
        stamp: (([UInt8]) throws -> [UInt8])? = nil
    ) throws -> Released {
        let legacy = try legacyAssetTags()
        do {
            return try writeSigned(by: signer, role: .approver, authority: authority) { transaction, history in
                var warnings: [String] = []
                let entry = try transaction.append(.release, asset: request.tag) { previous in
                    let (document, found) = try Release.document(
                        request, approver: signer.identity, history: history, legacyTags: legacy, previous: previous)
                    warnings = found
                    let bytes = document.bytes
                    let signature = try CMS.sign(bytes, certificate: signer.certificate, key: signer.key)
                    return .init(document: bytes, signature: signature, timestamp: try stamp?(signature))
                }
                try Receipt.write(for: entry, count: transaction.entries.count, signer: signer, to: receipt)
                return Released(entry: entry, warnings: warnings, receipt: receipt)
            }
        } catch let error as VigilError where error.code == .notAllowed {
            // The approver's certificate is not good for a release: a refusal like any other.
            throw Refusal(error.reason + (error.hint.map { " (\($0))" } ?? ""))
        }
    }

    /// Records a new CA, signed with the pinned CA's own key (`current`); the new CA must be a
    /// self-signed CA certificate. Later entries must chain to the new one.
    public func changeAuthority(from current: OrganisationCA, to new: Certificate, reason: String) throws
        -> Ledger.Entry
    {
        guard new.isSelfSignedAuthority else { throw VigilError(.usage, reason: "the new CA is not a CA certificate") }
        return try write { transaction in
            let history = LedgerHistory(entries: transaction.entries)
            guard history.problems.isEmpty else {
                throw VigilError(.usage, path: path, reason: "the ledger does not verify (\(history.problems[0]))")
            }
            guard let pinned = history.authority else {
                throw VigilError(.usage, reason: "the ledger pins no CA yet: its first entry will pin one")
            }
            guard (try pinned.fingerprint()) == (try current.certificate.fingerprint()) else {
                throw VigilError(
                    .usage, reason: "the CA given is not the one the ledger pins (SHA-256 \(try pinned.fingerprint()))")
            }
            return try transaction.append(.authorityChange, asset: "") { previous in
                let document = CanonicalJSON.object([
                    "format_version": .int(2),
                    "ledger": .string("a new CA for the organisation, signed with the old CA's key"),
                    "ca_certificate": .string(String(decoding: try new.pem(), as: UTF8.self)),
                    "ca_sha256": .string(try new.fingerprint()),
                    "previous_ca_sha256": .string(try pinned.fingerprint()),
                    "reason": .string(reason),
                    "changed": .string(Timestamp.now().wholeSeconds.iso8601),
                    "previous_entry_sha256": .string(previous),
                    "vigil_version": .string(VigilVersion.current),
                ]).bytes
                return .init(document: document, signature: try current.sign(document))
            }
        }
    }
}
