#if canImport(Glibc)
    import Glibc
#endif

/// An IPv4 or IPv6 address in binary form: 16 bytes and a family, no allocation, compared and
/// hashed as numbers, matched by `|cidr` without parsing text.
///
/// Events carry an address this way when it was written in its canonical form (``description``
/// gives the same text back), so that evidence always shows the address as the input wrote it;
/// another spelling (`192.168.001.010`, `2001:db8:0::1`) stays text.
public struct IPAddress: Hashable, Sendable, CustomStringConvertible {
    /// The first and last 8 bytes, in network order (IPv4: the 4 bytes in the low word).
    private let high: UInt64
    private let low: UInt64
    /// Whether this is an IPv4 address (4 bytes), else IPv6 (16).
    public let isIPv4: Bool

    /// The address `text` spells (dotted quad, or IPv6 as `inet_pton` reads it); `nil` for
    /// anything else.
    public init?(_ text: String) {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            high = 0
            low = UInt64(UInt32(bigEndian: v4.s_addr))
            isIPv4 = true
            return
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        var words: (UInt64, UInt64) = (0, 0)
        withUnsafeBytes(of: &v6) { source in
            withUnsafeMutableBytes(of: &words) { $0.copyMemory(from: source) }
        }
        high = UInt64(bigEndian: words.0)
        low = UInt64(bigEndian: words.1)
        isIPv4 = false
    }

    /// The address `text` spells, only when `text` is its canonical spelling (what
    /// ``description`` writes): so that turning it back into text changes nothing.
    public init?(canonical text: String) {
        var text = text
        // A dotted quad is canonical when it has no leading zeros: read as bytes, no formatting.
        if let value = text.withUTF8(Self.canonicalIPv4) {
            high = 0
            low = UInt64(value)
            isIPv4 = true
            return
        }
        guard text.utf8.contains(0x3A), let address = IPAddress(text), !address.isIPv4, address.description == text
        else { return nil }
        self = address
    }

    /// The value of a dotted quad written canonically (four numbers 0-255, no leading zero).
    private static func canonicalIPv4(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard bytes.count >= 7 && bytes.count <= 15 else { return nil }
        var value: UInt32 = 0
        var octet: UInt32 = 0
        var digits = 0
        var parts = 0
        for byte in bytes {
            if byte == 0x2E {
                guard digits > 0, parts < 3 else { return nil }
                value = value << 8 | octet
                parts += 1
                octet = 0
                digits = 0
            } else if byte >= 0x30 && byte <= 0x39 {
                if digits > 0 && octet == 0 { return nil }  // a leading zero
                octet = octet * 10 + UInt32(byte - 0x30)
                digits += 1
                guard digits <= 3, octet <= 255 else { return nil }
            } else {
                return nil
            }
        }
        guard digits > 0, parts == 3 else { return nil }
        return value << 8 | octet
    }

    /// The 4 or 16 bytes, in network order.
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        var words = (high.bigEndian, low.bigEndian)
        return withUnsafeBytes(of: &words) { bytes in
            isIPv4 ? body(UnsafeRawBufferPointer(rebasing: bytes[12..<16])) : body(bytes)
        }
    }

    /// Dotted quad for IPv4; RFC 5952 for IPv6 (through `inet_ntop`: lower case, the longest
    /// run of zero groups as `::`).
    public var description: String {
        if isIPv4 {
            let value = UInt32(truncatingIfNeeded: low)
            return String(unsafeUninitializedCapacity: 15) { buffer in
                var count = 0
                for shift in [24, 16, 8, 0] as [UInt32] {
                    let octet = Int(value >> shift & 0xFF)
                    if octet >= 100 {
                        buffer[count] = UInt8(0x30 + octet / 100)
                        count += 1
                    }
                    if octet >= 10 {
                        buffer[count] = UInt8(0x30 + octet / 10 % 10)
                        count += 1
                    }
                    buffer[count] = UInt8(0x30 + octet % 10)
                    count += 1
                    if shift > 0 {
                        buffer[count] = 0x2E
                        count += 1
                    }
                }
                return count
            }
        }
        var words = (high.bigEndian, low.bigEndian)
        var text = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let written = withUnsafePointer(to: &words) { pointer in
            inet_ntop(AF_INET6, pointer, &text, socklen_t(text.count)) != nil
        }
        guard written else { return "::" }
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
