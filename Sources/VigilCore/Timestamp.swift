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

    public init(nanoseconds: Int64) { self.nanoseconds = min(max(nanoseconds, -Self.limit), Self.limit) }

    public init(seconds: Int64, nanoseconds: Int64 = 0) {
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        let (sum, carry) = scaled.addingReportingOverflow(nanoseconds)
        self.init(nanoseconds: overflow || carry ? (seconds < 0 ? -Self.limit : Self.limit) : sum)
    }

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
        var seconds = nanoseconds / 1_000_000_000
        var fraction = nanoseconds % 1_000_000_000
        if fraction < 0 {
            seconds -= 1
            fraction += 1_000_000_000
        }
        var time = time_t(seconds)
        var parts = tm()
        gmtime_r(&time, &parts)
        var text =
            "\(pad(Int(parts.tm_year) + 1900, 4))-\(pad(Int(parts.tm_mon) + 1, 2))-\(pad(Int(parts.tm_mday), 2))"
            + "T\(pad(Int(parts.tm_hour), 2)):\(pad(Int(parts.tm_min), 2)):\(pad(Int(parts.tm_sec), 2))"
        if fraction != 0 {
            if fraction % 1_000_000 == 0 {
                text += "." + pad(Int(fraction / 1_000_000), 3)
            } else if fraction % 1000 == 0 {
                text += "." + pad(Int(fraction / 1000), 6)
            } else {
                text += "." + pad(Int(fraction), 9)
            }
        }
        return text + "Z"
    }

    private func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }
}
