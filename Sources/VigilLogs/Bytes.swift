#if canImport(Glibc)
    internal import Glibc
#endif

/// Byte-level text helpers for log lines: searching and slicing without building strings, so
/// that a line that concerns no service costs a few comparisons.
extension UnsafeRawBufferPointer {
    /// The bytes from `start` to `end`, clamped.
    @inline(__always)
    func cut(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        let lower = Swift.min(Swift.max(start, 0), count)
        let upper = Swift.min(Swift.max(end, lower), count)
        return UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }

    @inline(__always)
    func from(_ start: Int) -> UnsafeRawBufferPointer { cut(start, count) }

    /// Where `needle` first occurs at or after `start`.
    func find(_ needle: [UInt8], from start: Int = 0) -> Int? {
        guard start >= 0, start + needle.count <= count, let first = needle.first else { return nil }
        // memchr for the first byte, then compare the rest (Glibc's module hides memmem).
        var from = start
        let last = count - needle.count
        while from <= last, let candidate = index(of: first, from: from), candidate <= last {
            var matched = true
            for offset in 1..<needle.count where self[candidate + offset] != needle[offset] {
                matched = false
                break
            }
            if matched { return candidate }
            from = candidate + 1
        }
        return nil
    }

    /// Where `needle` last occurs.
    func findLast(_ needle: [UInt8]) -> Int? {
        var last: Int?
        var from = 0
        while let found = find(needle, from: from) {
            last = found
            from = found + 1
        }
        return last
    }

    func contains(_ needle: [UInt8]) -> Bool { find(needle) != nil }

    func starts(with prefix: [UInt8], at offset: Int = 0) -> Bool {
        guard offset >= 0, offset + prefix.count <= count else { return false }
        for index in 0..<prefix.count where self[offset + index] != prefix[index] { return false }
        return true
    }

    func ends(with suffix: [UInt8]) -> Bool { starts(with: suffix, at: count - suffix.count) }

    /// The index of the first byte equal to `byte` at or after `start`.
    func index(of byte: UInt8, from start: Int = 0) -> Int? {
        guard start < count, let base = baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }

    /// The text of these bytes (invalid UTF-8 repaired).
    var text: String { String(decoding: self, as: UTF8.self) }

    /// Without leading and trailing spaces and tabs.
    var trimmed: UnsafeRawBufferPointer {
        var start = 0
        var end = count
        while start < end && (self[start] == 0x20 || self[start] == 0x09) { start += 1 }
        while end > start && (self[end - 1] == 0x20 || self[end - 1] == 0x09) { end -= 1 }
        return cut(start, end)
    }

    /// The word at `start`: up to the next space (or the end).
    func word(at start: Int) -> UnsafeRawBufferPointer {
        cut(start, index(of: 0x20, from: start) ?? count)
    }

    /// A decimal number made of all these bytes.
    var integer: Int? {
        guard !isEmpty, count <= 18 else { return nil }
        var value = 0
        for byte in self {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The value of `key=` up to the next space, `;` or `,` (the PAM and Dovecot style).
    func value(of key: [UInt8]) -> UnsafeRawBufferPointer? {
        var from = 0
        while let found = find(key, from: from) {
            // A whole key: at the start or after a separator.
            if found == 0 || [0x20, 0x3B, 0x2C, 0x28, 0x5B].contains(self[found - 1]) {
                let start = found + key.count
                var end = start
                while end < count && self[end] != 0x20 && self[end] != 0x3B && self[end] != 0x2C { end += 1 }
                return cut(start, end)
            }
            from = found + 1
        }
        return nil
    }
}

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
        if bytes.first == 0x5B, let close = bytes.index(of: 0x5D) { bytes = bytes.cut(1, close) }
        if bytes.last == 0x2E || bytes.last == 0x2C || bytes.last == 0x3A { bytes = bytes.cut(0, bytes.count - 1) }
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
        for byte in bytes.cut(0, end) {
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
