#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Files Vigil writes that hold evidence or must not be lost half-written: reports,
/// certificates, receipts, keys.
///
/// Every file is first written whole to a temporary file beside its destination (created with
/// `O_EXCL | O_NOFOLLOW` and the final permissions, whatever the umask), flushed to disk, then
/// moved into place in one step, so a reader or a crash sees the old file or the new one, never
/// a mix. A destination that is a symbolic link is refused: Vigil never writes through a link.
public enum FileOutput {
    /// What to do when the destination exists.
    public enum Existing: Sendable {
        /// Replace it atomically (`rename`); a device or FIFO is written in place.
        case replace
        /// Refuse: the file is created only if no file of that name exists, even when another
        /// process creates one at the same moment (`link`).
        case refuse
    }

    /// Writes `bytes` to `path` with `permissions` (default 0600: owner only).
    ///
    /// - Throws: ``VigilError`` (`output`) naming the path: a link, an existing file with
    ///   `.refuse`, a folder that does not exist or cannot be written, a full disk.
    public static func write(
        _ bytes: [UInt8], to path: String, permissions: UInt32 = 0o600, existing: Existing = .replace
    ) throws(VigilError) {
        if let info = SystemCall.status(path, followLinks: false) {
            if info.kind == .link {
                throw VigilError(
                    .output, path: path, reason: "is a symbolic link: Vigil does not write through links",
                    hint: "name the file the link points to, or remove the link")
            }
            if existing == .refuse {
                throw VigilError(.output, path: path, reason: "already exists: it is never overwritten")
            }
            if info.kind == .folder { throw VigilError(.output, path: path, reason: "is a folder") }
            if info.kind != .regular {
                // A device (/dev/null) or a FIFO: written in place, it has no contents to replace.
                let descriptor = SystemCall.open(path, O_WRONLY | O_NOFOLLOW | O_CLOEXEC)
                guard descriptor >= 0 else {
                    throw VigilError(.output, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
                }
                defer { SystemCall.close(descriptor) }
                try SystemCall.writeAll(descriptor, bytes, path: path)
                return
            }
        }
        removeStale(beside: path)
        let temporary = try writeTemporary(bytes, beside: path, permissions: permissions)
        switch existing {
        case .replace:
            guard rename(temporary, path) == 0 else {
                let code = errno
                unlink(temporary)
                throw VigilError(.output, path: path, reason: SystemCall.describe(code))
            }
        case .refuse:
            let linked = link(temporary, path)
            let code = errno
            unlink(temporary)
            if linked != 0 {
                if code == EEXIST {
                    throw VigilError(.output, path: path, reason: "already exists: it is never overwritten")
                }
                throw VigilError(.output, path: path, reason: SystemCall.describe(code))
            }
        }
        syncFolder(of: path)
    }

    /// Removes a file this process created (a certificate whose ledger entry was not committed).
    public static func remove(_ path: String) { unlink(path) }

    /// The folder part of `path` (`.` for a bare name); trailing slashes (`report/`) are not a
    /// component.
    public static func folder(of path: String) -> String {
        let path = withoutTrailingSlashes(path)
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return "." }
        if slash == path.utf8.startIndex { return "/" }
        return String(path[..<slash])
    }

    /// The last component of `path`, trailing slashes left out.
    public static func name(of path: String) -> String {
        let path = withoutTrailingSlashes(path)
        guard let slash = path.utf8.lastIndex(of: UInt8(ascii: "/")) else { return path }
        return String(path[path.utf8.index(after: slash)...])
    }

    /// `path` without the slashes that end it (`/` stays `/`).
    public static func withoutTrailingSlashes(_ path: String) -> String {
        var path = Substring(path)
        while path.count > 1, path.hasSuffix("/") { path = path.dropLast() }
        return String(path)
    }

    /// Removes what an earlier run killed in the middle left beside `path`: hidden temporary
    /// files or folders `.NAME.vigil-…-PID-…` whose process is gone.
    public static func removeStale(beside path: String) {
        let folder = folder(of: path)
        let prefix = "." + name(of: path) + ".vigil-"
        var stale: [String] = []
        for entryName in SystemCall.folderEntries(folder) ?? [] {
            guard entryName.hasPrefix(prefix) else { continue }
            // `.NAME.vigil-PID-R`, `.NAME.vigil-new-PID-R`, `.NAME.vigil-old-PID-R`
            let parts = entryName.dropFirst(prefix.count).split(separator: "-")
            guard let pid = parts.compactMap({ Int32($0) }).first, pid != getpid() else { continue }
            if kill(pid, 0) != 0 && errno == ESRCH { stale.append(folder + "/" + entryName) }
        }
        for item in stale { removeTree(item) }
    }

    /// Removes a file, or a folder and what it holds (one level: Vigil's report folders).
    static func removeTree(_ path: String) {
        if unlink(path) == 0 { return }
        for name in SystemCall.folderEntries(path) ?? [] { unlink(path + "/" + name) }
        rmdir(path)
    }

    /// A new file `.NAME.vigil-PID-RANDOM` beside `path`, holding `bytes`, flushed and closed.
    private static func writeTemporary(_ bytes: [UInt8], beside path: String, permissions: UInt32)
        throws(VigilError) -> String
    {
        let folder = folder(of: path)
        for _ in 0..<16 {
            let temporary =
                folder + "/." + name(of: path) + ".vigil-\(getpid())-"
                + String(UInt32.random(in: 0...UInt32.max), radix: 36)
            let descriptor = SystemCall.open(
                temporary, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode: permissions)
            if descriptor < 0 {
                if errno == EEXIST { continue }
                throw VigilError(.output, path: path, reason: SystemCall.describe(errno))
            }
            do throws(VigilError) {
                // The umask may have taken bits away; never added any.
                guard fchmod(descriptor, mode_t(permissions)) == 0 else {
                    throw VigilError(.output, path: path, reason: SystemCall.describe(errno))
                }
                try SystemCall.writeAll(descriptor, bytes, path: path)
                guard SystemCall.retrying({ fsync(descriptor) }) == 0 else {
                    throw VigilError(.output, path: path, reason: SystemCall.describe(errno))
                }
                SystemCall.close(descriptor)
                return temporary
            } catch {
                SystemCall.close(descriptor)
                unlink(temporary)
                throw error
            }
        }
        throw VigilError(.output, path: path, reason: "no temporary file could be created beside it")
    }

    /// Flushes the folder's entry for a renamed or linked file, so a power cut keeps it.
    static func syncFolder(of path: String) {
        let descriptor = SystemCall.open(folder(of: path), O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        SystemCall.close(descriptor)
    }
}
