internal import CZlib
internal import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// Where a log's bytes come from: a plain file, a gzip file (streamed through zlib, never
/// unpacked to disk), or standard input.
enum ByteSource {
    /// Reads into `buffer` up to its size; returns the count, 0 at the end.
    ///
    /// - Throws: ``LineReader/Failure`` for a read error or a corrupt gzip stream.
    typealias Fill = (UnsafeMutableRawBufferPointer) throws(LineReader.Failure) -> Int
}

/// Streams the lines of a log, plain or gzip, in fixed memory: a 256 KiB read buffer, and a
/// line at most ``maxLine`` long (``LogLimits/maxLineBytes``; the rest of a longer line is
/// skipped, with a warning).
///
/// Lines end with LF; a CR before it is dropped. The last line needs no LF.
final class LineReader {
    /// Why reading stopped before the end.
    enum Failure: Error {
        case read(String)
        case gzip(String)
        /// The gzip stream ends in the middle of a member.
        case truncatedGzip
        /// A ``LogLimits`` bound was reached.
        case limit(String)
    }

    let maxLine: Int
    private static let chunk = 256 * 1024

    private let fill: ByteSource.Fill
    private let close: () -> Void
    private let buffer: UnsafeMutableRawBufferPointer
    private var start = 0
    private var end = 0
    /// The input's offset of the buffer's first byte.
    private var base: Int64 = 0
    private var finished = false
    /// Lines cut at ``maxLine`` so far, and the first one's number.
    private(set) var overlong = 0
    private(set) var firstOverlong: Int?
    private(set) var lineNumber = 0
    /// Whether the content was gzip.
    private(set) var isGzip = false

