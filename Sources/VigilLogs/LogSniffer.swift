internal import VigilCore

/// Tells, from the first bytes of an input, whether it is a log: past blank lines, comments and
/// undated lines (a header, a banner), up to ``maxLines`` lines, it looks for one line with a
/// time Vigil reads (syslog, ISO 8601, RFC 5424, TAI64N, Apache, nginx, access logs, audit
/// records) or a journald JSON entry. A gzip beginning is inflated as far as it goes.
public enum LogSniffer {
    /// Lines examined at most.
    public static let maxLines = 200

    /// What the first bytes are.
    public enum Verdict: Sendable, Equatable {
        /// Text with a dated log line (or a journald entry) among its first lines.
        case dated
        /// Text, but no dated line among what was examined.
        case undated
        /// Not text: NUL bytes or mostly unprintable bytes in its first non-blank line.
        case binary
        /// Nothing at all.
        case empty
        /// Not enough bytes yet to say (no complete line, and more may come).
        case undecided
    }

    /// An access log line starts with the client (an address or a name): a line of source code
    /// quoting one starts with spaces or a quote, and is not a log.
    static func startsWithHost(_ line: UnsafeRawBufferPointer) -> Bool {
        let first = line.prefix { $0 != 0x20 }
        return !first.isEmpty
            && first.allSatisfy {
                ($0 >= 0x30 && $0 <= 0x3A) || ($0 | 0x20 >= 0x61 && $0 | 0x20 <= 0x7A) || $0 == 0x2E || $0 == 0x2D
                    || $0 == 0x5F || $0 == 0x25
            }
    }

    /// Classifies `bytes`, the beginning of an input; `complete` when they are all of it.
    public static func classify(_ bytes: [UInt8], complete: Bool) -> Verdict {
        if bytes.isEmpty { return complete ? .empty : .undecided }
        guard let reader = LineReader.memory(gzipOrPlain: bytes) else { return .binary }
        var parser = HeaderParser(clock: LogClock(zone: .utc, reference: Timestamp(seconds: 0)))
        var verdict: Verdict?
        var examined = 0
        var text = false
        do {
            try reader.forEachLine { line, _ in
                let trimmed = line.drop { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }
                guard !trimmed.isEmpty else { return true }
                examined += 1
                if !text {
                    // The first non-blank line says whether this is text at all.
                    let printable = line.filter { $0 >= 0x20 || $0 == 0x09 || $0 == 0x0D }.count
                    if line.contains(0) || printable * 100 < line.count * 95 {
                        verdict = .binary
                        return false
                    }
                    text = true
                }
                if trimmed.first == 0x7B {
                    if JournalEntry(line).map({ $0["MESSAGE"] != nil }) == true { verdict = .dated }
                } else if let first = trimmed.first, first != 0x23, first != 0x3B, let parsed = parser.parse(line),
                    parsed.time != nil || parsed.format == .audit, parsed.format != .access || startsWithHost(line)
                {
                    verdict = .dated
                }
                return verdict == nil && examined < maxLines
            }
        } catch {
            // A gzip beginning cut short: what came out of it was examined.
        }
        if let verdict { return verdict }
        if examined == 0 { return complete ? .empty : .undecided }
        return complete || examined >= maxLines ? .undated : .undecided
    }
}
