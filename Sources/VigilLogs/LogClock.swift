internal import Foundation
public import VigilCore

/// A date and time of day as a log writes it, without a zone.
struct CivilTime: Equatable {
    var year: Int
    var month: Int
    var day: Int
    var hour: Int
    var minute: Int
    var second: Int
    var nanosecond: Int = 0

    /// Seconds from 1970-01-01T00:00:00 counting this civil time as if it were UTC.
    var secondsAsUTC: Int64 {
        Int64(Self.daysFromCivil(year, month, day)) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    var isValid: Bool {
        (1...12).contains(month) && (1...31).contains(day) && (0...23).contains(hour) && (0...59).contains(minute)
            && (0...60).contains(second) && year > 1900 && year < 3000
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func daysFromCivil(_ year: Int, _ month: Int, _ day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day number (inverse of ``daysFromCivil(_:_:_:)``).
    static func civil(fromDays days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    /// The civil time of `seconds` since the epoch, as UTC.
    static func fromUTC(seconds: Int64) -> CivilTime {
        var days = Int(seconds / 86_400)
        var rest = Int(seconds % 86_400)
        if rest < 0 {
            rest += 86_400
            days -= 1
        }
        let date = civil(fromDays: days)
        return CivilTime(
            year: date.year, month: date.month, day: date.day, hour: rest / 3600, minute: rest / 60 % 60,
            second: rest % 60)
    }
}

/// The time zone a log's local times are read in: UTC, a fixed offset, a POSIX `TZ` rule
/// (`CET-1CEST,M3.5.0,M10.5.0/3`), or a zone of the system's tz database (`Europe/Paris`).
public struct LogTimeZone: Sendable {
    enum Rule: Sendable {
        case fixed(Int)
        case posix(PosixZone)
        case database(TimeZone)
    }

    let rule: Rule

    public static let utc = LogTimeZone(rule: .fixed(0))

    /// The machine's own zone (`TZ`, else `/etc/localtime`), as syslog daemons write in.
    public static var local: LogTimeZone { LogTimeZone(rule: .database(TimeZone.current)) }

    /// The widest offset a zone may have: UTC−12:00 to UTC+14:00 are the Earth's, ±14:00 the
    /// bound Vigil takes (an offset past it is a typing mistake, and would shift every time).
    public static let maxOffset = 14 * 3600

    /// `UTC`, `+02:00`, a POSIX rule or a tz database name; `nil` when it is none of these, or
    /// an offset beyond ±14:00.
    public init?(_ text: String) {
        if text == "UTC" || text == "Z" || text == "GMT" {
            rule = .fixed(0)
        } else if text.hasPrefix("+") || text.hasPrefix("-") {
            guard let offset = Self.offset(text), abs(offset) <= Self.maxOffset else { return nil }
            rule = .fixed(offset)
        } else if let zone = TimeZone(identifier: text) {
            rule = .database(zone)
        } else if let posix = PosixZone(text), abs(posix.standardOffset) <= Self.maxOffset,
            abs(posix.daylightOffset ?? 0) <= Self.maxOffset
        {
            rule = .posix(posix)
        } else {
            return nil
        }
    }

    init(rule: Rule) { self.rule = rule }

    /// `+hh:mm`, `-hhmm`, `+hh`: seconds east of UTC.
    static func offset(_ text: String) -> Int? {
        let bytes = Array(text.utf8)
        guard bytes.count >= 3, bytes[0] == 0x2B || bytes[0] == 0x2D else { return nil }
        let digits = bytes.dropFirst().filter { $0 != 0x3A }
        guard digits.count == 2 || digits.count == 4, digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        let values = digits.map { Int($0 - 0x30) }
        let hours = values[0] * 10 + values[1]
        let minutes = values.count == 4 ? values[2] * 10 + values[3] : 0
        guard minutes < 60 else { return nil }
        return (bytes[0] == 0x2D ? -1 : 1) * (hours * 3600 + minutes * 60)
    }

    /// Seconds east of UTC in force at the UTC instant `utc`.
    func offset(atUTC utc: Int64) -> Int {
        switch rule {
        case .fixed(let offset): offset
        case .posix(let zone): zone.offset(atUTC: utc)
        case .database(let zone): zone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(utc)))
        }
    }

    /// The UTC instant of a local civil time (in a gap or overlap, the earlier reading wins).
    func utcSeconds(ofLocal local: Int64) -> Int64 {
        let first = offset(atUTC: local)
        let guess = local - Int64(first)
        let second = offset(atUTC: guess)
        if second == first { return guess }
        let other = local - Int64(second)
        return offset(atUTC: other) == second ? min(guess, other) : guess
    }
}

/// A POSIX `TZ` rule: standard name and offset, optional daylight name, offset and the
/// `Mm.w.d[/time]` (or `Jn`, `n`) dates it starts and ends. Offsets are written west of UTC
/// (`CET-1` is an hour east).
struct PosixZone: Sendable {
    struct Change: Sendable {
        enum Day: Sendable {
            case monthWeekDay(month: Int, week: Int, weekday: Int)
            case julianNoLeap(Int)
            case zeroBased(Int)
        }

        var day: Day
        var time: Int  // seconds after local midnight

        /// Local seconds (as UTC civil) of this change in `year`.
        func local(in year: Int) -> Int64 {
            let days: Int
            switch day {
            case .monthWeekDay(let month, let week, let weekday):
                let first = CivilTime.daysFromCivil(year, month, 1)
                let firstWeekday = ((first % 7) + 11) % 7  // 1970-01-01 was a Thursday (4)
                var date = first + (weekday - firstWeekday + 7) % 7 + (week - 1) * 7
                let nextMonth =
                    month == 12 ? CivilTime.daysFromCivil(year + 1, 1, 1) : CivilTime.daysFromCivil(year, month + 1, 1)
                while date >= nextMonth { date -= 7 }
                days = date
            case .julianNoLeap(let n):
                let start = CivilTime.daysFromCivil(year, 1, 1)
                let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
                days = start + n - 1 + (leap && n >= 60 ? 1 : 0)
            case .zeroBased(let n):
                days = CivilTime.daysFromCivil(year, 1, 1) + n
            }
            return Int64(days) * 86_400 + Int64(time)
        }
    }

    var standardOffset: Int  // seconds east of UTC
    var daylightOffset: Int?
    var start: Change?
    var end: Change?

    init?(_ text: String) {
        var scanner = Array(text.utf8)[...]
        func name() -> Bool {
            if scanner.first == 0x3C {  // <+03>
                guard let close = scanner.firstIndex(of: 0x3E) else { return false }
                scanner = scanner[(close + 1)...]
                return true
            }
            let letters = scanner.prefix { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A }
            guard letters.count >= 3 else { return false }
            scanner = scanner.dropFirst(letters.count)
            return true
        }
        func time() -> Int? {
            var sign = 1
            if scanner.first == 0x2B {
                scanner = scanner.dropFirst()
            } else if scanner.first == 0x2D {
                sign = -1
                scanner = scanner.dropFirst()
            }
            var parts: [Int] = []
            while parts.count < 3 {
                let digits = scanner.prefix { $0 >= 0x30 && $0 <= 0x39 }
                guard !digits.isEmpty else { break }
                guard digits.count <= 4 else { return nil }
                parts.append(digits.reduce(0) { $0 * 10 + Int($1 - 0x30) })
                scanner = scanner.dropFirst(digits.count)
                guard scanner.first == 0x3A else { break }
                scanner = scanner.dropFirst()
            }
            guard let hours = parts.first else { return nil }
            return sign * (hours * 3600 + (parts.count > 1 ? parts[1] * 60 : 0) + (parts.count > 2 ? parts[2] : 0))
        }
        func number() -> Int? {
            let digits = scanner.prefix { $0 >= 0x30 && $0 <= 0x39 }
            guard !digits.isEmpty, digits.count <= 6 else { return nil }
            scanner = scanner.dropFirst(digits.count)
            return digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
        }
        func change() -> Change? {
            var day: Change.Day
            if scanner.first == 0x4D {  // Mm.w.d
                scanner = scanner.dropFirst()
                guard let month = number(), scanner.popFirst() == 0x2E, let week = number(),
                    scanner.popFirst() == 0x2E, let weekday = number()
                else { return nil }
                day = .monthWeekDay(month: month, week: week, weekday: weekday)
            } else if scanner.first == 0x4A {
                scanner = scanner.dropFirst()
                guard let n = number() else { return nil }
                day = .julianNoLeap(n)
            } else {
                guard let n = number() else { return nil }
                day = .zeroBased(n)
            }
            var at = 7200
            if scanner.first == 0x2F {
                scanner = scanner.dropFirst()
                guard let given = time() else { return nil }
                at = given
            }
            return Change(day: day, time: at)
        }
        guard name(), let standard = time() else { return nil }
        standardOffset = -standard
        if scanner.isEmpty { return }
        guard name() else { return nil }
        if scanner.first == 0x2C || scanner.isEmpty {
            daylightOffset = standardOffset + 3600
        } else {
            guard let daylight = time() else { return nil }
            daylightOffset = -daylight
        }
        guard scanner.popFirst() == 0x2C, let start = change(), scanner.popFirst() == 0x2C, let end = change(),
            scanner.isEmpty
        else { return nil }
        self.start = start
        self.end = end
    }

    func offset(atUTC utc: Int64) -> Int {
        guard let daylight = daylightOffset, let start, let end else { return standardOffset }
        let year = CivilTime.fromUTC(seconds: utc + Int64(standardOffset)).year
        // Start is given in standard local time, end in daylight local time.
        let starts = start.local(in: year) - Int64(standardOffset)
        let ends = end.local(in: year) - Int64(daylight)
        let inDaylight = starts < ends ? (utc >= starts && utc < ends) : (utc >= starts || utc < ends)
        return inDaylight ? daylight : standardOffset
    }
}

/// Turns the times a log writes into instants: in the log's time zone, and for syslog's
/// year-less times, in the year that puts them at or before the reference time (the file's
/// last modification: a December line in a file written in January is from last year).
public struct LogClock: Sendable {
    public var zone: LogTimeZone
    /// Year-less times are placed no later than this (plus a day's slack for clocks).
    public var reference: Timestamp
    /// A year given by the user, for every year-less time.
    public var year: Int?
    /// Offsets cached per local hour: a log's lines are in time order, so one lookup serves
    /// thousands of lines.
    private var cache: (hour: Int64, offset: Int64)?

    /// A clock in `zone`: year-less times placed no later than `reference` (plus a day), or in `year`.
    public init(zone: LogTimeZone, reference: Timestamp, year: Int? = nil) {
        self.zone = zone
        self.reference = reference
        self.year = year
        referenceYear = 0
        referenceYear = localCivil(reference.nanoseconds / 1_000_000_000).year
    }

    private var referenceYear: Int

    /// The instant of a local time in this clock's zone.
    mutating func instant(_ time: CivilTime) -> Timestamp {
        let local = time.secondsAsUTC
        let hour = local / 3600
        let offset: Int64
        if let cached = cache, cached.hour == hour {
            offset = cached.offset
        } else {
            offset = local - zone.utcSeconds(ofLocal: local)
            cache = (hour, offset)
        }
        return Timestamp(seconds: local - offset, nanoseconds: Int64(time.nanosecond))
    }

    /// The instant of a time written without its year.
    mutating func instant(yearless time: CivilTime) -> Timestamp {
        var dated = time
        if let year {
            dated.year = year
            return instant(dated)
        }
        dated.year = referenceYear
        let candidate = instant(dated)
        if candidate.nanoseconds > reference.nanoseconds + 86_400 * 1_000_000_000 {
            dated.year -= 1
            return instant(dated)
        }
        return candidate
    }

    /// The civil time at `seconds` (UTC) in this clock's zone.
    func localCivil(_ seconds: Int64) -> CivilTime {
        CivilTime.fromUTC(seconds: seconds + Int64(zone.offset(atUTC: seconds)))
    }
}
