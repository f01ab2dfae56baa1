internal import CPcap
internal import Foundation
internal import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// The container format of a capture file, told by its first four bytes.
public enum CaptureFormat: String, Sendable {
    case pcap
    case pcapng

    /// The format whose magic number starts `bytes`, or `nil` if it is neither.
    ///
    /// pcap has four magics (both byte orders, micro- and nanosecond resolution); pcapng files
    /// start with a Section Header Block, type 0x0A0D0D0A in either byte order.
    public static func detect(magic bytes: some Collection<UInt8>) -> CaptureFormat? {
        guard bytes.count >= 4 else { return nil }
        let b = Array(bytes.prefix(4))
        let big = UInt32(b[0]) << 24 | UInt32(b[1]) << 16 | UInt32(b[2]) << 8 | UInt32(b[3])
        switch big {
        case 0xA1B2_C3D4, 0xD4C3_B2A1, 0xA1B2_3C4D, 0x4D3C_B2A1: return .pcap
        case 0x0A0D_0D0A: return .pcapng
        default: return nil
        }
    }

    /// The format of the file at `path`, or `nil` if it is not a capture or cannot be read.
    public static func detect(path: String) -> CaptureFormat? {
        guard let file = fopen(path, "rb") else { return nil }
        defer { fclose(file) }
        var magic = [UInt8](repeating: 0, count: 4)
        let read = fread(&magic, 1, 4, file)
        return detect(magic: magic.prefix(read))
    }
}

/// One record from a capture: valid only until the next call to ``PcapFile/next()``.
struct RawPacket {
    /// 1-based record number, as tcpdump and Wireshark count.
    var number: Int
    var time: Timestamp
    /// The captured bytes (possibly fewer than were on the wire).
    var bytes: UnsafeRawBufferPointer
    /// The length on the wire.
    var wireLength: Int
}

/// A capture file opened with libpcap's `pcap_open_offline`; owns the `pcap_t` and closes it.
///
/// Not `Sendable`: one reader, one task.
final class PcapFile {
    private let handle: OpaquePointer
    /// The stdio buffer of the capture's stream.
    private let buffer: UnsafeMutablePointer<CChar>
    private static let bufferSize = 256 * 1024
    let path: String
    let format: CaptureFormat
    /// The link-layer header type (a LINKTYPE_/DLT_ value).
    let linkType: Int32
    private(set) var packetCount = 0
    /// Where the next record starts, for pcap files (24-byte header, 16-byte record headers);
    /// pcapng positions are asked of stdio only when a read fails.
    private var pcapOffset: Int64 = 24

    /// Opens `path`, already known to start with a capture magic.
    ///
    /// - Throws: ``VigilError`` with code `corrupt` naming what libpcap found wrong.
    convenience init(path: String, displayPath: String, format: CaptureFormat) throws(VigilError) {
        try self.init(origin: InputOrigin.named(path), displayPath: displayPath, format: format)
    }

    /// Opens an input examined before (see ``InputOrigin``), known to start with a capture magic.
    /// A stream's sniffed bytes reach libpcap first: through a pipe that a thread of its own
    /// fills with them and then the rest of the stream.
    init(origin: InputOrigin, displayPath: String, format: CaptureFormat) throws(VigilError) {
        var errorBuffer = [CChar](repeating: 0, count: Int(PCAP_ERRBUF_SIZE) + 1)
        let (descriptor, prefix, owned) = try origin.open(displayPath: displayPath)
        var source = descriptor
        if !prefix.isEmpty {
            var ends: [Int32] = [0, 0]
            guard pipe(&ends) == 0 else {
                if owned { SystemCall.close(descriptor) }
                throw VigilError(.unreadable, path: displayPath, reason: SystemCall.describe(SystemCall.errorNumber))
            }
            Self.feed(ends[1], prefix: prefix, then: descriptor, owned: owned)
            source = ends[0]
        } else if !owned {
            source = dup(descriptor)
        }
        // libpcap reads each record with two small freads: through a 256 KiB stdio buffer
        // without locking (one thread reads), rather than pcap_open_offline's 4 KiB locked one,
        // the kernel is asked 64 times less often.
        guard let stream = fdopen(source, "rb") else {
            SystemCall.close(source)
            throw VigilError(.unreadable, path: displayPath, reason: SystemCall.describe(SystemCall.errorNumber))
        }
        let buffer = UnsafeMutablePointer<CChar>.allocate(capacity: Self.bufferSize)
        setvbuf(stream, buffer, _IOFBF, Self.bufferSize)  // glibc ignores the size without a buffer
        _ = __fsetlocking(stream, Int32(FSETLOCKING_BYCALLER))
        guard
            let handle = pcap_fopen_offline_with_tstamp_precision(
                stream, UInt32(PCAP_TSTAMP_PRECISION_NANO), &errorBuffer)
        else {
            fclose(stream)
            buffer.deallocate()
            throw VigilError(
                .corrupt, path: displayPath, position: .offset(0),
                reason: "not a readable \(format.rawValue) capture: \(Self.string(errorBuffer))")
        }
        self.handle = handle
        self.buffer = buffer
        self.path = displayPath
        self.format = format
        self.linkType = pcap_datalink(handle)
    }

