/// The byte order of an integer in a wire format.
public enum Endianness: Sendable {
    /// Network order: most significant byte first.
    case big
    /// Least significant byte first (MySQL's lengths, SMB's fields).
    case little
}

/// Reads a byte buffer front to back. Every read returns `nil` when the buffer holds too few
/// bytes, and then leaves the cursor where it was: a parser of hostile input states what it
/// needs with `guard let`, and a short packet can never make it trap (as SwiftNIO's
/// `ByteBuffer.readInteger` does).
///
/// The cursor borrows its bytes: it is valid while they are.
public struct ByteCursor {
    /// The whole buffer being read.
    public let bytes: UnsafeRawBufferPointer
    /// How far it has been read.
    @inlinable
    public var offset: Int { position }
    @usableFromInline
    var position: Int

    /// A cursor at `offset` in `bytes` (clamped to the buffer).
    @inlinable
    public init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0) {
        self.bytes = bytes
        position = Swift.min(Swift.max(offset, 0), bytes.count)
    }

    /// The bytes not read yet.
    @inlinable
    public var remaining: Int { bytes.count - offset }

    /// Whether every byte has been read.
    @inlinable
    public var isAtEnd: Bool { offset >= bytes.count }

    /// The bytes not read yet, without reading them.
    @inlinable
    public var rest: UnsafeRawBufferPointer { bytes.slice(offset, bytes.count) }

    /// Reads an integer of `T`'s size in `endianness`; `nil` when fewer bytes remain.
    @inlinable
    public mutating func readInteger<T: FixedWidthInteger>(
        as type: T.Type = T.self, endianness: Endianness = .big
    ) -> T? {
        guard let value = bytes.integer(at: offset, as: type, endianness: endianness) else { return nil }
        position += MemoryLayout<T>.size
        return value
    }

    /// Reads one byte; `nil` at the end.
    @inlinable
    public mutating func readByte() -> UInt8? {
        guard offset < bytes.count else { return nil }
        defer { position += 1 }
        return bytes[offset]
    }

    /// Reads `count` bytes; `nil` when fewer remain (or `count` is negative).
    @inlinable
    public mutating func readBytes(_ count: Int) -> UnsafeRawBufferPointer? {
        guard count >= 0, count <= remaining else { return nil }
        defer { position += count }
        return bytes.slice(offset, offset + count)
    }

    /// Reads up to the next `terminator` (not included) and past it; `nil` when there is none.
    @inlinable
    public mutating func readUntil(_ terminator: UInt8) -> UnsafeRawBufferPointer? {
        guard let end = bytes.index(of: terminator, from: offset) else { return nil }
        defer { position = end + 1 }
        return bytes.slice(offset, end)
    }

    /// Skips `count` bytes; `false` (and nothing skipped) when fewer remain.
    @inlinable
    @discardableResult
    public mutating func skip(_ count: Int) -> Bool {
        guard count >= 0, count <= remaining else { return false }
        position += count
        return true
    }

    /// Reads `expected` if the bytes continue with it; `false` (and nothing read) otherwise.
    @inlinable
    public mutating func skip(_ expected: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == expected else { return false }
        position += 1
        return true
    }

    /// The byte `ahead` bytes after the current one, without reading it.
    @inlinable
    public func peek(_ ahead: Int = 0) -> UInt8? {
        let index = offset + ahead
        return index >= 0 && index < bytes.count ? bytes[index] : nil
    }

    /// Moves to `offset` in the buffer; `false` (and no move) when it is outside.
    @inlinable
    @discardableResult
    public mutating func move(to offset: Int) -> Bool {
        guard offset >= 0, offset <= bytes.count else { return false }
        position = offset
        return true
    }
}

extension UnsafeRawBufferPointer {
    /// The integer of `T`'s size at `offset`, in `endianness`; `nil` when the bytes are too few.
    @inlinable
    public func integer<T: FixedWidthInteger>(
        at offset: Int, as type: T.Type = T.self, endianness: Endianness = .big
    ) -> T? {
        let size = MemoryLayout<T>.size
        guard offset >= 0, size <= count - offset, let base = baseAddress else { return nil }
        let raw = base.loadUnaligned(fromByteOffset: offset, as: T.self)
        return endianness == .big ? T(bigEndian: raw) : T(littleEndian: raw)
    }
}
