internal import Foundation
public import VigilCore

#if canImport(Glibc)
    import Glibc
#endif

/// Where a report goes, and writing it there safely: every file created 0600 whatever the umask
/// (reports hold masked secrets, digests, and with `--reveal-secrets` crackable hash lines),
/// never through a symbolic link, replaced atomically; a folder of reports written whole in a
/// temporary folder beside it and then moved into place, so a kill leaves the old set or the new
/// one, never a mix and never a stray temporary file in it. The destination is checked before
/// any analysis runs.
public struct ReportOutput {
    /// Where.
    public enum Destination: Sendable {
        case standardOutput
        /// One file (one format).
        case file(String)
        /// A folder holding one file per format (``ReportFormat/fileName``).
        case folder(String)
    }

    public var destination: Destination
    /// The formats written (one for standard output or a file).
    public var formats: [ReportFormat]
    /// Descriptors opened ahead by ``openAhead()``, by path.
    private var opened: [String: Int32] = [:]

    /// A destination for `formats`; a folder's trailing slashes are dropped (`report/` is the
    /// folder `report`, and a link named so is still refused as a link).
    public init(destination: Destination, formats: [ReportFormat]) {
        if case .folder(let path) = destination {
            self.destination = .folder(FileOutput.withoutTrailingSlashes(path))
        } else {
            self.destination = destination
        }
        self.formats = formats
    }

    /// Checks, before any analysis, that the report can be written there: a file's folder
    /// exists and may be written, the file itself is not a folder or a link; a folder of reports
    /// is new, or holds only report files Vigil writes (so replacing it loses nothing else).
    ///
    /// - Throws: ``VigilError`` (`output`) naming the path and the problem.
    public func check() throws(VigilError) {
        switch destination {
        case .standardOutput:
            return
        case .file(let path):
            try Self.checkParent(of: path)
            if let info = SystemCall.status(path, followLinks: false) {
                if info.kind == .link {
                    throw VigilError(
                        .output, path: path, reason: "is a symbolic link: Vigil does not write through links",
                        hint: "name the file the link points to, or remove the link")
                }
                if info.kind == .folder {
                    throw VigilError(
                        .output, path: path, reason: "is a folder", hint: "name a file",
                        remedy: .writeAFolderOfReports)
                }
            }
        case .folder(let path):
            try Self.checkParent(of: path)
            guard let info = SystemCall.status(path, followLinks: false) else { return }
            guard info.kind == .folder else {
                throw VigilError(
                    .output, path: path,
                    reason: info.kind == .link
                        ? "is a symbolic link: Vigil does not write through links" : "exists and is not a folder")
            }
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            let ours = Set(ReportFormat.allCases.map(\.fileName))
            let others = names.filter { !ours.contains($0) }
            if !others.isEmpty {
                throw VigilError(
                    .output, path: path,
                    reason:
                        "holds files that are not Vigil's reports (\(others.sorted().prefix(3).joined(separator: ", "))): the new set replaces the folder whole",
                    hint: "name a new or empty folder, or one Vigil wrote")
            }
        }
    }

    private static func checkParent(of path: String) throws(VigilError) {
        let parent = FileOutput.folder(of: path)
        guard SystemCall.status(parent)?.kind == .folder else {
            throw VigilError(.output, path: path, reason: "its folder \(parent) does not exist")
        }
        guard access(parent, W_OK | X_OK) == 0 else {
            throw VigilError(.output, path: path, reason: "its folder \(parent) cannot be written")
        }
    }

