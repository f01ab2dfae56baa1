internal import VigilCore

/// Bytes received on one direction of a stream and not yet decoded: appended at the end,
/// consumed from the front (the consumed prefix is dropped in bulk, not byte by byte).
struct ByteAccumulator {
    private var storage: [UInt8] = []
    private var start = 0

    /// The bytes held.
    var count: Int { storage.count - start }
    var isEmpty: Bool { count == 0 }
    /// The first byte held.
    var first: UInt8? { isEmpty ? nil : storage[start] }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        compactIfWorthIt()
        storage.append(contentsOf: bytes)
    }

    /// Drops the first `count` bytes held.
    mutating func consume(_ count: Int) {
        start = Swift.min(start + Swift.max(count, 0), storage.count)
        if start == storage.count {
            storage.removeAll(keepingCapacity: storage.capacity <= 1 << 16)
            start = 0
        }
    }

    /// Removes and returns the first `count` bytes, when that many are held.
    mutating func take(_ count: Int) -> [UInt8]? {
        guard count >= 0, self.count >= count else { return nil }
        let taken = Array(storage[start..<(start + count)])
        consume(count)
        return taken
    }

    mutating func removeAll() {
        storage.removeAll()
        start = 0
    }

    /// Calls `body` with the bytes held.
    func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        storage.withUnsafeBytes { body(UnsafeRawBufferPointer(rebasing: $0[start...])) }
    }

    private mutating func compactIfWorthIt() {
        guard start > 0, start >= storage.count / 2 else { return }
        storage.removeFirst(start)
        start = 0
    }
}

/// What a ``FrameDecoder`` made of the bytes at the front of a stream.
enum FrameStep<Frame> {
    /// A frame, made of the first `consumed` bytes (its view is valid while it is handled).
    case frame(Frame, consumed: Int)
    /// The first `count` bytes were read and make no frame (a body skipped, a line too long).
    case skip(Int)
    /// The bytes end before the next frame does.
    case needMore
    /// The stream can no longer be followed (framing beyond reason): nothing more is read.
    case stop
}

extension FrameStep {
    /// The same step with its frame, if any, transformed (a decoder built on another's frames).
    func map<Other>(_ transform: (Frame) -> Other) -> FrameStep<Other> {
        switch self {
        case .frame(let frame, let consumed): .frame(transform(frame), consumed: consumed)
        case .skip(let count): .skip(count)
        case .needMore: .needMore
        case .stop: .stop
        }
    }
}

/// Turns a byte stream into frames, one step at a time, as SwiftNIO's
/// `NIOSingleStepByteToMessageDecoder` does: lines, length-prefixed messages, HTTP heads and
/// bodies. ``FramedStream`` does the accumulating, so a decoder only says what the bytes at
/// the front hold.
protocol FrameDecoder {
    associatedtype Frame
    /// What the reader of the frames answers each one with (an HTTP head: how to read its body);
    /// `Void` for most.
    associatedtype Answer = Void

    /// The most bytes the decoder may wait on for one frame.
    var limit: Int { get }

    /// Decodes the frame at the front of `bytes` (never empty).
    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<Frame>

    /// More than ``limit`` bytes wait for a frame: `true` to drop them and go on (a line too long
    /// is skipped to the next line), `false` to stop reading the stream.
    mutating func overflow() -> Bool

    /// Bytes were lost: forget any frame in progress.
    mutating func resynchronise()

    /// The reader's answer to the frame just decoded.
    mutating func received(_ answer: Answer)
}

extension FrameDecoder {
    mutating func overflow() -> Bool { false }
    mutating func resynchronise() {}
}

extension FrameDecoder where Answer == Void {
    mutating func received(_ answer: Void) {}
}

/// One direction of a stream read through a ``FrameDecoder``: bytes are decoded where they lie
/// in the segment when they can be, and held only when a frame straddles segments.
struct FramedStream<Decoder: FrameDecoder> {
    var decoder: Decoder
    private var held = ByteAccumulator()
    /// The decoder gave up (or the stream was stopped): nothing more is read.
    private(set) var isStopped = false

    init(_ decoder: Decoder) { self.decoder = decoder }

