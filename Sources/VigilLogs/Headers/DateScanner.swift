internal import VigilCore

/// Reads the fixed-shape dates of log headers: digits, month and weekday names, clock times
/// with their fraction, and zones. The one place a header's fraction of a second and its zone
/// are parsed, whatever the layout around them.
struct DateScanner {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

    init(bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    /// `count` decimal digits as a number; `nil` (and nothing read) otherwise.
    @inline(__always)
    mutating func digits(_ count: Int) -> Int? {
        guard offset + count <= bytes.count else { return nil }
        var value = 0
        for index in offset..<offset + count {
            let byte = bytes[index]
            guard byte >= 0x30 && byte <= 0x39 else { return nil }
            value = value * 10 + Int(byte - 0x30)
        }
        offset += count
        return value
    }

    /// One or two digits.
    mutating func shortNumber() -> Int? {
        guard let first = digits(1) else { return nil }
        if let second = digits(1) { return first * 10 + second }
        return first
    }

    mutating func skip(_ byte: UInt8) -> Bool {
        guard offset < bytes.count, bytes[offset] == byte else { return false }
        offset += 1
        return true
    }

    mutating func skipSpaces() {
        while offset < bytes.count && bytes[offset] == 0x20 { offset += 1 }
    }

    var current: UInt8? { offset < bytes.count ? bytes[offset] : nil }

    /// `HH:MM:SS` (or `H:MM:SS` when `shortHour`, as `%k` writes it) and an optional fraction.
    mutating func clock(into time: inout CivilTime, shortHour: Bool = false) -> Bool {
        guard let hour = shortHour ? shortNumber() : digits(2), skip(0x3A), let minute = digits(2), skip(0x3A),
            let second = digits(2)
        else { return false }
        time.hour = hour
        time.minute = minute
        time.second = second
        if let nanoseconds = fraction() { time.nanosecond = nanoseconds }
        return true
    }

    /// `.digits` or `,digits` after the seconds, in nanoseconds (digits past the ninth ignored);
    /// `nil`, and nothing read, when no digit follows the mark.
    mutating func fraction() -> Int? {
        guard let mark = current, mark == 0x2E || mark == 0x2C, offset + 1 < bytes.count, bytes[offset + 1] >= 0x30,
            bytes[offset + 1] <= 0x39
        else { return nil }
        offset += 1
        var nanoseconds = 0
        var places = 0
        while let byte = current, byte >= 0x30 && byte <= 0x39 {
            if places < 9 {
                nanoseconds = nanoseconds * 10 + Int(byte - 0x30)
                places += 1
            }
            offset += 1
        }
        for _ in places..<9 { nanoseconds *= 10 }
        return nanoseconds
    }

    /// `Z`, `+hh:mm`, `-hhmm` or `+hh`: seconds east of UTC; `nil` when none is written.
    mutating func zone() -> Int? {
        guard let byte = current else { return nil }
        if byte == 0x5A {
            offset += 1
            return 0
        }
        guard byte == 0x2B || byte == 0x2D else { return nil }
        let start = offset
        offset += 1
        guard let hours = digits(2) else {
            offset = start
            return nil
        }
        _ = skip(0x3A)
        let minutes = digits(2) ?? 0
        return (byte == 0x2D ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// The instant of `time`: in the zone written next (read), else in `clock`'s zone (nothing
    /// read).
    mutating func instant(of time: CivilTime, clock: inout LogClock) -> Timestamp {
        if let zone = zone() {
            return Timestamp(seconds: time.secondsAsUTC - Int64(zone), nanoseconds: Int64(time.nanosecond))
        }
        return clock.instant(time)
    }

    /// The month whose three-letter name (any case) is at `offset` in `bytes`.
    static func month(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
        guard offset + 3 <= bytes.count else { return nil }
        let a = bytes[offset] | 0x20
        let b = bytes[offset + 1] | 0x20
        let c = bytes[offset + 2] | 0x20
        switch (a, b, c) {
        case (0x6A, 0x61, 0x6E): return 1  // jan
        case (0x66, 0x65, 0x62): return 2
        case (0x6D, 0x61, 0x72): return 3
        case (0x61, 0x70, 0x72): return 4
        case (0x6D, 0x61, 0x79): return 5
        case (0x6A, 0x75, 0x6E): return 6
        case (0x6A, 0x75, 0x6C): return 7
        case (0x61, 0x75, 0x67): return 8
        case (0x73, 0x65, 0x70): return 9
        case (0x6F, 0x63, 0x74): return 10
        case (0x6E, 0x6F, 0x76): return 11
        case (0x64, 0x65, 0x63): return 12
        default: return nil
        }
    }

    /// Whether a three-letter weekday name and a space are at `offset` in `bytes`.
    static func isWeekday(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
        guard offset + 4 <= bytes.count, bytes[offset + 3] == 0x20 else { return false }
        let word = (bytes[offset] | 0x20, bytes[offset + 1] | 0x20, bytes[offset + 2] | 0x20)
        switch word {
        case (0x6D, 0x6F, 0x6E), (0x74, 0x75, 0x65), (0x77, 0x65, 0x64), (0x74, 0x68, 0x75), (0x66, 0x72, 0x69),
            (0x73, 0x61, 0x74), (0x73, 0x75, 0x6E):
            return true
        default:
            return false
        }
    }
}