    deinit {
        pcap_close(handle)  // closes the stream, which no longer uses the buffer
        buffer.deallocate()
    }

    /// How a read ended.
    enum End: Error {
        /// The last record is cut short; everything before it was read.
        case truncated(message: String, offset: Int64?)
        /// A record is malformed; everything before it was read.
        case corrupt(message: String, offset: Int64?)
    }

    /// The next record, `nil` at a clean end of file.
    ///
    /// - Throws: ``End`` when libpcap stops on a short or malformed record.
    func next() throws(End) -> RawPacket? {
        var header: UnsafeMutablePointer<pcap_pkthdr>?
        var data: UnsafePointer<UInt8>?
        let status = pcap_next_ex(handle, &header, &data)
        switch status {
        case 1:
            guard let header, let data else { return nil }
            packetCount += 1
            pcapOffset += 16 + Int64(header.pointee.caplen)
            let seconds = Int64(header.pointee.ts.tv_sec)
            let nanos = Int64(header.pointee.ts.tv_usec)  // nanoseconds: opened with nano precision
            return RawPacket(
                number: packetCount,
                time: Timestamp(seconds: seconds, nanoseconds: nanos),
                bytes: UnsafeRawBufferPointer(start: data, count: Int(header.pointee.caplen)),
                wireLength: Int(header.pointee.len))
        case PCAP_ERROR_BREAK:
            return nil
        default:
            let message = String(cString: pcap_geterr(handle))
            let offsetBefore = format == .pcap ? pcapOffset : currentOffset()
            if message.contains("truncated") {
                throw .truncated(message: message, offset: offsetBefore)
            }
            throw .corrupt(message: message, offset: offsetBefore)
        }
    }

    /// Writes `prefix`, then everything `descriptor` holds, into `pipe` (closed at the end), on
    /// a thread of its own; a reader that stops early ends it (the write fails).
    private static func feed(_ pipe: Int32, prefix: [UInt8], then descriptor: Int32, owned: Bool) {
        let thread = Thread {
            defer {
                SystemCall.close(pipe)
                if owned { SystemCall.close(descriptor) }
            }
            do {
                try SystemCall.writeAll(pipe, prefix, path: nil)
                var chunk = [UInt8](repeating: 0, count: 64 * 1024)
                while true {
                    let count = chunk.withUnsafeMutableBytes {
                        SystemCall.read(descriptor, into: $0.baseAddress!, count: $0.count)
                    }
                    guard count > 0 else { return }
                    try SystemCall.writeAll(pipe, Array(chunk.prefix(count)), path: nil)
                }
            } catch {
                return
            }
        }
        thread.name = "vigil-capture-stream"
        thread.start()
    }

    private func currentOffset() -> Int64? {
        guard let file = pcap_file(handle) else { return nil }
        let offset = ftello(file)
        return offset >= 0 ? Int64(offset) : nil
    }

    private static func string(_ buffer: [CChar]) -> String {
        String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
