internal import VigilCore

/// One entry of `journalctl -o json`: an object per line whose values are strings, numbers,
/// or (for a `MESSAGE` that is not valid UTF-8) arrays of byte values.
struct JournalEntry {
    var fields: [String: [UInt8]] = [:]

    /// Parses one line; `nil` if it is not a JSON object.
    init?(_ line: UnsafeRawBufferPointer) {
        var parser = FlatJSON(bytes: line)
        guard parser.object(into: &fields) else { return nil }
    }

    subscript(key: String) -> [UInt8]? { fields[key] }
}

/// A JSON reader for flat objects: keys to strings, numbers, booleans, null, or arrays of
/// numbers (bytes). Nested objects are skipped. No allocation but the values kept.
private struct FlatJSON {
    let bytes: UnsafeRawBufferPointer
    var offset = 0

    init(bytes: UnsafeRawBufferPointer) { self.bytes = bytes }

    mutating func spaces() {
        while offset < bytes.count, bytes[offset] == 0x20 || bytes[offset] == 0x09 || bytes[offset] == 0x0D {
            offset += 1
        }
    }

    mutating func expect(_ byte: UInt8) -> Bool {
        spaces()
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    mutating func object(into fields: inout [String: [UInt8]]) -> Bool {
        guard expect(0x7B) else { return false }
        if expect(0x7D) { return true }
        while true {
            spaces()
            guard let key = string() else { return false }
            guard expect(0x3A) else { return false }
            spaces()
            guard let value = value() else { return false }
            if let value { fields[String(decoding: key, as: UTF8.self)] = value }
            if expect(0x2C) { continue }
            return expect(0x7D)
        }
    }

    /// A value as bytes (`nil` inside for null or a skipped nested value); outer `nil` on error.
    mutating func value() -> [UInt8]?? {
        guard offset < bytes.count else { return nil }
        switch bytes[offset] {
        case 0x22:
            return string().map { .some($0) } ?? nil
        case 0x5B:
            offset += 1
            var array: [UInt8] = []
            if expect(0x5D) { return .some(array) }
            while true {
                spaces()
                guard let number = number() else { return nil }
                array.append(UInt8(truncatingIfNeeded: number))
                if expect(0x2C) { continue }
                return expect(0x5D) ? .some(array) : nil
            }
        case 0x7B:
            var nested: [String: [UInt8]] = [:]
            return object(into: &nested) ? .some(nil) : nil
        case 0x6E:
            offset += 4
            return .some(nil)
        case 0x74, 0x66:
            let word = bytes[offset] == 0x74 ? "true" : "false"
            offset += word.utf8.count
            return .some(Array(word.utf8))
        default:
            let start = offset
            guard number() != nil else { return nil }
            return .some(Array(bytes.slice(start, offset)))
        }
    }

    mutating func number() -> Int? {
        let start = offset
        if offset < bytes.count && bytes[offset] == 0x2D { offset += 1 }
        var value = 0
        while offset < bytes.count,
            (bytes[offset] >= 0x30 && bytes[offset] <= 0x39) || bytes[offset] == 0x2E
                || bytes[offset] | 0x20 == 0x65 || bytes[offset] == 0x2B
        {
            if bytes[offset] >= 0x30 && bytes[offset] <= 0x39 && value < Int.max / 10 {
                value = value * 10 + Int(bytes[offset] - 0x30)
            }
            offset += 1
        }
        return offset > start ? value : nil
    }

    mutating func string() -> [UInt8]? {
        guard offset < bytes.count, bytes[offset] == 0x22 else { return nil }
        offset += 1
        var out: [UInt8] = []
        while offset < bytes.count {
            let byte = bytes[offset]
            offset += 1
            switch byte {
            case 0x22:
                return out
            case 0x5C:
                guard offset < bytes.count else { return nil }
                let escaped = bytes[offset]
                offset += 1
                switch escaped {
                case 0x6E: out.append(0x0A)
                case 0x74: out.append(0x09)
                case 0x72: out.append(0x0D)
                case 0x62: out.append(0x08)
                case 0x66: out.append(0x0C)
                case 0x75:
                    guard var scalar = hex4() else { return nil }
                    if scalar >= 0xD800 && scalar < 0xDC00, offset + 6 <= bytes.count, bytes[offset] == 0x5C,
                        bytes[offset + 1] == 0x75
                    {
                        offset += 2
                        if let low = hex4(), low >= 0xDC00 && low < 0xE000 {
                            scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                        }
                    }
                    out.append(contentsOf: Array(String(Unicode.Scalar(scalar).map(Character.init) ?? "\u{FFFD}").utf8))
                default: out.append(escaped)
                }
            default:
                out.append(byte)
            }
        }
        return nil
    }

    mutating func hex4() -> UInt32? {
        guard offset + 4 <= bytes.count else { return nil }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = bytes[offset] | 0x20
            offset += 1
            switch byte {
            case 0x30...0x39: value = value << 4 | UInt32(byte - 0x30)
            case 0x61...0x66: value = value << 4 | UInt32(byte - 0x61 + 10)
            default: return nil
            }
        }
        return value
    }
}
