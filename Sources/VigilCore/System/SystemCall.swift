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

    /// Closes `descriptor`; `EINTR` is not retried (Linux has closed it already).
    public static func close(_ descriptor: Int32) { _ = Glibc.close(descriptor) }
}
