internal import Foundation

/// Where Vigil keeps what it keeps on this machine (the ledger and checklists, the digest key):
/// `$XDG_DATA_HOME/vigil`, else `~/.local/share/vigil`.
public enum DataFolder {
    /// The folder's path (it may not exist yet).
    public static var path: String {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return base + "/vigil"
    }
}
