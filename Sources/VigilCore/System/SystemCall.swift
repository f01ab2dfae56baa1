#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// The one place Vigil's own code makes the system calls that can be interrupted or fail half
/// way: each is retried on `EINTR` and completed on short transfers, and `errno` becomes a
/// ``VigilError`` naming the path (as swift-system routes every call through one place).
public enum SystemCall {
    /// The text of an `errno` value (`No such file or directory`).
    public static func describe(_ code: Int32) -> String { String(cString: strerror(code)) }

    /// The current `errno`.
    public static var errorNumber: Int32 { errno }

    /// Runs `call` until it does not fail with `EINTR`; returns its result (`-1` with `errno`
    /// set on any other failure).
    @inline(__always)
    public static func retrying<T: FixedWidthInteger>(_ call: () -> T) -> T {
        while true {
            let result = call()
            if result == -1 && errno == EINTR { continue }
            return result
        }
    }

    /// Writes all of `bytes` to `descriptor`, retrying on `EINTR` and after short writes.
    ///
    /// - Throws: ``VigilError`` (`output`) naming `path` with the system's reason.
    public static func writeAll(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, path: String?)
        throws(VigilError)
    {
        var offset = 0
        while offset < bytes.count {
            let written = retrying { write(descriptor, bytes.baseAddress! + offset, bytes.count - offset) }
            if written < 0 { throw VigilError(.output, path: path, reason: describe(errno)) }
            if written == 0 { throw VigilError(.output, path: path, reason: "the file accepts no more bytes") }
            offset += written
        }
    }

    /// Writes all of `bytes` to `descriptor` (see ``writeAll(_:_:path:)-(_,UnsafeRawBufferPointer,_)``).
    public static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], path: String?) throws(VigilError) {
        let failure: VigilError? = bytes.withUnsafeBytes { buffer in
            do throws(VigilError) {
                try writeAll(descriptor, buffer, path: path)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
    }

    /// Reads up to `count` bytes into `buffer`, retrying on `EINTR`: the bytes read (0 at the
    /// end), or `-1` with `errno` set.
    public static func read(_ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        retrying { Glibc.read(descriptor, buffer, count) }
    }

    /// The names in the folder at `path` (`.` and `..` left out), or `nil` when it cannot be
    /// opened. Each name is read up to its terminating NUL where `readdir` put it: a `dirent`
    /// is allocated only as long as its name, so copying the whole `d_name` array would read
    /// past it.
    public static func folderEntries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        let nameOffset = MemoryLayout<dirent>.offset(of: \.d_name) ?? 19
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = String(cString: (UnsafeRawPointer(entry) + nameOffset).assumingMemoryBound(to: CChar.self))
            if name != "." && name != ".." { names.append(name) }
        }
        return names
    }

    /// Opens `path` with `flags` (and `mode` for a file it creates), retrying on `EINTR`: the
    /// descriptor, or `-1` with `errno` set.
    public static func open(_ path: String, _ flags: Int32, mode: UInt32 = 0) -> Int32 {
        retrying { Glibc.open(path, flags, mode_t(mode)) }
    }

    /// Reads up to `count` bytes at `offset` into `buffer`, retrying on `EINTR` and after short
    /// reads: the bytes read (fewer only at the end), or `-1` with `errno` set.
    public static func read(
        _ descriptor: Int32, into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64
    ) -> Int {
        var done = 0
        while done < count {
            let got = retrying { pread(descriptor, buffer + done, count - done, off_t(offset) + off_t(done)) }
            if got < 0 { return done > 0 ? done : -1 }
            if got == 0 { break }
            done += got
        }
        return done
    }

    /// Sends all of `bytes` on a socket, retrying on `EINTR` and after short sends (no
    /// `SIGPIPE` when the peer has gone): `false` with `errno` set on failure.
    public static func sendAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        bytes.withUnsafeBytes { buffer in
            var sent = 0
            while sent < buffer.count {
                let count = retrying {
                    send(socket, buffer.baseAddress! + sent, buffer.count - sent, Int32(MSG_NOSIGNAL))
                }
                guard count > 0 else { return false }
                sent += count
            }
            return true
        }
    }

    /// Receives up to `count` bytes from a socket into `buffer`, retrying on `EINTR`: the bytes
    /// received (0 when the peer closed), or `-1` with `errno` set.
    public static func receive(_ socket: Int32, into buffer: UnsafeMutableRawPointer, count: Int) -> Int {
        retrying { recv(socket, buffer, count, 0) }
    }

    /// What `stat` (or `lstat` when `followLinks` is off) says of `path`; `nil` with `errno`
    /// set when it fails.
    public static func status(_ path: String, followLinks: Bool = true) -> FileStatus? {
        var info = stat()
        let result = followLinks ? stat(path, &info) : lstat(path, &info)
        return result == 0 ? FileStatus(info) : nil
    }

    /// What `fstat` says of `descriptor`; `nil` with `errno` set when it fails.
    public static func status(of descriptor: Int32) -> FileStatus? {
        var info = stat()
        return fstat(descriptor, &info) == 0 ? FileStatus(info) : nil
    }

    /// Closes `descriptor`; `EINTR` is not retried (Linux has closed it already).
    public static func close(_ descriptor: Int32) { _ = Glibc.close(descriptor) }
}

/// What the system says of a file: its kind, identity, size, owner and permissions.
public struct FileStatus: Sendable, Equatable {
    /// A file's kind.
    public enum Kind: Sendable, Equatable {
        case regular, folder, link, fifo, socket, characterDevice, blockDevice, other
    }

    public var kind: Kind
    /// The device and inode: the same file whatever path leads to it.
    public var identity: FileIdentity
    public var size: Int64
    /// The owner's user id.
    public var owner: UInt32
    /// The permission bits (`0o600`).
    public var permissions: UInt32
    /// For a device: its device number.
    public var deviceNumber: UInt64

    init(_ info: stat) {
        switch info.st_mode & S_IFMT {
        case S_IFREG: kind = .regular
        case S_IFDIR: kind = .folder
        case S_IFLNK: kind = .link
        case S_IFIFO: kind = .fifo
        case S_IFSOCK: kind = .socket
        case S_IFCHR: kind = .characterDevice
        case S_IFBLK: kind = .blockDevice
        default: kind = .other
        }
        identity = FileIdentity(device: UInt64(info.st_dev), inode: UInt64(info.st_ino))
        size = Int64(info.st_size)
        owner = info.st_uid
        permissions = UInt32(info.st_mode & 0o7777)
        deviceNumber = UInt64(info.st_rdev)
    }
}
