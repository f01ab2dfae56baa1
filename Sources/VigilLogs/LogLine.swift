internal import VigilCore

/// A log line split into what every format shares: when, which host, which program (and
/// process), and the message. The byte views point into the reader's buffer.
struct LogLine {
    var time: Timestamp?
    var host = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The program tag as written (`sshd`, `postfix/smtpd`, `vsftpd(pam_unix)`, `auth-worker(304)`).
    var program = UnsafeRawBufferPointer(start: nil, count: 0)
    var pid: Int?
    var message: UnsafeRawBufferPointer
    var format: Format

    /// The header a line was written with.
    enum Format: String {
        case syslog, rfc5424, iso, journal, tai64n, apacheError = "apache-error", nginxError = "nginx-error"
        case xrdp, vsftpd, audit, access, plain
    }

    /// The program's name without process id, sub-name or path suffix: `postfix/smtpd` → `postfix`,
    /// `vsftpd(pam_unix)` → `vsftpd`, `auth-worker(304)` → `auth-worker`.
    var programBase: UnsafeRawBufferPointer {
        var end = program.count
        for (index, byte) in program.enumerated() where byte == 0x28 || byte == 0x2F || byte == 0x5B || byte == 0x3C {
            end = index
            break
        }
        return program.cut(0, end)
    }
}

