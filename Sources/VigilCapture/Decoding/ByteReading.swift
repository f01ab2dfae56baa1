extension UnsafeRawBufferPointer {
    /// Big-endian 16-bit value at `offset`; the caller has checked the bounds.
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        precondition(offset >= 0 && offset + 2 <= count, "be16 out of bounds")
        return UInt16(bigEndian: baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    /// Big-endian 32-bit value at `offset`; the caller has checked the bounds.
    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        precondition(offset >= 0 && offset + 4 <= count, "be32 out of bounds")
        return UInt32(bigEndian: baseAddress.unsafelyUnwrapped.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// Big-endian 64-bit value at `offset`; the caller has checked the bounds.
    @inline(__always)
    func be64(_ offset: Int) -> UInt64 {
        UInt64(be32(offset)) << 32 | UInt64(be32(offset + 4))
    }

    /// The bytes from `start` to `end`, clamped to the buffer.
    @inline(__always)
    func slice(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        let lower = Swift.min(Swift.max(start, 0), count)
        let upper = Swift.min(Swift.max(end, lower), count)
        return UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }
}
