#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// Files that hold keys: read only when no one else may read them and they belong to the user
/// running Vigil (or to root), so that a key another user could have replaced or copied is never
/// used.
public enum PrivateFile {
    /// The bytes of `path` (at most 1 MiB), after checking its mode and owner on the open file.
    ///
    /// - Throws: ``VigilError``: missing, readable by group or others, owned by another user.
    public static func read(_ path: String, what: String = "the key") throws(VigilError) -> [UInt8] {
        let descriptor = SystemCall.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw VigilError(.unreadable, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        defer { SystemCall.close(descriptor) }
        guard let info = SystemCall.status(of: descriptor) else {
            throw VigilError(.unreadable, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        guard info.permissions & 0o077 == 0 else {
            throw VigilError(
                .usage, path: path,
                reason: "\(what) can be read by others (mode \(String(info.permissions & 0o777, radix: 8)))",
                hint: "chmod 600 \(path)")
        }
        guard info.owner == geteuid() || info.owner == 0 else {
            throw VigilError(
                .usage, path: path,
                reason: "\(what) belongs to another user (uid \(info.owner)); a key is used by its owner only",
                hint: "the key's owner uses it, as themselves")
        }
        var bytes: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while bytes.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes {
                SystemCall.read(descriptor, into: $0.baseAddress!, count: $0.count)
            }
            if count < 0 {
                throw VigilError(.unreadable, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
            }
            if count == 0 { break }
            bytes += buffer.prefix(count)
        }
        for index in buffer.indices { buffer[index] = 0 }
        return bytes
    }
}