/// Month abbreviations, any case.
private func month(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Int? {
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

private func isWeekday(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> Bool {
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

/// A small cursor for reading fixed-shape dates.
private struct DateScanner {
    let bytes: UnsafeRawBufferPointer
    var offset: Int

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

    /// `HH:MM:SS` and an optional `.fraction` or `,fraction`.
    mutating func clock(into time: inout CivilTime) -> Bool {
        guard let hour = digits(2), skip(0x3A), let minute = digits(2), skip(0x3A), let second = digits(2) else {
            return false
        }
        time.hour = hour
        time.minute = minute
        time.second = second
        if let separator = current, separator == 0x2E || separator == 0x2C,
            offset + 1 < bytes.count, bytes[offset + 1] >= 0x30, bytes[offset + 1] <= 0x39
        {
            offset += 1
            var nanos = 0
            var places = 0
            while let byte = current, byte >= 0x30 && byte <= 0x39 {
                if places < 9 {
                    nanos = nanos * 10 + Int(byte - 0x30)
                    places += 1
                }
                offset += 1
            }
            while places < 9 {
                nanos *= 10
                places += 1
            }
            time.nanosecond = nanos
        }
        return true
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
}

/// Splits lines into ``LogLine``s, reading every header Vigil knows and turning its time
/// into an instant with the clock.
struct HeaderParser {
    var clock: LogClock
    /// The last syslog date read (its first 16 bytes) and its instant: consecutive lines share
    /// their second more often than not, and then the date is not parsed again.
    private var lastDate: (low: UInt64, high: UInt64, instant: Timestamp)?

    init(clock: LogClock) { self.clock = clock }

    /// The parts of `line`, or `nil` for a blank line.
    mutating func parse(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let first = line.first else { return nil }
        switch first {
        case 0x3C:  // <PRI>
            return priority(line)
        case 0x40:  // @4000… TAI64N
            return tai64n(line)
        case 0x5B:  // [date] …
            if let parsed = bracketed(line) { return parsed }
        case 0x30...0x39:
            if let parsed = numericDate(line) ?? otherNumericDate(line) { return parsed }
        default:
            if let parsed = textDate(line) ?? javaDate(line) { return parsed }
        }
        if line.starts(with: Self.auditType) { return LogLine(message: line, format: .audit) }
        if let parsed = access(line) { return parsed }
        // No date: journald's short output (`host program[pid]: message`) or a plain line.
        return syslogTail(line, from: 0, time: nil, format: .journal)
    }

    static let auditType = Array("type=".utf8)

    /// Common and combined access logs: `client ident user [10/Oct/2000:13:55:36 -0700] "request" …`.
    private func access(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let open = line.cut(0, 400).find(Self.spaceBracket) else { return nil }
        var scanner = DateScanner(bytes: line, offset: open + 2)
        guard let day = scanner.digits(2), scanner.skip(0x2F), let month = month(line, at: scanner.offset) else {
            return nil
        }
        scanner.offset += 3
        guard scanner.skip(0x2F), let year = scanner.digits(4), scanner.skip(0x3A) else { return nil }
        var time = CivilTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        guard scanner.clock(into: &time), time.isValid, scanner.skip(0x20), let zone = scanner.zone(),
            scanner.skip(0x5D)
        else { return nil }
        let instant = Timestamp(seconds: time.secondsAsUTC - Int64(zone))
        return LogLine(time: instant, message: line, format: .access)
    }

    static let spaceBracket = Array(" [".utf8)

    /// `Mmm dd HH:MM:SS [yyyy]`, with an optional weekday first (ctime: `Fri Jan 19 12:20:33 2007`).
    private mutating func textDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
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
        if isWeekday(line, at: 0) {
            scanner.offset = 4
            weekday = true
        }
        guard let month = month(line, at: scanner.offset) else { return nil }
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

    /// The other date layouts fail2ban's date detector knows, all with a year:
    /// `dd/mm/yyyy H:MM:SS` and `dd-mm-yy …` (day first, as fail2ban reads them), `mm/dd/yyyy:HH:MM:SS`,
    /// `dd/Mon/yyyy:HH:MM:SS [zone]`, `dd-Mon-yyyy HH:MM:SS`, `yyyymmdd[ ]HHMMSS`, `yymmdd HH:MM:SS`.
    private mutating func otherNumericDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
        var scanner = DateScanner(bytes: line, offset: 0)
        // Compact: `20050123 120000`, `20050123120000`, `050123 12:00:00` (MySQL).
        if let compact = scanner.digits(8) {
            _ = scanner.skip(0x20)
            guard let hour = scanner.digits(2), let minute = scanner.digits(2), let second = scanner.digits(2) else {
                return nil
            }
            let time = CivilTime(
                year: compact / 10000, month: compact / 100 % 100, day: compact % 100, hour: hour, minute: minute,
                second: second)
            return dated(line, time, zoneAt: &scanner)
        }
        scanner.offset = 0
        if let short = scanner.digits(6), scanner.skip(0x20) {
            var time = CivilTime(
                year: 2000 + short / 10000, month: short / 100 % 100, day: short % 100, hour: 0, minute: 0, second: 0)
            guard scanner.clock(into: &time) else { return nil }
            return dated(line, time, zoneAt: &scanner)
        }
        scanner.offset = 0
        guard let first = scanner.shortNumber(), let separator = scanner.current, separator == 0x2F || separator == 0x2D
        else { return nil }
        scanner.offset += 1
        var time = CivilTime(year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0)
        if let named = month(line, at: scanner.offset) {
            // `23/Jan/2005:12:00:00 +0100`, `23-Jan-2005 12:00:00`
            scanner.offset += 3
            guard scanner.skip(separator), let year = scanner.digits(4), let between = scanner.current,
                between == 0x3A || between == 0x20
            else { return nil }
            scanner.offset += 1
            time = CivilTime(year: year, month: named, day: first, hour: 0, minute: 0, second: 0)
        } else {
            guard let second = scanner.shortNumber(), scanner.skip(separator) else { return nil }
            let yearStart = scanner.offset
            var year = scanner.digits(4)
            if year == nil {
                scanner.offset = yearStart
                year = scanner.digits(2).map { 2000 + $0 }
            }
            guard let year, let between = scanner.current, between == 0x3A || between == 0x20 else { return nil }
            scanner.offset += 1
            // `mm/dd/yyyy:HH:MM:SS` has a colon; the space layouts are day first, unless that
            // cannot be (a "month" over 12).
            let monthFirst = (between == 0x3A && separator == 0x2F) || (first <= 12 && second > 12)
            time = CivilTime(
                year: year, month: monthFirst ? first : second, day: monthFirst ? second : first, hour: 0, minute: 0,
                second: 0)
        }
        // `%k`: the hour may have one digit.
        if let one = scanner.digits(1) {
            if let two = scanner.digits(1) {
                time.hour = one * 10 + two
            } else {
                time.hour = one
            }
            guard scanner.skip(0x3A), let minute = scanner.digits(2), scanner.skip(0x3A), let second = scanner.digits(2)
            else { return nil }
            time.minute = minute
            time.second = second
            if let mark = scanner.current, mark == 0x2E || mark == 0x2C {
                scanner.offset += 1
                var nanos = 0
                var places = 0
                while let digit = scanner.digits(1) {
                    if places < 9 {
                        nanos = nanos * 10 + digit
                        places += 1
                    }
                }
                for _ in places..<9 { nanos *= 10 }
                time.nanosecond = places > 0 ? nanos : 0
            }
        } else {
            return nil
        }
        return dated(line, time, zoneAt: &scanner)
    }

    /// `Jan 23, 2005 12:00:00 PM` (Java's default format).
    private mutating func javaDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let month = month(line, at: 0), line.count > 7, line[3] == 0x20 else { return nil }
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

    /// The line after a date of year, month, day and time: an optional zone, then the message
    /// (with a program tag if there is one; no host is guessed).
    private mutating func dated(_ line: UnsafeRawBufferPointer, _ time: CivilTime, zoneAt scanner: inout DateScanner)
        -> LogLine?
    {
        guard time.isValid else { return nil }
        let afterTime = scanner.offset
        _ = scanner.skip(0x20)
        let instant: Timestamp
        if let offset = scanner.zone() {
            instant = Timestamp(seconds: time.secondsAsUTC - Int64(offset), nanoseconds: Int64(time.nanosecond))
        } else {
            scanner.offset = afterTime
            instant = clock.instant(time)
        }
        var rest = line.from(scanner.offset).trimmed
        if rest.first == 0x5D { rest = rest.from(1).trimmed }
        var parsed = LogLine(time: instant, message: rest, format: .plain)
        let first = rest.word(at: 0)
        if let tag = Self.tag(first) {
            parsed.program = tag.program
            parsed.pid = tag.pid
            parsed.message = rest.from(first.count + 1)
        }
        return parsed
    }

    /// `yyyy-mm-dd[T ]HH:MM:SS…`, `yyyy/mm/dd HH:MM:SS` (nginx), or an epoch time.
    private mutating func numericDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
        var scanner = DateScanner(bytes: line, offset: 0)
        guard let year = scanner.digits(4) else { return nil }
        guard let separator = scanner.current, separator == 0x2D || separator == 0x2F || separator == 0x2E else {
            return epoch(line)
        }
        scanner.offset += 1
        guard let month = scanner.digits(2), scanner.skip(separator), let day = scanner.digits(2),
            let between = scanner.current, between == 0x54 || between == 0x20
        else { return nil }
        scanner.offset += 1
        var time = CivilTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
        guard scanner.clock(into: &time), time.isValid else { return nil }
        let instant: Timestamp
        let afterClock = scanner.offset
        if scanner.current == 0x20, scanner.offset + 1 < line.count,
            line[scanner.offset + 1] == 0x2B || line[scanner.offset + 1] == 0x2D
        {
            scanner.offset += 1  // `2013-11-16 21:59:30,121 +0100`
        }
        if let offset = scanner.zone() {
            instant = Timestamp(seconds: time.secondsAsUTC - Int64(offset), nanoseconds: Int64(time.nanosecond))
        } else {
            scanner.offset = afterClock
            instant = clock.instant(time)
        }
        if separator == 0x2F, line.from(scanner.offset).trimmed.first == 0x5B {
            // nginx error log: `2012/04/09 11:53:29 [error] 2865#0: *66647 …`
            return LogLine(time: instant, message: line.from(scanner.offset).trimmed, format: .nginxError)
        }
        return syslogTail(line, from: scanner.offset, time: instant, format: .iso)
    }

    /// `1373330716[.415] rest`: seconds since the epoch.
    private func epoch(_ line: UnsafeRawBufferPointer) -> LogLine? {
        var end = 0
        while end < line.count && line[end] >= 0x30 && line[end] <= 0x39 { end += 1 }
        guard end >= 9 && end <= 11, let seconds = line.cut(0, end).integer else { return nil }
        var nanos = 0
        if end < line.count && line[end] == 0x2E {
            var places = 0
            end += 1
            while end < line.count, line[end] >= 0x30, line[end] <= 0x39 {
                if places < 9 {
                    nanos = nanos * 10 + Int(line[end] - 0x30)
                    places += 1
                }
                end += 1
            }
            while places < 9 && places > 0 {
                nanos *= 10
                places += 1
            }
        }
        guard end < line.count, line[end] == 0x20 else { return nil }
        var parsed = LogLine(
            time: Timestamp(seconds: Int64(seconds), nanoseconds: Int64(nanos)), message: line.from(end + 1),
            format: .plain)
        let first = parsed.message.word(at: 0)
        if let tag = Self.tag(first) {
            parsed.program = tag.program
            parsed.pid = tag.pid
            parsed.message = parsed.message.from(first.count + 1)
        }
        return parsed
    }

    /// `[Thu Jul 11 01:21:41 2013] [error] …` (Apache) or `[20220407-12:11:06] [INFO ] …` (xrdp).
    private mutating func bracketed(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let close = line.index(of: 0x5D), close > 8 else { return nil }
        let inside = line.cut(1, close)
        var scanner = DateScanner(bytes: inside, offset: 0)
        if let year = scanner.digits(4), let month = scanner.digits(2), let day = scanner.digits(2), scanner.skip(0x2D)
        {
            var time = CivilTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
            guard scanner.clock(into: &time), time.isValid else { return nil }
            return LogLine(time: clock.instant(time), message: line.from(close + 1).trimmed, format: .xrdp)
        }
        guard isWeekday(inside, at: 0), let month = month(inside, at: 4) else { return nil }
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

    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG` (RFC 5424) or `<PRI>` before an RFC 3164 line.
    private mutating func priority(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let close = line.index(of: 0x3E), close <= 4 else { return nil }
        let rest = line.from(close + 1)
        guard rest.starts(with: Self.version1) else {
            return parse(rest)
        }
        var fields: [UnsafeRawBufferPointer] = []
        var offset = 2
        while fields.count < 5 && offset < rest.count {
            let end = rest.index(of: 0x20, from: offset) ?? rest.count
            fields.append(rest.cut(offset, end))
            offset = end + 1
        }
        guard fields.count == 5 else { return nil }
        var scanner = DateScanner(bytes: fields[0], offset: 0)
        var instant: Timestamp?
        if let year = scanner.digits(4), scanner.skip(0x2D), let month = scanner.digits(2), scanner.skip(0x2D),
            let day = scanner.digits(2), scanner.skip(0x54)
        {
            var time = CivilTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
            if scanner.clock(into: &time), time.isValid {
                if let zone = scanner.zone() {
                    instant = Timestamp(seconds: time.secondsAsUTC - Int64(zone), nanoseconds: Int64(time.nanosecond))
                } else {
                    instant = clock.instant(time)
                }
            }
        }
        // Structured data: `-` or one or more `[id key="value" …]` (values may hold `]` escaped).
        var message = rest.from(offset)
        if message.first == 0x2D {
            message = message.from(1)
        } else {
            var index = 0
            while index < message.count && message[index] == 0x5B {
                var inQuotes = false
                index += 1
                while index < message.count {
                    let byte = message[index]
                    if byte == 0x5C {
                        index += 2
                        continue
                    }
                    if byte == 0x22 { inQuotes.toggle() }
                    index += 1
                    if byte == 0x5D && !inQuotes { break }
                }
            }
            message = message.from(index)
        }
        var parsed = LogLine(time: instant, message: message.trimmed, format: .rfc5424)
        parsed.host = fields[1].first == 0x2D ? parsed.host : fields[1]
        parsed.program = fields[2]
        parsed.pid = fields[3].integer
        return parsed
    }

    static let version1 = Array("1 ".utf8)

    /// `@4000000037c219bf2ef02e94 rest`: daemontools' TAI64N label.
    private mutating func tai64n(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard line.count > 26, line[25] == 0x20 else { return nil }
        var seconds: UInt64 = 0
        var nanos: UInt64 = 0
        for index in 1...24 {
            let byte = line[index] | 0x20
            let digit: UInt64
            switch byte {
            case 0x30...0x39: digit = UInt64(byte - 0x30)
            case 0x61...0x66: digit = UInt64(byte - 0x61 + 10)
            default: return nil
            }
            if index <= 16 { seconds = seconds << 4 | digit } else { nanos = nanos << 4 | digit }
        }
        guard seconds >= 1 << 62 else { return nil }
        let time = Timestamp(seconds: Int64(seconds - (1 << 62)), nanoseconds: Int64(nanos % 1_000_000_000))
        return syslogTail(line, from: 26, time: time, format: .tai64n)
    }

    /// After the date: `host program[pid]: message`, with the host or the tag possibly absent.
    private func syslogTail(
        _ line: UnsafeRawBufferPointer, from start: Int, time: Timestamp?, format: LogLine.Format
    ) -> LogLine {
        var offset = start
        while offset < line.count && line[offset] == 0x20 { offset += 1 }
        var parsed = LogLine(time: time, message: line.from(offset), format: format)
        let first = line.word(at: offset)
        if let tag = Self.tag(first) {
            parsed.program = tag.program
            parsed.pid = tag.pid
            parsed.message = line.from(offset + first.count + 1)
            return parsed
        }
        let secondStart = offset + first.count + 1
        guard secondStart < line.count else { return parsed }
        let second = line.word(at: secondStart)
        if let tag = Self.tag(second) {
            parsed.host = first
            parsed.program = tag.program
            parsed.pid = tag.pid
            parsed.message = line.from(secondStart + second.count + 1)
        } else if format != .journal {
            parsed.host = first
            parsed.message = line.from(secondStart)
        }
        return parsed
    }

    /// A syslog tag: `prog:`, `prog[pid]:`, `prog(sub)[pid]:`, `[prog]:`, `[prog]`, or
    /// `prog[pid]` (ProFTPD writes no colon).
    static func tag(_ word: UnsafeRawBufferPointer) -> (program: UnsafeRawBufferPointer, pid: Int?)? {
        guard word.count >= 2 else { return nil }
        var body = word
        let colon = body.last == 0x3A
        if colon { body = body.cut(0, body.count - 1) }
        if body.first == 0x5B && body.last == 0x5D {
            let name = body.cut(1, body.count - 1)
            return name.isEmpty ? nil : (name, nil)
        }
        if let open = body.index(of: 0x5B), body.last == 0x5D, open > 0 {
            let pid = body.cut(open + 1, body.count - 1).integer
            guard pid != nil || colon else { return nil }
            return (body.cut(0, open), pid)
        }
        guard colon, !body.isEmpty, body.allSatisfy({ $0 > 0x20 && $0 != 0x3D }) else { return nil }
        // A program name has a letter and no `=` (a `key=value:` word is message, not a tag).
        guard body.contains(where: { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A }) else { return nil }
        return (body, nil)
    }
}
