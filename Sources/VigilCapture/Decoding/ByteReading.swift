extension UnsafeRawBufferPointer {
    /// Big-endian 16-bit value at `offset`; the caller has checked the bounds.
    @inline(__always)
    func be16(_ offset: Int) -> UInt16 {
        UInt16(self[offset]) << 8 | UInt16(self[offset + 1])
    }

    /// Big-endian 32-bit value at `offset`; the caller has checked the bounds.
    @inline(__always)
    func be32(_ offset: Int) -> UInt32 {
        UInt32(self[offset]) << 24 | UInt32(self[offset + 1]) << 16 | UInt32(self[offset + 2]) << 8
            | UInt32(self[offset + 3])
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
