internal import VigilCore

extension String {
    /// The UTF-8 bytes, for the byte patterns parsers compare lines with.
    var bytes: [UInt8] { Array(utf8) }
}

/// A source address as a log writes it: an IP address (IPv4-mapped IPv6 unwrapped, brackets
/// and zone dropped) or a host name.
struct LogAddress: Equatable {
    var ip: String?
    var domain: String?

    var isEmpty: Bool { ip == nil && domain == nil }

    /// Reads `bytes` as an address: IPv4 (leading zeros kept as written), IPv6 (`::ffff:a.b.c.d`
    /// becomes `a.b.c.d`), or a host name (letters, digits, `-`, `.`, `_`); `nil` otherwise.
    init?(_ raw: UnsafeRawBufferPointer) {
        var bytes = raw.trimmed
        if bytes.first == 0x5B, let close = bytes.index(of: 0x5D) { bytes = bytes.slice(1, close) }
        if bytes.last == 0x2E || bytes.last == 0x2C || bytes.last == 0x3A { bytes = bytes.slice(0, bytes.count - 1) }
        guard !bytes.isEmpty, bytes.count <= 255 else { return nil }
        let mapped: [UInt8] = Array("::ffff:".utf8)
        if bytes.count > mapped.count, bytes.starts(with: mapped), Self.isIPv4(bytes.from(mapped.count)) {
            bytes = bytes.from(mapped.count)
        }
        if Self.isIPv4(bytes) {
            ip = bytes.text
            return
        }
        if Self.isIPv6(bytes) {
            ip = bytes.text.lowercased()
            return
        }
        let allowed = bytes.allSatisfy { byte in
            (byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x7A) || byte == 0x2D
                || byte == 0x2E || byte == 0x5F
        }
        guard allowed, bytes.contains(where: { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A }) else { return nil }
        guard bytes.text.lowercased() != "unknown" else { return nil }
        domain = bytes.text
    }

    init(ip: String) { self.ip = ip }

    static func isIPv4(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var dots = 0
        var digits = 0
        for byte in bytes {
            if byte == 0x2E {
                guard digits > 0 else { return false }
                dots += 1
                digits = 0
            } else if byte >= 0x30 && byte <= 0x39 {
                digits += 1
                guard digits <= 3 else { return false }
            } else {
                return false
            }
        }
        return dots == 3 && digits > 0
    }

    static func isIPv6(_ bytes: UnsafeRawBufferPointer) -> Bool {
        var colons = 0
        var end = bytes.count
        if let percent = bytes.index(of: 0x25) { end = percent }  // zone index
        for byte in bytes.slice(0, end) {
            if byte == 0x3A {
                colons += 1
            } else if !((byte >= 0x30 && byte <= 0x39) || (byte | 0x20 >= 0x61 && byte | 0x20 <= 0x66) || byte == 0x2E)
            {
                return false
            }
        }
        return colons >= 2
    }
}
