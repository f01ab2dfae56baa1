internal import VigilCore

/// Headers with numeric dates: ISO 8601 and its relatives, fail2ban's other layouts, epoch
/// seconds, RFC 5424 and TAI64N.
extension HeaderParser {
    /// `yyyy-mm-dd[T ]HH:MM:SS…`, `yyyy/mm/dd HH:MM:SS` (nginx), or an epoch time.
    mutating func numericDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
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
        let afterClock = scanner.offset
        if scanner.current == 0x20, scanner.offset + 1 < line.count,
            line[scanner.offset + 1] == 0x2B || line[scanner.offset + 1] == 0x2D
        {
            scanner.offset += 1  // `2013-11-16 21:59:30,121 +0100`
        }
        if scanner.current != 0x5A && scanner.current != 0x2B && scanner.current != 0x2D { scanner.offset = afterClock }
        let instant = scanner.instant(of: time, clock: &clock)
        if separator == 0x2F, line.from(scanner.offset).trimmed.first == 0x5B {
            // nginx error log: `2012/04/09 11:53:29 [error] 2865#0: *66647 …`
            return LogLine(time: instant, message: line.from(scanner.offset).trimmed, format: .nginxError)
        }
        return syslogTail(line, from: scanner.offset, time: instant, format: .iso)
    }

    /// The other date layouts fail2ban's date detector knows, all with a year:
    /// `dd/mm/yyyy H:MM:SS` and `dd-mm-yy …` (day first, as fail2ban reads them), `mm/dd/yyyy:HH:MM:SS`,
    /// `dd/Mon/yyyy:HH:MM:SS [zone]`, `dd-Mon-yyyy HH:MM:SS`, `yyyymmdd[ ]HHMMSS`, `yymmdd HH:MM:SS`.
    mutating func otherNumericDate(_ line: UnsafeRawBufferPointer) -> LogLine? {
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
        if let named = DateScanner.month(line, at: scanner.offset) {
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
        guard scanner.clock(into: &time, shortHour: true) else { return nil }
        return dated(line, time, zoneAt: &scanner)
    }

    /// The line after a date of year, month, day and time: an optional zone, then the message
    /// (with a program tag if there is one; no host is guessed).
    mutating func dated(_ line: UnsafeRawBufferPointer, _ time: CivilTime, zoneAt scanner: inout DateScanner)
        -> LogLine?
    {
        guard time.isValid else { return nil }
        let afterTime = scanner.offset
        _ = scanner.skip(0x20)
        if scanner.current != 0x5A && scanner.current != 0x2B && scanner.current != 0x2D { scanner.offset = afterTime }
        let instant = scanner.instant(of: time, clock: &clock)
        var rest = line.from(scanner.offset).trimmed
        if rest.first == 0x5D { rest = rest.from(1).trimmed }
        var parsed = LogLine(time: instant, message: rest, format: .plain)
        parsed.takeTag(from: rest)
        return parsed
    }

    /// `1373330716[.415] rest`: seconds since the epoch.
    func epoch(_ line: UnsafeRawBufferPointer) -> LogLine? {
        var end = 0
        while end < line.count && line[end] >= 0x30 && line[end] <= 0x39 { end += 1 }
        guard end >= 9 && end <= 11, let seconds = line.slice(0, end).integer else { return nil }
        var scanner = DateScanner(bytes: line, offset: end)
        let nanoseconds = scanner.fraction() ?? 0
        if scanner.current == 0x2E { scanner.offset += 1 }  // a mark with no digit after it
        guard scanner.skip(0x20) else { return nil }
        var parsed = LogLine(
            time: Timestamp(seconds: Int64(seconds), nanoseconds: Int64(nanoseconds)),
            message: line.from(scanner.offset),
            format: .plain)
        parsed.takeTag(from: parsed.message)
        return parsed
    }

    /// `<PRI>1 TIMESTAMP HOST APP PROCID MSGID SD MSG` (RFC 5424) or `<PRI>` before an RFC 3164 line.
    mutating func priority(_ line: UnsafeRawBufferPointer) -> LogLine? {
        guard let close = line.index(of: 0x3E), close <= 4 else { return nil }
        // PRI = facility × 8 + severity, at most 191.
        let facility = line.slice(1, close).integer.flatMap { $0 <= 191 ? $0 / 8 : nil }
        let rest = line.from(close + 1)
        guard rest.starts(with: Self.version1) else {
            var parsed = parse(rest)
            parsed?.facility = facility
            return parsed
        }
        var fields: [UnsafeRawBufferPointer] = []
        var offset = 2
        while fields.count < 5 && offset < rest.count {
            let end = rest.index(of: 0x20, from: offset) ?? rest.count
            fields.append(rest.slice(offset, end))
            offset = end + 1
        }
        guard fields.count == 5 else { return nil }
        var scanner = DateScanner(bytes: fields[0], offset: 0)
        var instant: Timestamp?
        if let year = scanner.digits(4), scanner.skip(0x2D), let month = scanner.digits(2), scanner.skip(0x2D),
            let day = scanner.digits(2), scanner.skip(0x54)
        {
            var time = CivilTime(year: year, month: month, day: day, hour: 0, minute: 0, second: 0)
            if scanner.clock(into: &time), time.isValid { instant = scanner.instant(of: time, clock: &clock) }
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
        parsed.facility = facility
        return parsed
    }

    static let version1 = Array("1 ".utf8)

    /// `@4000000037c219bf2ef02e94 rest`: daemontools' TAI64N label.
    mutating func tai64n(_ line: UnsafeRawBufferPointer) -> LogLine? {
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
}