    /// Decodes `bytes` after what is held; calls `body` with each frame, in order.
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Decoder.Frame) -> Decoder.Answer) {
        guard !isStopped, !bytes.isEmpty else { return }
        if held.isEmpty {
            let used = Self.run(bytes, &decoder, &isStopped, body)
            if !isStopped && used < bytes.count { held.append(bytes.from(used)) }
        } else {
            held.append(bytes)
            var decoder = decoder
            var stopped = false
            let used = held.withUnsafeBytes { Self.run($0, &decoder, &stopped, body) }
            self.decoder = decoder
            isStopped = stopped
            held.consume(used)
        }
        if isStopped {
            held.removeAll()
        } else if held.count > decoder.limit {
            held.removeAll()
            if !decoder.overflow() { isStopped = true }
        }
    }

    /// Bytes were lost: what is held is dropped and the decoder told.
    mutating func gap() {
        held.removeAll()
        decoder.resynchronise()
    }

    /// Reads nothing more (an encrypted channel follows, or the reader lost its place).
    mutating func stop() {
        isStopped = true
        held.removeAll()
    }

    /// Decodes frames from `bytes` until it needs more; returns how many bytes were used.
    private static func run(
        _ bytes: UnsafeRawBufferPointer, _ decoder: inout Decoder, _ stopped: inout Bool,
        _ body: (Decoder.Frame) -> Decoder.Answer
    ) -> Int {
        var used = 0
        while used < bytes.count {
            switch decoder.decode(bytes.from(used)) {
            case .frame(let frame, let consumed):
                used += max(consumed, 1)
                decoder.received(body(frame))
            case .skip(let count):
                used += max(count, 1)
            case .needMore:
                return used
            case .stop:
                stopped = true
                return bytes.count
            }
        }
        return used
    }
}

/// Lines ending in LF or CRLF (the line handed on without its ending). A line longer than
/// `limit` is skipped whole: no unbounded buffer for a stream that never sends a newline.
struct LineDecoder: FrameDecoder {
    let limit: Int
    private var skippingLongLine = false

    init(limit: Int = 8192) { self.limit = limit }

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<UnsafeRawBufferPointer> {
        guard let newline = bytes.index(of: 0x0A) else { return skippingLongLine ? .skip(bytes.count) : .needMore }
        if skippingLongLine {
            skippingLongLine = false
            return .skip(newline + 1)
        }
        let line = bytes.slice(0, newline)
        return .frame(line.last == 0x0D ? line.slice(0, line.count - 1) : line, consumed: newline + 1)
    }

    mutating func overflow() -> Bool {
        skippingLongLine = true
        return true
    }

    mutating func resynchronise() { skippingLongLine = false }
}

/// The lines of one direction of a text protocol.
typealias LineStream = FramedStream<LineDecoder>

extension FramedStream where Decoder == LineDecoder {
    /// Lines of at most `limit` bytes.
    init(lineLimit limit: Int = 8192) { self.init(LineDecoder(limit: limit)) }
}

/// Messages behind a length field: `lengthAt` bytes in, `width` bytes wide, counting from
/// `countsFrom` (0 when the length includes the whole message, the header's size when it does
/// not). The frame starts at `frameStart` (0: the whole message; past the header: its body).
struct LengthPrefixedDecoder: FrameDecoder {
    var lengthAt: Int
    var width: Int
    var endianness: Endianness = .big
    var countsFrom: Int
    var frameStart: Int
    /// A shorter length is not a message of this protocol: reading stops.
    var minimumLength = 0
    var limit = 1 << 20

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<UnsafeRawBufferPointer> {
        guard bytes.count >= lengthAt + width else { return .needMore }
        var length = 0
        for index in 0..<width {
            let byte = Int(bytes[lengthAt + (endianness == .big ? index : width - 1 - index)])
            length = length << 8 | byte
        }
        guard length >= minimumLength, length <= limit else { return .stop }
        let total = countsFrom + length
        guard total >= frameStart else { return .stop }
        guard bytes.count >= total else { return .needMore }
        return .frame(bytes.slice(frameStart, total), consumed: total)
    }
}

/// A session of a line-based text protocol (POP3, SMTP): lines each way, read until the
/// connection turns to TLS. A conforming session states what a line means; receiving and
/// resynchronising after a gap are shared.
protocol LineProtocolSession: TCPSession {
    var clientLines: LineStream { get set }
    var serverLines: LineStream { get set }
    /// The connection turned to TLS: nothing more is read.
    var encrypted: Bool { get }
    func clientLine(_ line: String, packet: Int, time: Timestamp, into events: inout [Event])
    func serverLine(_ line: String, packet: Int, into events: inout [Event])
}

extension LineProtocolSession {
    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !encrypted else { return }
        if side == .client {
            clientLines.feed(bytes) {
                clientLine(String(decoding: $0, as: UTF8.self), packet: packet, time: time, into: &events)
            }
        } else {
            serverLines.feed(bytes) { serverLine(String(decoding: $0, as: UTF8.self), packet: packet, into: &events) }
        }
    }

    func gap(on side: Side) { if side == .client { clientLines.gap() } else { serverLines.gap() } }
}