    /// For a run that will lose the rights to reach its destination (a live capture started as
    /// root drops to another user before writing): creates the report files now, 0600, not
    /// through a link, and keeps them open; ``write(_:colour:standardOutput:)`` then writes into
    /// them in place (the one case a report is not replaced atomically).
    public mutating func openAhead() throws(VigilError) {
        var paths: [String] = []
        switch destination {
        case .standardOutput: return
        case .file(let path): paths = [path]
        case .folder(let folder):
            if !FileManager.default.fileExists(atPath: folder) {
                guard mkdir(folder, 0o700) == 0 else {
                    throw VigilError(.output, path: folder, reason: SystemCall.describe(SystemCall.errorNumber))
                }
            }
            paths = formats.map { folder + "/" + $0.fileName }
        }
        for path in paths {
            let descriptor = SystemCall.open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, mode: 0o600)
            guard descriptor >= 0 else {
                throw VigilError(.output, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
            }
            _ = fchmod(descriptor, 0o600)
            opened[path] = descriptor
        }
    }

    /// Writes `report` in every format to the destination; returns the paths written.
    public mutating func write(_ report: Report, colour: Bool, standardOutput: (String) -> Void) throws(VigilError)
        -> [String]
    {
        switch destination {
        case .standardOutput:
            standardOutput((formats.first ?? .text).render(report, colour: colour))
            return []
        case .file(let path):
            let text = (formats.first ?? .text).render(report, colour: false)
            try write(Array(text.utf8), to: path)
            return [path]
        case .folder(let folder):
            let paths = formats.map { folder + "/" + $0.fileName }
            if !opened.isEmpty {
                for (format, path) in zip(formats, paths) {
                    try write(Array(format.render(report, colour: false).utf8), to: path)
                }
                return paths
            }
            try Self.replaceFolder(folder) { temporary throws(VigilError) in
                for format in formats {
                    try FileOutput.write(
                        Array(format.render(report, colour: false).utf8), to: temporary + "/" + format.fileName,
                        permissions: 0o600, existing: .refuse)
                }
            }
            return paths
        }
    }

    /// Writes `bytes` to `path`: into the descriptor opened ahead, or through ``FileOutput``.
    private mutating func write(_ bytes: [UInt8], to path: String) throws(VigilError) {
        guard let descriptor = opened.removeValue(forKey: path) else {
            try FileOutput.write(bytes, to: path, permissions: 0o600, existing: .replace)
            return
        }
        defer { SystemCall.close(descriptor) }
        guard ftruncate(descriptor, 0) == 0 else {
            throw VigilError(.output, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        try SystemCall.writeAll(descriptor, bytes, path: path)
    }

    /// Fills a new folder beside `folder` with `fill`, then puts it in `folder`'s place: the old
    /// folder (reports only, see ``check()``) is moved aside first and removed after. A kill at
    /// any moment leaves the old set whole, or the new one whole (and at worst the other beside
    /// it, under a hidden name).
    static func replaceFolder(_ folder: String, fill: (String) throws(VigilError) -> Void) throws(VigilError) {
        let parent = FileOutput.folder(of: folder)
        let name = FileOutput.name(of: folder)
        FileOutput.removeStale(beside: folder)
        let tag = "\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        let temporary = parent + "/." + name + ".vigil-new-" + tag
        guard mkdir(temporary, 0o700) == 0 else {
            throw VigilError(.output, path: folder, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        do {
            try fill(temporary)
        } catch {
            try? FileManager.default.removeItem(atPath: temporary)
            throw error
        }
        var old: String?
        if SystemCall.status(folder, followLinks: false) != nil {
            let aside = parent + "/." + name + ".vigil-old-" + tag
            guard rename(folder, aside) == 0 else {
                let code = errno
                try? FileManager.default.removeItem(atPath: temporary)
                throw VigilError(.output, path: folder, reason: SystemCall.describe(code))
            }
            old = aside
        }
        guard rename(temporary, folder) == 0 else {
            let code = errno
            if let old { rename(old, folder) }
            try? FileManager.default.removeItem(atPath: temporary)
            throw VigilError(.output, path: folder, reason: SystemCall.describe(code))
        }
        if let old { try? FileManager.default.removeItem(atPath: old) }
    }
}
