public import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// Giving up root once the capture device is open, as tcpdump's `-Z` does: Vigil then parses
/// hostile traffic as an unprivileged user, so a bug in a dissector cannot become root's.
public enum Privileges {
    /// What the drop did, for the message the CLI prints.
    public struct Dropped: Sendable, CustomStringConvertible {
        public var user: String
        public var uid: UInt32
        public var gid: UInt32
        public var description: String { "running as \(user) (uid \(uid), gid \(gid)) from here on" }
    }

    /// Whether the process runs as root (real or effective), so has something to drop.
    public static var isRoot: Bool { geteuid() == 0 || getuid() == 0 }

    /// Switches to `user` for good (supplementary groups, group, then user: as root, setgid and setuid set the real,
    /// effective and saved IDs), then checks that root cannot be taken back. Nothing happens when not root.
    ///
    /// - Throws: ``VigilError`` when the user does not exist or a step fails: the capture must
    ///   not go on as root when the user asked it not to.
    public static func drop(to user: String) throws(VigilError) -> Dropped? {
        guard isRoot else { return nil }
        let place = "privileges"
        guard let entry = getpwnam(user) else {
            throw VigilError(
                .usage, path: place, reason: "no user named '\(user)' to run as",
                remedy: .nameAnUnprivilegedUser)
        }
        let uid = entry.pointee.pw_uid
        let gid = entry.pointee.pw_gid
        guard uid != 0 else {
            throw VigilError(.usage, path: place, reason: "'\(user)' is root: nothing would be dropped")
        }
        var groups = [gid]
        guard setgroups(1, &groups) == 0 else { throw failure(place, "setgroups") }
        guard setgid(gid) == 0 else { throw failure(place, "setgid") }
        guard setuid(uid) == 0 else { throw failure(place, "setuid") }
        // The proof: taking root back must fail.
        guard setuid(0) != 0, geteuid() == uid, getegid() == gid else {
            throw VigilError(.library, path: place, reason: "root could be taken back after dropping to '\(user)'")
        }
        return Dropped(user: user, uid: uid, gid: gid)
    }

    private static func failure(_ place: String, _ call: String) -> VigilError {
        VigilError(.library, path: place, reason: "\(call) failed: \(String(cString: strerror(errno)))")
    }
}
