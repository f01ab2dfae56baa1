internal import Foundation
public import VigilCore

#if canImport(Glibc)
    import Glibc
#endif

/// What is being verified: a block device or an image file, opened read-only, with its size
/// and, for devices, the identity the kernel reports.
public final class WipeTarget {
    /// The medium as a certificate records it.
    public struct Identity: Sendable, Equatable {
        public var path: String
        /// `block-device` or `image-file`.
        public var kind: String
        public var size: Int64
        public var logicalBlockSize: Int
        public var vendor: String?
        public var model: String?
        public var serial: String?
        public var firmware: String?
        /// Spinning disk (`true`), solid state (`false`), unknown (`nil`).
        public var rotational: Bool?
        public var removable: Bool?
        /// For a loop device, the file behind it.
        public var backingFile: String?
    }

    public let identity: Identity
    let descriptor: Int32

    /// Opens `path` read-only.
    ///
    /// - Throws: ``VigilError`` naming the path: missing, unreadable, neither a block device nor
    ///   a regular file, or empty.
    public init(path: String) throws(VigilError) {
        guard let info = SystemCall.status(path) else {
            throw VigilError(.unreadable, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        let isDevice = info.kind == .blockDevice
        guard isDevice || info.kind == .regular else {
            throw VigilError(.usage, path: path, reason: "neither a block device nor an image file")
        }
        let fd = SystemCall.open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else {
            throw VigilError(.unreadable, path: path, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        descriptor = fd
        var identity = Identity(
            path: path, kind: isDevice ? "block-device" : "image-file", size: info.size,
            logicalBlockSize: 512)
        if isDevice {
            // BLKGETSIZE64 = _IOR(0x12, 114, size_t): the size in bytes as the kernel knows it.
            var bytes: UInt64 = 0
            if ioctl(fd, 0x8008_1272, &bytes) == 0 {
                identity.size = Int64(bytes)
            } else {
                identity.size = Int64(lseek(fd, 0, SEEK_END))
            }
            var sector: Int32 = 0
            // BLKSSZGET = _IO(0x12, 104): the logical sector size.
            if ioctl(fd, 0x1268, &sector) == 0, sector > 0 { identity.logicalBlockSize = Int(sector) }
            Self.describe(&identity, device: dev_t(info.deviceNumber))
        }
        self.identity = identity
        guard identity.size > 0 else {
            SystemCall.close(fd)
            throw VigilError(.usage, path: path, reason: "the target is empty (0 bytes)")
        }
    }

    deinit { SystemCall.close(descriptor) }

    /// Model, serial, firmware, flags from `/sys/dev/block/MAJOR:MINOR`, where the kernel has them.
    private static func describe(_ identity: inout Identity, device: dev_t) {
        let major = (device >> 8) & 0xFFF | (device >> 32) & ~0xFFF
        let minor = device & 0xFF | (device >> 12) & ~0xFF
        var base = "/sys/dev/block/\(major):\(minor)"
        // A partition's identity is its disk's.
        if FileManager.default.fileExists(atPath: base + "/partition") { base += "/.." }
        func read(_ relative: String) -> String? {
            guard let data = FileManager.default.contents(atPath: base + "/" + relative) else { return nil }
            let text = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
            return text.isEmpty ? nil : text
        }
        identity.vendor = read("device/vendor")
        identity.model = read("device/model")
        identity.serial = read("device/serial") ?? read("device/wwid") ?? read("serial")
        identity.firmware = read("device/firmware_rev") ?? read("device/rev")
        identity.rotational = read("queue/rotational").map { $0 == "1" }
        identity.removable = read("removable").map { $0 == "1" }
        identity.backingFile = read("loop/backing_file")
    }

    /// Reads `count` bytes at `offset` into `buffer`: the bytes read (fewer only at the end),
    /// or the `errno` of a failed read.
    func read(into buffer: UnsafeMutableRawPointer, count: Int, at offset: Int64) -> Result<Int, ReadFailure> {
        let done = SystemCall.read(descriptor, into: buffer, count: count, at: offset)
        guard done >= 0 else { return .failure(ReadFailure(offset: offset, code: SystemCall.errorNumber)) }
        return .success(done)
    }

    /// Tells the kernel the target will be read once, in order (for the page cache).
    func adviseSequential() { _ = posix_fadvise(descriptor, 0, 0, POSIX_FADV_SEQUENTIAL) }

    /// A read that failed: where, and why (`errno`).
    struct ReadFailure: Error {
        var offset: Int64
        var code: Int32
        var reason: String { String(cString: strerror(code)) }
    }
}
