internal import Foundation
internal import VigilCapture
public import VigilCore
internal import VigilLogs

#if canImport(Glibc)
    import Glibc
#endif

/// A file Vigil will read, what kind it is, and where its bytes come from.
public struct InputFile: Sendable {
    /// What an input is read as.
    public enum Kind: String, Sendable {
        case pcap, pcapng
        /// A text log, plain or gzip-compressed (its format is told line by line).
        case log
        /// An asset inventory (CSV).
        case inventory
    }

    /// The path as the user named it, or as found inside a folder they named; `-` for standard
    /// input.
    public var path: String
    public var kind: Kind
    /// The file (reopened and checked when read) or the stream (already open).
    public var origin: InputOrigin
    /// Its size in bytes, for a regular file.
    public var size: Int64?
    /// A remark for the report (an empty file).
    public var note: String?

    /// The name messages and evidence use: `(standard input)` for `-`.
    public var displayPath: String { path == "-" ? "(standard input)" : path }
}

/// Every path named on the command line, expanded: each file to read, and each one that is not
/// read with the reason. Nothing is left out silently.
///
/// Folders are walked recursively in name order (rotated logs oldest first), through symbolic
/// links (a link back to a folder being walked is a loop, reported and not followed); hidden
/// files and folders are listed as skipped. Each file is read once, whatever paths or links name
/// it (device and inode). Kinds are told by content, never by name: the capture magics, the gzip
/// magic, an inventory header in a `.csv`, or text whose first lines hold a dated log line
/// (``LogSniffer``). A file named on the command line is a log if it is text at all; one found in
/// a folder must have a dated line among its first ``LogSniffer/maxLines`` lines. Regular files
/// are examined with `pread` and opened again when read (and checked to be the same file);
/// pipes, FIFOs, sockets and standard input are opened once, and the bytes read to tell their
/// kind go first to their reader.
public struct InputCollector: Sendable {
    /// What one path became.
    public struct Entry: Sendable {
        /// Whether an input is read, skipped (why) or cannot be read (the error).
        public enum Status: Sendable {
            case read(InputFile)
            case skipped(String)
            /// Could not be read, and why (an error naming the path).
            case unreadable(VigilError)
        }

        public var path: String
        public var status: Status
        /// Named on the command line (rather than found in a folder).
        public var named: Bool

        /// The report's entry for an input that is not read.
        public var report: InputReport? {
            switch status {
            case .read: nil
            case .skipped(let reason): InputReport(path: path, status: .skipped, reason: reason)
            case .unreadable(let error): InputReport(path: path, status: .unreadable, reason: Audit.reason(error))
            }
        }
    }

    /// Bytes examined at most to tell a file's kind.
    public static let sniffBytes = 64 * 1024

    /// A collector.
    public init() {}

    /// The entries for `paths`, in the order named, folders expanded where they stand.
    public func collect(_ paths: [String]) -> [Entry] {
        var walk = Walk()
        for path in paths { walk.visit(path, named: true, ancestors: []) }
        return walk.entries
    }

    /// The state of one collection: what was found, and the files seen (for duplicates).
    private struct Walk {
        var entries: [Entry] = []
        var seen: [FileIdentity: String] = [:]

        mutating func visit(_ path: String, named: Bool, ancestors: Set<FileIdentity>) {
            if path == "-" {
                entries.append(InputCollector.sniff(stream: 0, path: path, owned: false, named: true))
                return
            }
            guard let info = SystemCall.status(path) else {
                let code = errno
                let broken = SystemCall.status(path, followLinks: false)?.kind == .link
                let reason =
                    broken
                    ? "a broken symbolic link" : code == ENOENT ? "no such file or folder" : SystemCall.describe(code)
                entries.append(
                    Entry(
                        path: path, status: .unreadable(VigilError(.unreadable, path: path, reason: reason)),
                        named: named))
                return
            }
            let identity = info.identity
            if info.kind == .folder {
                if ancestors.contains(identity) {
                    entries.append(
                        Entry(
                            path: path, status: .skipped("a link back to a folder being read (a loop): not followed"),
                            named: named))
                    return
                }
                if let first = seen[identity] {
                    entries.append(Entry(path: path, status: .skipped("the same folder as \(first)"), named: named))
                    return
                }
                seen[identity] = path
                folder(path, named: named, ancestors: ancestors.union([identity]))
                return
            }
            if let first = seen[identity] {
                entries.append(Entry(path: path, status: .skipped("duplicate of \(first)"), named: named))
                return
            }
            seen[identity] = path
            if info.kind == .regular {
                entries.append(InputCollector.sniff(file: path, identity: identity, size: info.size, named: named))
            } else if named {
                // A FIFO, socket, terminal or device named on purpose: opened once, read whole.
                let descriptor = SystemCall.open(path, O_RDONLY | O_CLOEXEC)
                guard descriptor >= 0 else {
                    entries.append(InputCollector.unreadable(path, SystemCall.describe(errno), named: named))
                    return
                }
                entries.append(InputCollector.sniff(stream: descriptor, path: path, owned: true, named: true))
            } else {
                let what = info.kind == .fifo ? "a FIFO" : info.kind == .socket ? "a socket" : "a device"
                entries.append(
                    Entry(
                        path: path, status: .skipped("\(what), not a regular file: name it to read it"), named: named))
            }
        }