    private init(fill: @escaping ByteSource.Fill, close: @escaping () -> Void, maxLine: Int) {
        self.fill = fill
        self.close = close
        self.maxLine = maxLine
        buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: Self.chunk + maxLine, alignment: 16)
    }

    deinit {
        close()
        buffer.deallocate()
    }

    /// A reader for `path` (`-` for standard input), decompressing when the content starts
    /// with the gzip magic, whatever the name.
    static func open(path: String, limits: LogLimits = LogLimits()) throws(VigilError) -> LineReader {
        try open(origin: InputOrigin.named(path), displayPath: path, limits: limits)
    }

    /// A reader for an input examined before (see ``InputOrigin``): the bytes read then come
    /// first, so a pipe or standard input is read whole.
    static func open(origin: InputOrigin, displayPath: String, limits: LogLimits = LogLimits()) throws(VigilError)
        -> LineReader
    {
        let (descriptor, prefix, owned) = try origin.open(displayPath: displayPath)
        // Peek at the magic without losing it: whatever was read goes first to whichever reader
        // follows.
        var head = prefix
        while head.count < 2 {
            var byte: UInt8 = 0
            let got = SystemCall.read(descriptor, into: &byte, count: 1)
            guard got == 1 else { break }
            head.append(byte)
        }
        let plain = PlainSource(descriptor: descriptor, prefix: head, owned: owned)
        if head.starts(with: [0x1F, 0x8B]) {
            let gzip = try GzipSource(input: plain, path: displayPath, limits: limits)
            let reader = LineReader(
                fill: { buffer throws(Failure) in try gzip.fill(buffer) }, close: { gzip.end() },
                maxLine: limits.maxLineBytes)
            reader.isGzip = true
            return reader
        }
        return LineReader(
            fill: { buffer throws(Failure) in try plain.fill(buffer) }, close: { plain.close() },
            maxLine: limits.maxLineBytes)
    }

    /// A reader over bytes in memory, plain or gzip (a sniffed beginning: a gzip stream cut
    /// short ends the lines there).
    static func memory(gzipOrPlain bytes: [UInt8], maxLine: Int = LogLimits().maxLineBytes) -> LineReader? {
        let plain = PlainSource(descriptor: -1, prefix: bytes, owned: false)
        guard bytes.starts(with: [0x1F, 0x8B]) else {
            return LineReader(fill: { buffer throws(Failure) in try plain.fill(buffer) }, close: {}, maxLine: maxLine)
        }
        guard let gzip = try? GzipSource(input: plain, path: "", limits: LogLimits()) else { return nil }
        let reader = LineReader(
            fill: { buffer throws(Failure) in try gzip.fill(buffer) }, close: { gzip.end() }, maxLine: maxLine)
        reader.isGzip = true
        return reader
    }

    /// A reader over bytes in memory (tests, and the journald reader's nested messages).
    static func memory(_ bytes: [UInt8], maxLine: Int = LogLimits().maxLineBytes) -> LineReader {
        var offset = 0
        return LineReader(
            fill: { buffer in
                let count = min(buffer.count, bytes.count - offset)
                bytes.withUnsafeBytes { source in
                    buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: source[offset..<offset + count]))
                }
                offset += count
                return count
            }, close: {}, maxLine: maxLine)
    }

    /// While `body` of ``forEachLine(_:)`` runs: the byte offset of its line in the input
    /// (decompressed), where it can be read again.
    var lineOffset: Int64 { base + Int64(start) }

    /// Calls `body` with each line (without its end) and its 1-based number, until the end of
    /// the input or until `body` returns `false`.
    ///
    /// - Throws: ``Failure`` when the input cannot be read on; the lines before it were given.
    func forEachLine(_ body: (UnsafeRawBufferPointer, Int) throws -> Bool) throws {
        var skipping = false  // inside a line longer than maxLine: drop until its end
        while true {
            if let newline = memchrIndex(from: start) {
                lineNumber += 1
                if skipping {
                    skipping = false
                } else {
                    var lineEnd = newline
                    if lineEnd > start && buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    let line = UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd])
                    if try !body(line, lineNumber) { return }
                }
                start = newline + 1
                continue
            }
            // No line end in what is buffered.
            if end - start >= maxLine {
                if !skipping {
                    lineNumber += 1
                    overlong += 1
                    if firstOverlong == nil { firstOverlong = lineNumber }
                    let line = UnsafeRawBufferPointer(rebasing: buffer[start..<start + maxLine])
                    if try !body(line, lineNumber) { return }
                    skipping = true
                    lineNumber -= 1  // counted again at its real end
                }
                start = end
            }
            if finished {
                if start < end && !skipping {
                    lineNumber += 1
                    var lineEnd = end
                    if buffer[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                    _ = try body(UnsafeRawBufferPointer(rebasing: buffer[start..<lineEnd]), lineNumber)
                } else if skipping {
                    lineNumber += 1
                }
                start = end
                return
            }
            try refill()
        }
    }

    private func memchrIndex(from offset: Int) -> Int? {
        guard offset < end, let base = buffer.baseAddress else { return nil }
        guard let found = memchr(base + offset, 0x0A, end - offset) else { return nil }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }

    private func refill() throws(Failure) {
        // Keep the partial line, at the front.
        let kept = end - start
        if kept > 0 && start > 0 {
            memmove(buffer.baseAddress!, buffer.baseAddress! + start, kept)
        }
        base += Int64(start)
        start = 0
        end = kept
        let room = UnsafeMutableRawBufferPointer(rebasing: buffer[end..<min(buffer.count, end + Self.chunk)])
        let count = try fill(room)
        if count == 0 { finished = true }
        end += count
    }
}

/// A file descriptor read with `read(2)`, after the bytes already taken from it (a descriptor
/// of -1: those bytes only).
final class PlainSource {
    private let descriptor: Int32
    private var prefix: [UInt8]
    private let owned: Bool
    private var closed = false

