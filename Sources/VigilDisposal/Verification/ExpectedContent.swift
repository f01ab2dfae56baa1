/// What a sanitized medium must hold: a fill (zero, ones, a byte, a repeating pattern) checked
/// byte for byte, or `random`, checked statistically block by block (the weaker check: it
/// proves no structure is left, not that every byte was overwritten).
public enum ExpectedContent: Sendable, Equatable, CustomStringConvertible {
    case zero
    case ones
    case byte(UInt8)
    case pattern([UInt8])
    case random

    /// Parses `zero`, `ones`, `byte:HH`, `pattern:HEX` (1 to 4,096 bytes), `random`.
    public init?(_ text: String) {
        let lower = text.lowercased()
        switch lower {
        case "zero", "zeros", "zeroes": self = .zero
        case "ones", "one", "ff": self = .ones
        case "random": self = .random
        default:
            if lower.hasPrefix("byte:"), let value = UInt8(lower.dropFirst(5), radix: 16), lower.count <= 7 {
                self = value == 0 ? .zero : (value == 0xFF ? .ones : .byte(value))
            } else if lower.hasPrefix("pattern:"), let bytes = Self.hex(String(lower.dropFirst(8))), !bytes.isEmpty,
                bytes.count <= 4096
            {
                self = bytes.allSatisfy { $0 == bytes[0] } ? (bytes[0] == 0 ? .zero : .byte(bytes[0])) : .pattern(bytes)
            } else {
                return nil
            }
        }
    }

    /// As the option spells it: `zero`, `ones`, `byte:5a`, `pattern:deadbeef`, `random`.
    public var description: String {
        switch self {
        case .zero: "zero"
        case .ones: "ones"
        case .byte(let value): "byte:" + Self.hexString([value])
        case .pattern(let bytes): "pattern:" + Self.hexString(bytes)
        case .random: "random"
        }
    }

    /// The fill as a repeating pattern; `nil` for `random`.
    var fill: [UInt8]? {
        switch self {
        case .zero: [0]
        case .ones: [0xFF]
        case .byte(let value): [value]
        case .pattern(let bytes): bytes
        case .random: nil
        }
    }

    static func hex(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count % 2 == 0 else { return nil }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var index = 0
        while index < digits.count {
            guard let high = nibble(digits[index]), let low = nibble(digits[index + 1]) else { return nil }
            bytes.append(high << 4 | low)
            index += 2
        }
        return bytes
    }

    private static func nibble(_ digit: UInt8) -> UInt8? {
        switch digit {
        case 0x30...0x39: digit - 0x30
        case 0x61...0x66: digit - 0x61 + 10
        case 0x41...0x46: digit - 0x41 + 10
        default: nil
        }
    }

    static func hexString(_ bytes: some Collection<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Checks a block read at an absolute offset against a fill.
struct FillChecker {
    let pattern: [UInt8]
    /// The pattern repeated to a multiple of 8 bytes and at least 4 KiB, so whole words compare.
    private let tile: [UInt8]

    init(pattern: [UInt8]) {
        self.pattern = pattern
        var tile: [UInt8] = []
        let length = Self.lcm(pattern.count, 8)
        while tile.count < max(4096, length) || tile.count % length != 0 { tile += pattern }
        self.tile = tile
    }

    private static func lcm(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return a / x * b
    }

    /// The offsets within `block` (read at `offset` on the medium) that differ from the fill,
    /// at most `limit` of them, and the number of differing bytes (exact).
    func mismatches(_ block: UnsafeRawBufferPointer, at offset: Int64, limit: Int) -> (first: [Int], count: Int) {
        if pattern.count == 1 {
            let value = pattern[0]
            if Self.uniform(block, value) { return ([], 0) }
            var first: [Int] = []
            var count = 0
            for index in 0..<block.count where block[index] != value {
                count += 1
                if first.count < limit { first.append(index) }
            }
            return (first, count)
        }
        var first: [Int] = []
        var count = 0
        let phase = Int(offset % Int64(pattern.count))
        tile.withUnsafeBytes { tileBytes in
            var index = 0
            while index < block.count {
                // The tile repeats the pattern, so from any phase it runs on to its end.
                let start = (phase + index) % pattern.count
                let length = min(block.count - index, tileBytes.count - start)
                if memcmp(block.baseAddress! + index, tileBytes.baseAddress! + start, length) != 0 {
                    for step in 0..<length where block[index + step] != tileBytes[start + step] {
                        count += 1
                        if first.count < limit { first.append(index + step) }
                    }
                }
                index += length
            }
        }
        return (first, count)
    }

    /// Every byte of `block` is `value`: whole 64-bit words OR-ed (or XOR-ed) together, which
    /// the compiler vectorises.
    static func uniform(_ block: UnsafeRawBufferPointer, _ value: UInt8) -> Bool {
        let word = UInt64(value) &* 0x0101_0101_0101_0101
        let words = block.count / 8
        var acc: UInt64 = 0
        if words > 0 {
            let base = block.baseAddress!
            if Int(bitPattern: base) % 8 == 0 {
                let typed = base.assumingMemoryBound(to: UInt64.self)
                var index = 0
                while index < words {
                    acc |= typed[index] ^ word
                    index += 1
                }
            } else {
                for index in 0..<words { acc |= base.loadUnaligned(fromByteOffset: index * 8, as: UInt64.self) ^ word }
            }
        }
        for index in (words * 8)..<block.count { acc |= UInt64(block[index] ^ value) }
        return acc == 0
    }
}

#if canImport(Glibc)
    import Glibc
#endif
