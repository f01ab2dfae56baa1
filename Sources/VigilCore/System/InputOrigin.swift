internal import Synchronization

#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// A file's identity: its device and inode, the same whatever path, link or hard link names it.
public struct FileIdentity: Hashable, Sendable {
    public var device: UInt64
    public var inode: UInt64

    /// The file `inode` on `device`.
    public init(device: UInt64, inode: UInt64) {
        self.device = device
        self.inode = inode
    }
}

/// An input already open that cannot be opened again: a pipe, FIFO, socket, terminal or
/// standard input. It holds the descriptor and the bytes read from it to tell its kind, and is
/// handed to the one reader that reads it (the sniffed bytes first, then the rest).
public final class InputStreamSource: Sendable {
    private let state: Mutex<(descriptor: Int32, taken: Bool)>
    /// The bytes already read from the descriptor.
    public let prefix: [UInt8]
    /// Whether the descriptor is Vigil's to close (standard input is not).
    public let owned: Bool

    /// A stream on `descriptor` whose first bytes (`prefix`) were read to sniff it; `owned` when it is
    /// Vigil's to close.
    public init(descriptor: Int32, prefix: [UInt8], owned: Bool) {
        state = Mutex((descriptor, false))
        self.prefix = prefix
        self.owned = owned
    }

    /// The descriptor, for its one reader; `nil` once taken.
    public func take() -> Int32? {
        state.withLock { state in
            guard !state.taken else { return nil }
            state.taken = true
            return state.descriptor
        }
    }

    deinit {
        let (descriptor, taken) = state.withLock { $0 }
        if !taken && owned { SystemCall.close(descriptor) }
    }
}

/// Where an input's bytes come from, once its kind is known.
public enum InputOrigin: Sendable {
    /// A regular file: opened again by path when it is read, and checked to be the very file
    /// that was examined (the same device and inode).
    case file(path: String, identity: FileIdentity)
    /// A stream already open (see ``InputStreamSource``).
    case stream(InputStreamSource)

    /// The origin of `path` as it is now: a regular file, or `-` (standard input). For tests and
    /// callers that name one file.
    public static func named(_ path: String) throws(VigilError) -> InputOrigin {
        if path == "-" { return .stream(InputStreamSource(descriptor: 0, prefix: [], owned: false)) }
        guard let info = SystemCall.status(path) else {
            throw VigilError(.unreadable, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        return .file(path: path, identity: info.identity)
    }

    /// Opens the input for reading: a descriptor at its first unread byte, the bytes read before
    /// it (for a stream), and whether the descriptor is the caller's to close.
    ///
    /// - Throws: ``VigilError``: the file cannot be opened, is no longer the file examined, or
    ///   the stream was taken already.
    public func open(displayPath: String) throws(VigilError) -> (descriptor: Int32, prefix: [UInt8], owned: Bool) {
        switch self {
        case .file(let path, let identity):
            let descriptor = SystemCall.open(path, O_RDONLY | O_CLOEXEC)
            guard descriptor >= 0 else {
                throw VigilError(.unreadable, path: displayPath, reason: SystemCall.describe(SystemCall.errorNumber))
            }
            guard SystemCall.status(of: descriptor)?.identity == identity else {
                SystemCall.close(descriptor)
                throw VigilError(
                    .unreadable, path: displayPath,
                    reason: "changed since Vigil examined it: another file is at this path now")
            }
            return (descriptor, [], true)
        case .stream(let source):
            guard let descriptor = source.take() else {
                throw VigilError(.unreadable, path: displayPath, reason: "a stream can be read only once")
            }
            return (descriptor, source.prefix, source.owned)
        }
    }

    /// The file's path, for a regular file.
    public var filePath: String? {
        if case .file(let path, _) = self { return path }
        return nil
    }
}