    init(descriptor: Int32, prefix: [UInt8], owned: Bool) {
        self.descriptor = descriptor
        self.prefix = prefix
        self.owned = owned
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(LineReader.Failure) -> Int {
        if !prefix.isEmpty {
            let count = min(prefix.count, buffer.count)
            prefix.withUnsafeBytes { buffer.copyMemory(from: UnsafeRawBufferPointer(rebasing: $0[0..<count])) }
            prefix.removeFirst(count)
            return count
        }
        guard descriptor >= 0 else { return 0 }
        let count = SystemCall.read(descriptor, into: buffer.baseAddress!, count: buffer.count)
        if count >= 0 { return count }
        throw .read(SystemCall.describe(SystemCall.errorNumber))
    }

    func close() {
        guard owned, !closed, descriptor >= 0 else { return }
        closed = true
        SystemCall.close(descriptor)
    }
}

/// A gzip stream inflated with zlib as it is read; concatenated members (as `cat a.gz b.gz`
/// and some log rotators make) are read one after the other.
final class GzipSource {
    private let input: PlainSource
    private var stream = z_stream()
    private let compressed: UnsafeMutableRawBufferPointer
    private var inputEnded = false
    private var memberEnded = false
    private var active = false
    private let limits: LogLimits
    private var compressedIn: Int64 = 0
    private var expandedOut: Int64 = 0

    init(input: PlainSource, path: String, limits: LogLimits) throws(VigilError) {
        self.input = input
        self.limits = limits
        compressed = UnsafeMutableRawBufferPointer.allocate(byteCount: 64 * 1024, alignment: 16)
        guard vigil_inflate_init_gzip(&stream) == Z_OK else {
            compressed.deallocate()
            throw VigilError(.unreadable, path: path, reason: "zlib could not start inflating")
        }
        active = true
    }

    func fill(_ buffer: UnsafeMutableRawBufferPointer) throws(LineReader.Failure) -> Int {
        let produced = try inflateSome(into: buffer)
        expandedOut += Int64(produced)
        if expandedOut > limits.maxDecompressedBytes {
            throw .limit(
                "the gzip stream expands past \(limits.maxDecompressedBytes) bytes (LogLimits.maxDecompressedBytes)")
        }
        if expandedOut > limits.ratioGrace && expandedOut > compressedIn * Int64(limits.maxCompressionRatio) {
            throw .limit(
                "the gzip stream expands more than \(limits.maxCompressionRatio) times (\(compressedIn) bytes "
                    + "to \(expandedOut) so far): a decompression bomb, not a log")
        }
        return produced
    }

    private func inflateSome(into buffer: UnsafeMutableRawBufferPointer) throws(LineReader.Failure) -> Int {
        stream.next_out = buffer.baseAddress!.assumingMemoryBound(to: Bytef.self)
        stream.avail_out = UInt32(buffer.count)
        while stream.avail_out > 0 {
            if stream.avail_in == 0 && !inputEnded {
                let count = try input.fill(compressed)
                if count == 0 {
                    inputEnded = true
                } else {
                    compressedIn += Int64(count)
                    stream.next_in = compressed.baseAddress!.assumingMemoryBound(to: Bytef.self)
                    stream.avail_in = UInt32(count)
                    if memberEnded {
                        // Another member follows the one that ended.
                        inflateReset(&stream)
                        memberEnded = false
                    }
                }
            }
            if stream.avail_in == 0 && inputEnded {
                let produced = buffer.count - Int(stream.avail_out)
                if produced > 0 { return produced }
                if !memberEnded { throw .truncatedGzip }
                return 0
            }
            if memberEnded {
                inflateReset(&stream)
                memberEnded = false
            }
            let status = inflate(&stream, Z_NO_FLUSH)
            switch status {
            case Z_OK, Z_BUF_ERROR:
                continue
            case Z_STREAM_END:
                memberEnded = true
                // Padding of zeros after the last member is allowed (tar and some tools add it).
                if stream.avail_in > 0 && stream.next_in.pointee == 0 { stream.avail_in = 0 }
            default:
                let message = stream.msg.map { String(cString: $0) } ?? "error \(status)"
                throw .gzip(message)
            }
        }
        return buffer.count
    }

    func end() {
        if active { inflateEnd(&stream) }
        active = false
        compressed.deallocate()
        input.close()
    }
}
