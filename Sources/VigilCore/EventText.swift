/// Bytes events keep from their input (a log line's message), stored in chunks shared by many
/// events: keeping a line costs a copy into the current chunk, not an allocation, and the text
/// is made a `String` only when something shows it.
///
/// A chunk is written by the one reader filling it (``TextArena``) and read by whoever holds
/// events pointing into it; a region is written before any event pointing to it is handed on.
public final class TextChunk: @unchecked Sendable {
    let base: UnsafeMutableRawPointer
    let capacity: Int
    var used = 0

    init(capacity: Int) {
        self.capacity = capacity
        base = .allocate(byteCount: max(capacity, 1), alignment: 8)
    }

    deinit { base.deallocate() }
}

/// A stretch of input bytes an event keeps: its raw record (`log.message`).
public struct EventText: Sendable {
    let chunk: TextChunk
    let offset: Int32
    /// The number of bytes.
    public let count: Int32

    /// Calls `body` with the bytes.
    @inline(__always)
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: chunk.base + Int(offset), count: Int(count)))
    }

    /// The bytes as text (invalid UTF-8 repaired).
    public var string: String { withBytes { String(decoding: $0, as: UTF8.self) } }

    /// The `count` bytes at `start` of this text, kept where they are (no copy).
    public func slice(from start: Int, count: Int) -> EventText? {
        guard start >= 0, count >= 0, start + count <= Int(self.count) else { return nil }
        return EventText(chunk: chunk, offset: offset + Int32(start), count: Int32(count))
    }
}

/// Where a reader keeps the text of the events it makes: chunks of 256 KiB, a new one when the
/// current is full (a chunk lives while an event points into it).
public struct TextArena {
    private var chunk: TextChunk?
    static let chunkSize = 256 << 10

    public init() {}

    /// Keeps a copy of `bytes` for an event.
    public mutating func store(_ bytes: UnsafeRawBufferPointer) -> EventText {
        let count = min(bytes.count, Int(Int32.max))
        if chunk == nil || chunk!.capacity - chunk!.used < count {
            chunk = TextChunk(capacity: max(Self.chunkSize, count))
        }
        let current = chunk!
        if count > 0, let source = bytes.baseAddress {
            (current.base + current.used).copyMemory(from: source, byteCount: count)
        }
        let text = EventText(chunk: current, offset: Int32(current.used), count: Int32(count))
        current.used += count
        return text
    }
}
