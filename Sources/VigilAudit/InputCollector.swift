internal import Foundation
internal import VigilCapture
public import VigilCore
internal import VigilLogs

/// A file Vigil will read, and what kind it is.
public struct InputFile: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case pcap, pcapng
        /// A text log, plain or gzip-compressed (its format is told line by line).
        case log
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
        /// Asset inventories (CSV files whose header names a `mac`, `hostname` or `asset_tag`
        /// column), found among the paths.
        public var inventories: [String] = []
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
            if path == "-" {
                // Standard input: a log (captures are read from files).
                if seen.insert(path).inserted { collected.files.append(InputFile(path: path, kind: .log)) }
                continue
            }
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                collected.errors.append(VigilError(.unreadable, path: path, reason: "no such file or folder"))
                continue
            }
            if isDirectory.boolValue {
                for file in Self.files(in: path) where seen.insert(file).inserted {
                    if Self.isInventory(file) {
                        collected.inventories.append(file)
                    } else if let kind = Self.kind(of: file), kind != .log || LogReader.recognises(path: file) {
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
            if Self.isInventory(path) {
                collected.inventories.append(path)
            } else if let kind = Self.kind(of: path) {
                collected.files.append(InputFile(path: path, kind: kind))
            } else {
                collected.errors.append(
                    VigilError(
                        .unrecognised, path: path, position: .offset(0),
                        reason: "neither a capture (no pcap or pcapng magic number) nor a text or gzip log",
                        hint: "Vigil tells inputs by content, whatever their extension"))
            }
        }
        return collected
    }

    /// A `.csv` whose first line names an inventory column.
    static func isInventory(_ path: String) -> Bool {
        guard path.lowercased().hasSuffix(".csv"), let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        let first = String(decoding: head.prefix { $0 != 0x0A }, as: UTF8.self).lowercased()
        let names = first.split(separator: ",").map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r\u{FEFF}"))
        }
        return names.contains { ["mac", "mac_address", "hostname", "asset_tag"].contains($0) }
    }

    static func kind(of path: String) -> InputFile.Kind? {
        switch CaptureFormat.detect(path: path) {
        case .pcap: return .pcap
        case .pcapng: return .pcapng
        case nil: return looksLikeLog(path) ? .log : nil
        }
    }

    /// Gzip (logrotate's `.gz`), or text: a first line (within 4 KiB) with no NUL and mostly
    /// printable bytes. Junk further on is the reader's to warn about, line by line.
    static func looksLikeLog(_ path: String) -> Bool {
        guard let handle = FileHandle(forReadingAtPath: path) else { return false }
        defer { try? handle.close() }
        let head = (try? handle.read(upToCount: 4096)) ?? Data()
        if head.starts(with: [0x1F, 0x8B]) { return true }
        let first = head.prefix { $0 != 0x0A }
        guard !first.isEmpty, !first.contains(0) else { return false }
        let printable = first.filter { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0D }.count
        return printable * 100 >= first.count * 95
    }

    /// Rotated logs oldest first: `auth.log.3.gz`, `auth.log.2.gz`, `auth.log.1`, `auth.log`;
    /// other files in name order.
    static func rotationOrder(_ a: String, _ b: String) -> Bool {
        let (baseA, indexA) = rotation(a)
        let (baseB, indexB) = rotation(b)
        if baseA != baseB { return baseA < baseB }
        if indexA != indexB { return indexA > indexB }
        return a < b
    }

    /// `auth.log.2.gz` → (`auth.log`, 2); `auth.log` → (`auth.log`, 0).
    static func rotation(_ path: String) -> (String, Int) {
        var name = path
        if name.hasSuffix(".gz") { name.removeLast(3) }
        if let dot = name.lastIndex(of: "."), let number = Int(name[name.index(after: dot)...]), number < 10_000 {
            return (String(name[..<dot]), number)
        }
        return (name, 0)
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
        return files.sorted(by: rotationOrder)
    }
}