        mutating func folder(_ path: String, named: Bool, ancestors: Set<FileIdentity>) {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path)
            } catch {
                let reason =
                    access(path, R_OK | X_OK) == 0 ? "the folder cannot be listed" : SystemCall.describe(EACCES)
                entries.append(InputCollector.unreadable(path, "\(reason): nothing in it was read", named: named))
                return
            }
            let base = path.hasSuffix("/") ? path : path + "/"
            for name in names.sorted(by: InputCollector.rotationOrder) {
                let child = base + name
                if name.hasPrefix(".") {
                    let isFolder = SystemCall.status(child)?.kind == .folder
                    entries.append(
                        Entry(
                            path: child,
                            status: .skipped(isFolder ? "a hidden folder: not searched" : "a hidden file"),
                            named: false))
                    continue
                }
                visit(child, named: false, ancestors: ancestors)
            }
        }
    }

    /// A regular file, examined without moving anything: its first bytes by `pread`.
    static func sniff(file path: String, identity: FileIdentity, size: Int64, named: Bool) -> Entry {
        let descriptor = SystemCall.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return unreadable(path, SystemCall.describe(errno), named: named) }
        defer { SystemCall.close(descriptor) }
        var head = [UInt8](repeating: 0, count: min(sniffBytes, Int(max(size, 0))))
        var got = 0
        while got < head.count {
            let count = head.withUnsafeMutableBytes { buffer in
                SystemCall.retrying { pread(descriptor, buffer.baseAddress! + got, buffer.count - got, off_t(got)) }
            }
            if count < 0 { return unreadable(path, "read error: \(SystemCall.describe(errno))", named: named) }
            if count == 0 { break }
            got += count
        }
        head.removeLast(head.count - got)
        let origin = InputOrigin.file(path: path, identity: identity)
        return decide(head, complete: got >= size, path: path, origin: origin, size: size, named: named)
    }

    /// A stream (standard input, a FIFO, a socket): read until its kind is known (at most
    /// ``sniffBytes``), the bytes kept for its reader.
    static func sniff(stream descriptor: Int32, path: String, owned: Bool, named: Bool) -> Entry {
        var head: [UInt8] = []
        var complete = false
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        while head.count < sniffBytes {
            let count = chunk.withUnsafeMutableBytes {
                SystemCall.read(descriptor, into: $0.baseAddress!, count: min($0.count, sniffBytes - head.count))
            }
            if count < 0 {
                if owned { SystemCall.close(descriptor) }
                return unreadable(path, "read error: \(SystemCall.describe(errno))", named: named)
            }
            if count == 0 {
                complete = true
                break
            }
            head += chunk.prefix(count)
            if head.count >= 4 && CaptureFormat.detect(magic: head) != nil { break }
            if LogSniffer.classify(head, complete: false) != .undecided { break }
        }
        let origin = InputOrigin.stream(InputStreamSource(descriptor: descriptor, prefix: head, owned: owned))
        return decide(head, complete: complete, path: path, origin: origin, size: nil, named: named)
    }

    /// The kind of an input from its first bytes.
    private static func decide(
        _ head: [UInt8], complete: Bool, path: String, origin: InputOrigin, size: Int64?, named: Bool
    ) -> Entry {
        func read(_ kind: InputFile.Kind, note: String? = nil) -> Entry {
            Entry(
                path: path, status: .read(InputFile(path: path, kind: kind, origin: origin, size: size, note: note)),
                named: named)
        }
        if let format = CaptureFormat.detect(magic: head) { return read(format == .pcap ? .pcap : .pcapng) }
        if isInventory(path: path, head: head) { return read(.inventory) }
        switch LogSniffer.classify(head, complete: complete) {
        case .dated:
            return read(.log)
        case .empty:
            return read(.log, note: "empty: there was nothing to read")
        case .undated, .undecided:
            if named { return read(.log) }
            return Entry(
                path: path,
                status: .skipped(
                    "of no kind Vigil reads: no capture magic, and no dated log line in its first \(LogSniffer.maxLines) lines"
                ), named: false)
        case .binary:
            let reason = "neither a capture (no pcap or pcapng magic number) nor a text or gzip log"
            return named
                ? Entry(
                    path: path,
                    status: .unreadable(
                        VigilError(
                            .unrecognised, path: path == "-" ? "(standard input)" : path, position: .offset(0),
                            reason: reason, hint: "Vigil tells inputs by content, whatever their extension")),
                    named: true)
                : Entry(path: path, status: .skipped("of no kind Vigil reads: " + reason), named: false)
        }
    }

    private static func unreadable(_ path: String, _ reason: String, named: Bool) -> Entry {
        Entry(path: path, status: .unreadable(VigilError(.unreadable, path: path, reason: reason)), named: named)
    }

    /// A `.csv` whose first line names an inventory column.
    static func isInventory(path: String, head: [UInt8]) -> Bool {
        guard path.lowercased().hasSuffix(".csv") else { return false }
        let first = String(decoding: head.prefix { $0 != 0x0A }, as: UTF8.self).lowercased()
        let names = first.split(separator: ",").map {
            $0.trimmingCharacters(in: CharacterSet(charactersIn: "\" \r\u{FEFF}"))
        }
        return names.contains { ["mac", "mac_address", "hostname", "asset_tag"].contains($0) }
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
}
