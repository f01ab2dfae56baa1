internal import Foundation
internal import VigilCore

/// A disposal step refused for a reason of substance (not of usage): the CLI prints each reason
/// after `REFUSED:` and exits 1. Nothing was written.
public struct Refusal: Error, Sendable, CustomStringConvertible {
    public var reasons: [String]
    /// A refusal for every one of `reasons`.
    public init(_ reasons: [String]) { self.reasons = reasons }
    /// A refusal for one `reason`.
    public init(_ reason: String) { self.reasons = [reason] }
    public var description: String { reasons.joined(separator: "; ") }
}

/// The rules of a release (sign-off): the asset's record in force, a passing certificate for
/// each of its drives written under the pinned CA, no drive taken out of the record unless the
/// approver accepts it by name, and an approver who holds the approver role and whose key
/// signed neither a certificate nor a record of the asset (two people, told apart by key).
public enum Release {
    /// What the approver asks for.
    public struct Request: Sendable {
        public var tag: String
        /// The name the approver gave, checked against their certificate (never used to decide).
        public var approverName: String?
        /// The number of drives the approver counted in the asset.
        public var drives: Int?
        /// Drives taken out of the record that the approver accepts.
        public var acceptedRemovals: [String]

        /// A release of asset `tag`, checked against the approver named, the drives counted, and the removals
        /// accepted by name.
        public init(tag: String, approverName: String? = nil, drives: Int? = nil, acceptedRemovals: [String] = []) {
            self.tag = tag
            self.approverName = approverName
            self.drives = drives
            self.acceptedRemovals = acceptedRemovals.map(AssetRecord.drive)
        }
    }

    /// Why the approver's key may not release an asset whose timeline is `history`.
    static func twoPersonProblems(approver: SignerIdentity, history: AssetHistory) -> [String] {
        var problems: [String] = []
        for certificate in history.certificates where certificate.signer?.keySHA256 == approver.keySHA256 {
            problems.append(
                "the approver's key (\(approver.label)) signed the certificate of drive \(certificate.drive) (entry \(certificate.entry.id)): a release needs a second person"
            )
        }
        for record in history.records where record.signer.keySHA256 == approver.keySHA256 {
            problems.append(
                "the approver's key (\(approver.label)) recorded \(history.tag)'s drives (entry \(record.entry.id)): a release needs a second person"
            )
        }
        return problems
    }

    /// The release document for `request`, or the reasons it is refused.
    static func document(
        _ request: Release.Request, approver: SignerIdentity, history: LedgerHistory, legacyTags: Set<String>,
        previous: String
    ) throws(Refusal) -> (document: CanonicalJSON, warnings: [String]) {
        guard let asset = history.assets[request.tag], let current = asset.current else {
            if legacyTags.contains(request.tag) {
                throw Refusal(
                    "\(request.tag) was recorded by Vigil 0.1 outside the ledger's chain: record it again in the ledger with a person's key"
                )
            }
            throw Refusal(
                "\(request.tag) has no asset record in the ledger: record it and its drives in the ledger first")
        }
        if let release = asset.release {
            throw Refusal("\(request.tag) was already released (entry \(release.entry.id))")
        }
        var reasons: [String] = []
        if let named = request.approverName, PersonName.skeleton(named) != PersonName.skeleton(approver.name) {
            reasons.append(
                "the approver named (\(PersonName.display(named))) is not the holder of the certificate (\(approver.displayName))"
            )
        }
        if let counted = request.drives, counted != current.record.drives.count {
            reasons.append("\(request.tag)'s record lists \(current.record.drives.count) drive(s), not \(counted)")
        }
        var accepted: [CanonicalJSON] = []
        for (drive, record) in asset.removedDrives {
            let detail =
                "drive \(drive) was taken out of \(request.tag)'s record by \(record.signer.displayName) in entry \(record.entry.id)"
                + (record.record.reason.map { " (reason: \(PersonName.display($0)))" } ?? "")
            if request.acceptedRemovals.contains(drive) {
                accepted.append(
                    .object([
                        "drive": .string(drive), "removed_in_entry": .int(record.entry.id),
                        "reason": record.record.reason.map(CanonicalJSON.string) ?? .null,
                    ]))
            } else {
                reasons.append(detail + ": the approver must accept it by name, or the drive needs its certificate")
            }
        }
        var references: [CanonicalJSON] = []
        for drive in current.record.drives {
            let passing = asset.certificates.filter { $0.drive == drive && $0.passed }
            if let certificate = passing.last(where: \.underPinnedAuthority) {
                references.append(
                    .object([
                        "entry": .int(certificate.entry.id), "entry_sha256": .string(certificate.entry.hash),
                        "drive": .string(drive),
                        "technician": certificate.signer?.json ?? .null,
                    ]))
            } else if let old = passing.last {
                reasons.append(
                    "the certificate of drive \(drive) (entry \(old.entry.id)) predates the ledger's CA pin: verify the drive again with a technician's key"
                )
            } else {
                reasons.append("no passing certificate for drive \(drive) of \(request.tag)")
            }
        }
        reasons += twoPersonProblems(approver: approver, history: asset)
        guard reasons.isEmpty else { throw Refusal(reasons) }
        // Names never decide; names that look alike are said, and kept in the release.
        var warnings: [String] = []
        let others = asset.certificates.compactMap(\.signer) + asset.records.map(\.signer)
        for other in others
        where other.keySHA256 != approver.keySHA256
            && PersonName.skeleton(other.name) == PersonName.skeleton(approver.name)
        {
            let warning =
                "the approver \(approver.label) and \(other.label), who signed for \(request.tag), have names that look alike: check they are two people"
            if !warnings.contains(warning) { warnings.append(warning) }
        }
        let document = CanonicalJSON.object([
            "format_version": .int(2),
            "release": .string(request.tag),
            "approver": approver.json,
            "asset_record": .object([
                "entry": .int(current.entry.id), "entry_sha256": .string(current.entry.hash),
                "drives": .array(current.record.drives.map(CanonicalJSON.string)),
            ]),
            "certificates": .array(references),
            "accepted_removed_drives": .array(accepted),
            "name_warnings": .array(warnings.map(CanonicalJSON.string)),
            "released": .string(Timestamp.now().wholeSeconds.iso8601),
            "previous_entry_sha256": .string(previous),
            "vigil_version": .string(VigilVersion.current),
        ])
        return (document, warnings)
    }
}
