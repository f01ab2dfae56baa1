internal import Foundation
internal import VigilCore

/// What an asset is and which drives it holds, as an asset entry of the ledger records it.
/// Each drive needs a passing certificate of sanitization before the asset may be released.
public struct AssetRecord: Sendable, Equatable {
    public var tag: String
    /// What it is (`ThinkPad T14, 2021`).
    public var description: String
    /// Whose it is.
    public var owner: String
    /// Its drives' serial numbers, or absolute paths for media without one (an image file).
    public var drives: [String]
    /// Why the record changed (required when a drive is taken out).
    public var reason: String?

    /// A record, with drive names normalised (``drive(_:)``) and repeats dropped.
    public init(tag: String, description: String, owner: String, drives: [String], reason: String? = nil) {
        self.tag = tag
        self.description = description
        self.owner = owner
        var unique: [String] = []
        for drive in drives.map(Self.drive) where !unique.contains(drive) { unique.append(drive) }
        self.drives = unique
        self.reason = reason
    }

    /// The record in an asset entry's document.
    init?(_ json: CanonicalJSON) {
        guard let tag = json["asset"]?.string, let description = json["description"]?.string,
            let owner = json["owner"]?.string, case .array(let drives)? = json["drives"]
        else { return nil }
        self.tag = tag
        self.description = description
        self.owner = owner
        self.drives = drives.compactMap(\.string)
        self.reason = json["reason"]?.string
    }

    /// A drive as records and certificates name it: a serial number as given (trimmed), a path
    /// (anything with a `/`, or the name of a file that exists here) made absolute, as a
    /// certificate's `media.path` is.
    public static func drive(_ name: String) -> String {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard trimmed.contains("/") || (!trimmed.isEmpty && FileManager.default.fileExists(atPath: trimmed)) else {
            return trimmed
        }
        return URL(fileURLWithPath: trimmed).standardizedFileURL.path
    }

    /// The entry's document.
    func document(previous: String, signer: SignerIdentity, supersedes: Ledger.Entry?) -> CanonicalJSON {
        .object([
            "format_version": .int(2),
            "asset": .string(tag),
            "description": .string(description),
            "owner": .string(owner),
            "drives": .array(drives.map(CanonicalJSON.string)),
            "reason": reason.map(CanonicalJSON.string) ?? .null,
            "recorded": .string(Timestamp.now().wholeSeconds.iso8601),
            "recorded_by": signer.json,
            "supersedes": supersedes.map {
                .object(["entry": .int($0.id), "entry_sha256": .string($0.hash)])
            } ?? .null,
            "previous_entry_sha256": .string(previous),
            "vigil_version": .string(VigilVersion.current),
        ])
    }
}
