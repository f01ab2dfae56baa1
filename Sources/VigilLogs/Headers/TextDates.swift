internal import VigilCore

/// Headers with month names: syslog (RFC 3164, ctime), Java's default format, Apache's and
/// xrdp's bracketed dates, and access logs.
extension HeaderParser {
    /// `Mmm dd HH:MM:SS [yyyy]`, with an optional weekday first (ctime: `Fri Jan 19 12:20:33 2007`).
    mutating func textDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
        // `Mmm dd HH:MM:SS ` is 16 bytes: the same as the line before, the same instant.
        if line.count > 16, line[15] == 0x20, let last = lastDate {
            let low = line.loadUnaligned(fromByteOffset: 0, as: UInt64.self)
            let high = line.loadUnaligned(fromByteOffset: 8, as: UInt64.self)
            if low == last.low && high == last.high {
                return syslogTail(line, from: 16, time: last.instant, format: .syslog)
            }
        }
        var scanner = DateScanner(bytes: line, offset: 0)
        var weekday = false
        if DateScanner.isWeekday(line, at: 0) {
            scanner.offset = 4
            weekday = true
        }
        guard let month = DateScanner.month(line, at: scanner.offset) else { return nil }
        scanner.offset += 3
        guard scanner.skip(0x20) else { return nil }
        scanner.skipSpaces()
        guard let day = scanner.shortNumber(), scanner.skip(0x20) else { return nil }
        var time = CivilTime(year: 0, month: month, day: day, hour: 0, minute: 0, second: 0)
        // The year may come before the time (`Jan 23 2005 12:00:00`) or after it (ctime).
        var year: Int?
        let beforeYear = scanner.offset
        if let written = scanner.digits(4), scanner.skip(0x20) {
            year = written
        } else {
            scanner.offset = beforeYear
        }
        guard scanner.clock(into: &time) else { return nil }
        let afterClock = scanner.offset
        if year == nil, scanner.skip(0x20), let written = scanner.digits(4),
            scanner.current == nil || scanner.current == 0x20
        {
            year = written
        } else {
            scanner.offset = afterClock
        }
        let instant: Timestamp
        if let year {
            time.year = year
            guard time.isValid else { return nil }
            instant = clock.instant(time)
        } else {
            time.year = 2000
            guard time.isValid else { return nil }
            instant = clock.instant(yearless: time)
            if !weekday && scanner.offset == 15 && line.count > 16 && line[15] == 0x20 {
                lastDate = (
                    line.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
                    line.loadUnaligned(fromByteOffset: 8, as: UInt64.self), instant
                )
            }
        }
        if weekday && year != nil && line.starts(with: Self.vsftpdPid, at: scanner.offset) {
            // vsftpd's own log: `Fri Jan 19 12:20:33 2007 [pid 27202] [user] FAIL LOGIN: …`
            return LogLine(time: instant, message: line.from(scanner.offset + 1), format: .vsftpd)
        }
        return syslogTail(line, from: scanner.offset, time: instant, format: .syslog)
    }

    static let vsftpdPid = Array(" [pid ".utf8)

    /// `Jan 23, 2005 12:00:00 PM` (Java's default format).
    mutating func javaDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let month = DateScanner.month(line, at: 0), line.count > 7, line[3] == 0x20 else { return nil }
        var scanner = DateScanner(bytes: line, offset: 4)
        guard let day = scanner.shortNumber(), scanner.skip(0x2C), scanner.skip(0x20), let year = scanner.digits(4),
            scanner.skip(0x20)
        else { return nil }
        var hour = scanner.digits(1) ?? 0
        if let more = scanner.digits(1) { hour = hour * 10 + more }
        guard scanner.skip(0x3A), let minute = scanner.digits(2), scanner.skip(0x3A), let second = scanner.digits(2),
            scanner.skip(0x20), scanner.offset + 2 <= line.count
        else { return nil }
        let meridiem = line[scanner.offset] | 0x20
        guard meridiem == 0x61 || meridiem == 0x70, line[scanner.offset + 1] | 0x20 == 0x6D else { return nil }
        scanner.offset += 2
        hour = hour % 12 + (meridiem == 0x70 ? 12 : 0)
        let time = CivilTime(year: year, month: month, day: day, hour: hour, minute: minute, second: second)
        return dated(line, time, zoneAt: &scanner)
    }

    /// `[Thu Jul 11 01:21:41 2013] [error] …` (Apache) or `[20220407-12:11:06] [INFO ] …` (xrdp).
    mutating func bracketed(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let close = line.index(of: 0x5D), close > 8 else { return nil }
        let inside = line.slice(1, close)
        var scanner = DateScanner(bytes: inside, offset: 0)
        if let year = scanner.digits(4), let month = scanner.digits(2), let day = scanner.digits(2), scanner.skip(0x2D)
        {
            var time = CivilTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
            guard scanner.clock(into: &time), time.isValid else { return nil }
            return LogLine(time: clock.instant(time), message: line.from(close + 1).trimmed, format: .xrdp)
        }
        guard DateScanner.isWeekday(inside, at: 0), let month = DateScanner.month(inside, at: 4) else { return nil }
        scanner.offset = 7
        guard scanner.skip(0x20) else { return nil }
        scanner.skipSpaces()
        guard let day = scanner.shortNumber(), scanner.skip(0x20) else { return nil }
        var time = CivilTime(year: 0, month: month, day: day, hour: 0, minute: 0, second: 0)
        guard scanner.clock(into: &time), scanner.skip(0x20), let year = scanner.digits(4) else { return nil }
        time.year = year
        guard time.isValid else { return nil }
        return LogLine(time: clock.instant(time), message: line.from(close + 1).trimmed, format: .apacheError)
    }

    /// Common and combined access logs: `client ident user [10/Oct/2000:13:55:36 -0700] "request" …`.
    func access(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let open = line.slice(0, 400).find(Self.spaceBracket) else { return nil }
        var scanner = DateScanner(bytes: line, offset: open + 2)
        guard let day = scanner.digits(2), scanner.skip(0x2F), let month = DateScanner.month(line, at: scanner.offset)
        else {
            return nil
        }
        scanner.offset += 3
        guard scanner.skip(0x2F), let year = scanner.digits(4), scanner.skip(0x3A) else { return nil }
        var time = CivilTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        guard scanner.clock(into: &time), time.isValid, scanner.skip(0x20), let zone = scanner.zone(),
            scanner.skip(0x5D)
        else { return nil }
        let instant = Timestamp(seconds: time.secondsAsUTC - Int64(zone), nanoseconds: Int64(time.nanosecond))
        return LogLine(time: instant, message: line, format: .access)
    }

    static let spaceBracket = Array(" [".utf8)
}
