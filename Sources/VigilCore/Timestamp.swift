#if canImport(Glibc)
    internal import Glibc
#elseif canImport(Darwin)
    internal import Darwin
#endif

/// A point in time with nanosecond resolution, counted from the Unix epoch in UTC.
///
/// Captures carry micro- or nanosecond stamps and logs carry fractions; `Date`'s floating point
/// would blur the ordering of events a few nanoseconds apart, so Vigil keeps integers.
public struct Timestamp: Sendable, Hashable, Comparable {
    /// Nanoseconds since 1970-01-01T00:00:00Z, within ±``limit``.
    public private(set) var nanoseconds: Int64

    /// The largest distance from the epoch a time may have: 2⁶² − 1 ns, about 146 years (1824 to
    /// 2116). Inputs carry any time at all (a pcapng stamp, a log's year 2999); every time Vigil
    /// holds is clamped into this range, so that the difference of any two never overflows.
    public static let limit: Int64 = (1 << 62) - 1

    /// The instant `nanoseconds` after the epoch (clamped to ±2^62 ns, so no difference of two overflows).
    public init(nanoseconds: Int64) { self.nanoseconds = min(max(nanoseconds, -Self.limit), Self.limit) }

    /// The instant `seconds` and `nanoseconds` after the epoch.
    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = scaled.addingReportingOverflow(nanoseconds)
        self.init(nanoseconds: overflow || carry ? (seconds < 0 ? -Self.limit : Self.limit) : sum)
    }

    /// Earlier first.
    public static func < (lhs: Timestamp, rhs: Timestamp) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// The current wall-clock time.
    public static func now() -> Timestamp {
        var spec = timespec()
        clock_gettime(CLOCK_REALTIME, &spec)
        return Timestamp(seconds: Int64(spec.tv_sec), nanoseconds: Int64(spec.tv_nsec))
    }

    /// The same instant with the fraction of a second dropped (towards the past).
    public var wholeSeconds: Timestamp {
        var seconds = nanoseconds / 1_000_000_000
        if nanoseconds < 0 && nanoseconds % 1_000_000_000 != 0 { seconds -= 1 }
        return Timestamp(seconds: seconds)
    }

    /// RFC 3339 in UTC with a `Z`: `2026-11-23T10:00:00Z`, with as many fractional digits as
    /// the value needs (none, 3, 6 or 9) so that whole seconds stay short.
    public var iso8601: String {
        var out: [UInt8] = []
        out.reserveCapacity(30)
        appendISO8601(to: &out)
        return String(decoding: out, as: UTF8.self)
    }

    /// Appends ``iso8601`` to `out` as bytes, without making a `String` (JSON lines, reports).
    public func appendISO8601(to out: inout [UInt8]) {
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        // `width` digits of `value`, zero-padded (times are clamped to 1824-2116: a year has 4).
        func digits(_ value: Int, _ width: Int, then separator: UInt8?) {
            var divisor = 1
            for _ in 1..<width { divisor *= 10 }
            while divisor > 0 {
                out.append(UInt8(truncatingIfNeeded: 0x30 + value / divisor % 10))
                divisor /= 10
            }
            if let separator { out.append(separator) }
        }
        digits(Int(parts.tm_year) + 1900, 4, then: UInt8(ascii: "-"))
        digits(Int(parts.tm_mon) + 1, 2, then: UInt8(ascii: "-"))
        digits(Int(parts.tm_mday), 2, then: UInt8(ascii: "T"))
        digits(Int(parts.tm_hour), 2, then: UInt8(ascii: ":"))
        digits(Int(parts.tm_min), 2, then: UInt8(ascii: ":"))
        digits(Int(parts.tm_sec), 2, then: nil)
        if fraction != 0 {
            out.append(UInt8(ascii: "."))
            if fraction % 1_000_000 == 0 {
                digits(Int(fraction / 1_000_000), 3, then: nil)
            } else if fraction % 1000 == 0 {
                digits(Int(fraction / 1000), 6, then: nil)
            } else {
                digits(Int(fraction), 9, then: nil)
            }
        }
        out.append(UInt8(ascii: "Z"))
    }
}

extension Timestamp {
    /// Reads RFC 3339 as Vigil writes it (``iso8601``): `2026-11-23T10:00:00Z`, with an optional
    /// fraction of up to nine digits and `Z` or a `±HH:MM` offset; `nil` for anything else.
    public init?(iso8601 text: String) {
        let bytes = Array(text.utf8)
        func number(_ start: Int, _ count: Int) -> Int? {
            guard start + count <= bytes.count else { return nil }
            var value = 0
            for byte in bytes[start..<(start + count)] {
                guard byte >= 0x30 && byte <= 0x39 else { return nil }
                value = value * 10 + Int(byte - 0x30)
            }
            return value
        }
        guard bytes.count >= 20, let year = number(0, 4), bytes[4] == 0x2D, let month = number(5, 2),
            bytes[7] == 0x2D, let day = number(8, 2), bytes[10] == 0x54 || bytes[10] == 0x20,
            let hour = number(11, 2), bytes[13] == 0x3A, let minute = number(14, 2), bytes[16] == 0x3A,
            let second = number(17, 2), (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60,
            second < 61
        else { return nil }
        var index = 19
        var fraction: Int64 = 0
        if index < bytes.count && bytes[index] == 0x2E {
            index += 1
            var digits = 0
            while index < bytes.count, bytes[index] >= 0x30, bytes[index] <= 0x39 {
                guard digits < 9 else { return nil }
                fraction = fraction * 10 + Int64(bytes[index] - 0x30)
                digits += 1
                index += 1
            }
            guard digits > 0 else { return nil }
            for _ in digits..<9 { fraction *= 10 }
        }
        var offset = 0
        if index == bytes.count - 1 && bytes[index] == 0x5A {
            offset = 0
        } else if index == bytes.count - 6, bytes[index] == 0x2B || bytes[index] == 0x2D,
            let hours = number(index + 1, 2), bytes[index + 3] == 0x3A, let minutes = number(index + 4, 2),
            hours <= 14, minutes < 60
        {
            offset = (hours * 3600 + minutes * 60) * (bytes[index] == 0x2B ? 1 : -1)
        } else {
            return nil
        }
        var parts = tm()
        parts.tm_year = Int32(year - 1900)
        parts.tm_mon = Int32(month - 1)
        parts.tm_mday = Int32(day)
        parts.tm_hour = Int32(hour)
        parts.tm_min = Int32(minute)
        parts.tm_sec = Int32(second)
        let seconds = Int64(timegm(&parts)) - Int64(offset)
        self.init(seconds: seconds, nanoseconds: fraction)
    }

    /// Whole seconds since the epoch (towards the past).
    public var seconds: Int64 { wholeSeconds.nanoseconds / 1_000_000_000 }
}
