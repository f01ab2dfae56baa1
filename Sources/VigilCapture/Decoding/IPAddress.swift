internal import VigilCore

/// An IPv4 or IPv6 address held in two integers, so flow keys hash without allocating.
struct IPAddress: Hashable, Comparable {
    var high: UInt64
    var low: UInt64
    var isV4: Bool

    init(v4 value: UInt32) {
        high = 0
        low = UInt64(value)
        isV4 = true
    }

    init(v6 high: UInt64, _ low: UInt64) {
        self.high = high
        self.low = low
        isV4 = false
    }

    /// The IPv4 address at `offset` in `bytes`; `nil` when the bytes are too few.
    init?(v4 bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard let value = bytes.integer(at: offset, as: UInt32.self) else { return nil }
        self.init(v4: value)
    }

    /// The IPv6 address at `offset` in `bytes`; `nil` when the bytes are too few.
    init?(v6 bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard let high = bytes.integer(at: offset, as: UInt64.self),
            let low = bytes.integer(at: offset + 8, as: UInt64.self)
        else { return nil }
        self.init(v6: high, low)
    }

    static func < (a: IPAddress, b: IPAddress) -> Bool {
        (a.isV4 ? 0 : 1, a.high, a.low) < (b.isV4 ? 0 : 1, b.high, b.low)
    }

    /// Dotted quad, or RFC 5952 text for IPv6 (lower case, longest zero run compressed).
    var text: String {
        if isV4 {
            let v = UInt32(truncatingIfNeeded: low)
            return "\(v >> 24).\(v >> 16 & 0xff).\(v >> 8 & 0xff).\(v & 0xff)"
        }
        var groups: [UInt16] = []
        for shift in stride(from: 48, through: 0, by: -16) {
            groups.append(UInt16(truncatingIfNeeded: high >> UInt64(shift)))
        }
        for shift in stride(from: 48, through: 0, by: -16) {
            groups.append(UInt16(truncatingIfNeeded: low >> UInt64(shift)))
        }
        var bestStart = -1
        var bestLength = 0
        var index = 0
        while index < 8 {
            if groups[index] == 0 {
                var end = index
                while end < 8 && groups[end] == 0 { end += 1 }
                if end - index > bestLength {
                    bestStart = index
                    bestLength = end - index
                }
                index = end
            } else {
                index += 1
            }
        }
        if bestLength < 2 { bestStart = -1 }
        var parts: [String] = []
        index = 0
        while index < 8 {
            if index == bestStart {
                parts.append(index == 0 ? ":" : "")
                index += bestLength
                if index == 8 { parts.append("") }
                continue
            }
            parts.append(String(groups[index], radix: 16))
            index += 1
        }
        return parts.joined(separator: ":")
    }
}
