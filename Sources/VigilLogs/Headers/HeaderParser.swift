internal import VigilCore

/// Splits lines into ``LogLine``s, reading every header Vigil knows and turning its time
/// into an instant with the clock.
struct HeaderParser {
    var clock: LogClock
    /// The last syslog date read (its first 16 bytes) and its instant: consecutive lines share
    /// their second more often than not, and then the date is not parsed again.
    var lastDate: (low: UInt64, high: UInt64, instant: Timestamp)?

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

    /// After the date: `host program[pid]: message`, with the host or the tag possibly absent.
    func syslogTail(
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
        if colon { body = body.slice(0, body.count - 1) }
        if body.first == 0x5B && body.last == 0x5D {
            let name = body.slice(1, body.count - 1)
            return name.isEmpty ? nil : (name, nil)
        }
        if let open = body.index(of: 0x5B), body.last == 0x5D, open > 0 {
            let pid = body.slice(open + 1, body.count - 1).integer
            guard pid != nil || colon else { return nil }
            return (body.slice(0, open), pid)
        }
        guard colon, !body.isEmpty, body.allSatisfy({ $0 > 0x20 && $0 != 0x3D }) else { return nil }
        // A program name has a letter and no `=` (a `key=value:` word is message, not a tag).
        guard body.contains(where: { $0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A }) else { return nil }
        return (body, nil)
    }
}
