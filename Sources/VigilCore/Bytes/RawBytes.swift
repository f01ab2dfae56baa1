#if canImport(Glibc)
    internal import Glibc
#endif

/// Searching and slicing bytes without building strings, for the parsers of captures and logs:
/// a line or payload that concerns no parser costs a few comparisons. Every accessor is clamped
/// or optional: none traps on short input.
extension UnsafeRawBufferPointer {
    /// The bytes from `start` to `end`, clamped to the buffer (empty when they do not overlap).
    @inlinable
    public func slice(_ start: Int, _ end: Int) -> UnsafeRawBufferPointer {
        let lower = Swift.min(Swift.max(start, 0), count)
        let upper = Swift.min(Swift.max(end, lower), count)
        return UnsafeRawBufferPointer(rebasing: self[lower..<upper])
    }

    /// The bytes from `start` to the end, clamped.
    @inlinable
    public func from(_ start: Int) -> UnsafeRawBufferPointer { slice(start, count) }

    /// The index of the first byte equal to `byte` at or after `start` (memchr).
    public func index(of byte: UInt8, from start: Int = 0) -> Int? {
        guard start >= 0, start < count, let base = baseAddress else { return nil }
        guard let found = memchr(base + start, Int32(byte), count - start) else { return nil }
        return UnsafeRawPointer(base).distance(to: UnsafeRawPointer(found))
    }

    /// Where `needle` first occurs at or after `start`.
    public func find(_ needle: [UInt8], from start: Int = 0) -> Int? {
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
    public func findLast(_ needle: [UInt8]) -> Int? {
        var last: Int?
        var from = 0
        while let found = find(needle, from: from) {
            last = found
            from = found + 1
        }
        return last
    }

    /// Whether `needle` occurs anywhere.
    public func contains(_ needle: [UInt8]) -> Bool { find(needle) != nil }

    /// Whether the bytes at `offset` are `prefix`.
    @inlinable
    public func starts(with prefix: [UInt8], at offset: Int = 0) -> Bool {
        guard offset >= 0, offset + prefix.count <= count else { return false }
        for index in 0..<prefix.count where self[offset + index] != prefix[index] { return false }
        return true
    }

    /// Whether the bytes end with `suffix`.
    public func ends(with suffix: [UInt8]) -> Bool { starts(with: suffix, at: count - suffix.count) }

    /// The text of these bytes (invalid UTF-8 repaired).
    public var text: String { String(decoding: self, as: UTF8.self) }

    /// Without leading and trailing spaces and tabs.
    public var trimmed: UnsafeRawBufferPointer {
        var start = 0
        var end = count
        while start < end && (self[start] == 0x20 || self[start] == 0x09) { start += 1 }
        while end > start && (self[end - 1] == 0x20 || self[end - 1] == 0x09) { end -= 1 }
        return slice(start, end)
    }

    /// The word at `start`: up to the next space (or the end).
    public func word(at start: Int) -> UnsafeRawBufferPointer {
        slice(start, index(of: 0x20, from: start) ?? count)
    }

    /// A decimal number made of all these bytes (at most 18 digits).
    public var integer: Int? {
        guard !isEmpty, count <= 18 else { return nil }
        var value = 0
        for byte in self {
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        return value
    }

    /// The value of `key=` up to the next space, `;` or `,` (the PAM and Dovecot style).
    public func value(of key: [UInt8]) -> UnsafeRawBufferPointer? {
        var from = 0
        while let found = find(key, from: from) {
            // A whole key: at the start or after a separator.
            if found == 0 || [0x20, 0x3B, 0x2C, 0x28, 0x5B].contains(self[found - 1]) {
                let start = found + key.count
                var end = start
                while end < count && self[end] != 0x20 && self[end] != 0x3B && self[end] != 0x2C { end += 1 }
                return slice(start, end)
            }
            from = found + 1
        }
        return nil
    }
}

extension String {
    /// Without leading and trailing spaces and tabs.
    public var trimmingSpaces: String {
        var scalars = Substring(self)
        while scalars.first == " " || scalars.first == "\t" { scalars.removeFirst() }
        while scalars.last == " " || scalars.last == "\t" { scalars.removeLast() }
        return String(scalars)
    }
}
