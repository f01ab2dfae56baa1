internal import Foundation
internal import VigilCapture
public import VigilCore

/// A file Vigil will read, and what kind it is.
public struct InputFile: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case pcap, pcapng
    }

    /// The path as the user named it, or as found inside a folder they named.
    public var path: String
    public var kind: Kind
}

/// Expands the paths given on the command line into the files to read, telling kinds by their
/// content (magic bytes), never by their extension.
public struct InputCollector: Sendable {
    /// What the paths expanded to.
    public struct Collected: Sendable {
        public var files: [InputFile] = []
        /// Files inside folders that are of no kind Vigil reads; skipped, and said so.
        public var skipped: [String] = []
        /// Paths named on the command line that are missing or of no kind Vigil reads.
        public var errors: [VigilError] = []
    }

    public init() {}

    /// Files named directly must be readable inputs; files found in folders (recursively,
    /// in name order, hidden ones left out) are taken when they are of a known kind.
    public func collect(_ paths: [String]) -> Collected {
        var collected = Collected()
        var seen: Set<String> = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                collected.errors.append(VigilError(.unreadable, path: path, reason: "no such file or folder"))
                continue
            }
            if isDirectory.boolValue {
                for file in Self.files(in: path) where seen.insert(file).inserted {
                    if let kind = Self.kind(of: file) {
                        collected.files.append(InputFile(path: file, kind: kind))
                    } else {
                        collected.skipped.append(file)
                    }
                }
                continue
            }
            guard seen.insert(path).inserted else { continue }
            guard FileManager.default.isReadableFile(atPath: path) else {
                collected.errors.append(VigilError(.unreadable, path: path, reason: "permission denied"))
                continue
            }
            if let kind = Self.kind(of: path) {
                collected.files.append(InputFile(path: path, kind: kind))
            } else {
                collected.errors.append(
                    VigilError(
                        .unrecognised, path: path, position: .offset(0),
                        reason: "not a pcap or pcapng capture (no capture magic number in the first 4 bytes)",
                        hint: "Vigil reads captures by content, whatever their extension"))
            }
        }
        return collected
    }

    static func kind(of path: String) -> InputFile.Kind? {
        switch CaptureFormat.detect(path: path) {
        case .pcap: .pcap
        case .pcapng: .pcapng
        case nil: nil
        }
    }

    private static func files(in folder: String) -> [String] {
        guard let walker = FileManager.default.enumerator(atPath: folder) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            let name = (relative as NSString).lastPathComponent
            if name.hasPrefix(".") {
                if (walker.fileAttributes?[.type] as? FileAttributeType) == .typeDirectory { walker.skipDescendants() }
                continue
            }
            guard (walker.fileAttributes?[.type] as? FileAttributeType) == .typeRegular else { continue }
            let joined = folder.hasSuffix("/") ? folder + relative : folder + "/" + relative
            files.append(joined)
        }
        return files.sorted()
    }
}
