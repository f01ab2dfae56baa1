internal import Foundation
public import VigilCore

/// How log times are read: the zone of local times, and the year of year-less ones.
public struct LogOptions: Sendable {
    /// The zone the logs' local times are in (default: this machine's).
    public var zone: LogTimeZone
    /// The year of every year-less (RFC 3164) time, instead of inferring it.
    public var year: Int?
    /// The time year-less times are inferred against, instead of each file's modification time.
    public var reference: Timestamp?
    /// Bounds on line length and on how far a gzip log may expand.
    public var limits = LogLimits()

    /// Logs read in `zone`, year-less times in `year` or inferred against `reference`.
    public init(zone: LogTimeZone = .local, year: Int? = nil, reference: Timestamp? = nil) {
        self.zone = zone
        self.year = year
        self.reference = reference
    }
}

/// Bounds on what one log may cost to read, whatever its content: an intruder writes into logs,
/// and a gzip bomb is a few kilobytes.
public struct LogLimits: Sendable, Equatable {
    /// The longest line read (default 64 KiB); the rest of a longer line is skipped, with a warning.
    public var maxLineBytes: Int
    /// The most bytes a gzip log may expand to (default 64 GiB); past it the reading stops
    /// with a `limit` error, keeping what was read.
    public var maxDecompressedBytes: Int64
    /// The largest expansion ratio of a gzip log (default 250: text logs compress 5-30 times,
    /// even repetitive ones rarely 100; deflate's maximum is 1032), checked once
    /// ``ratioGrace`` bytes have come out, so that a small file of repeated lines passes.
    public var maxCompressionRatio: Int
    /// Bytes decompressed before the ratio is checked (default 64 MiB).
    public var ratioGrace: Int64

    /// Limits on what a log may cost (line length, gzip expansion).
    public init(
        maxLineBytes: Int = 64 * 1024, maxDecompressedBytes: Int64 = 64 << 30, maxCompressionRatio: Int = 250,
        ratioGrace: Int64 = 64 << 20
    ) {
        self.maxLineBytes = max(256, maxLineBytes)
        self.maxDecompressedBytes = maxDecompressedBytes
        self.maxCompressionRatio = maxCompressionRatio
        self.ratioGrace = ratioGrace
    }
}

/// Reads a log file (plain, rotated, gzip, journald JSON export, web server logs, or standard
/// input as `-`) and turns its lines into events, streaming: memory does not grow with the file.
public struct LogReader: Sendable {
    public var options: LogOptions

    /// A reader with `options`.
    public init(options: LogOptions = LogOptions()) { self.options = options }

    /// What reading a log produced.
    public struct Outcome: Sendable {
        public var input: InputReport
        /// A problem that stopped the reading early; the lines before it were analysed.
        public var error: VigilError?
    }

    /// Reads `path` (named `displayPath` in messages and evidence), calling `handler` with each
    /// event in line order.
    ///
    /// - Throws: ``VigilError`` when the file cannot be opened; a file that breaks off (a
    ///   truncated gzip, a read error) is reported in ``Outcome``, with what came before it.
    public func read(path: String, displayPath: String? = nil, handler: (Event) throws -> Void) throws -> Outcome {
        try read(origin: InputOrigin.named(path), displayPath: displayPath ?? path, handler: handler)
    }

    /// Reads an input examined before (see ``InputOrigin``: a file, or a stream whose first
    /// bytes were read to tell its kind), named `displayPath` in messages and evidence.
    public func read(origin: InputOrigin, displayPath: String, handler: (Event) throws -> Void) throws -> Outcome {
        try read(origin: origin, displayPath: displayPath, batchSize: 1) { events in
            for event in events { try handler(event) }
        }
    }

    /// Reads an input as ``read(origin:displayPath:handler:)`` does, handing the events on in
    /// batches of about `batchSize` (whole lines: a batch ends after the line that fills it, and
    /// the last may be shorter) to `batches`, which may take the array (moving it out costs no
    /// copy of the events). Events read before a break in the input are handed on too.
    public func read(
        origin: InputOrigin, displayPath: String, batchSize: Int, batches: (inout [Event]) throws -> Void
    ) throws -> Outcome {
        let name = displayPath
        let reader = try LineReader.open(origin: origin, displayPath: name, limits: options.limits)
        let reference =
            options.reference ?? origin.filePath.flatMap(Self.modificationTime) ?? Timestamp.now()
        let clock = LogClock(zone: options.zone, reference: reference, year: options.year)
        let analyzer = LogAnalyzer(path: name, clock: clock)
        var input = InputReport(path: name, kind: "log", lines: 0)
        // Where a line can be read again (evidence is re-read when reported): a file only, not
        // a pipe or standard input, whose lines are gone once read (-1: their evidence is
        // written at once).
        let rereadable: Bool
        if case .file = origin { rereadable = true } else { rereadable = false }
        func offset() -> Int64 { rereadable ? reader.lineOffset : -1 }
        var events: [Event] = []
        events.reserveCapacity(batchSize)
        var seen = 0
        var stop: VigilError?
        var journal: Bool?
        var binaryWarned = false
        var clockWatch = BackwardTime()
        var encoding = EncodingWatch()
        do {
            try reader.forEachLine { line, number in
                if journal == nil, let first = line.first(where: { $0 != 0x20 && $0 != 0x09 }) {
                    journal = first == 0x7B
                    if journal == true { input.kind = "journal" }
                }
                encoding.see(line, number: number)
                if !binaryWarned, line.index(of: 0) != nil {
                    binaryWarned = true
                    input.warnings.append("line \(number): binary data (NUL bytes); such lines are read as text")
                }
                if journal == true {
                    if let entry = JournalEntry(line) {
                        analyzer.analyse(journal: entry, number: number, offset: offset(), into: &events)
                    } else if !line.isEmpty {
                        input.warnings.append("line \(number): not a journald JSON object; skipped")
                    }
                } else {
                    analyzer.analyse(line, number: number, offset: offset(), into: &events)
                }
                if events.count > seen {
                    if analyzer.lastLineDated {
                        for index in seen..<events.count { clockWatch.see(events[index].time, line: number) }
                    }
                    seen = events.count
                    if seen >= batchSize {
                        try batches(&events)
                        events.removeAll(keepingCapacity: true)
                        seen = 0
                    }
                }
                return true
            }
            if !events.isEmpty { try batches(&events) }
        } catch let failure as LineReader.Failure {
            if !events.isEmpty { try batches(&events) }
            let at = reader.lineNumber
            switch failure {
            case .truncatedGzip:
                input.warnings.append("truncated gzip: the stream ends inside a member after line \(at)")
            case .gzip(let message):
                stop = VigilError(
                    .corrupt, path: name, position: .line(at + 1), reason: "corrupt gzip data: \(message)",
                    hint: "the lines before it were analysed")
            case .read(let message):
                stop = VigilError(
                    .unreadable, path: name, position: .line(at + 1), reason: "read error: \(message)",
                    hint: "the lines before it were analysed")
            case .limit(let message):
                stop = VigilError(
                    .limit, path: name, position: .line(at + 1), reason: message,
                    hint: "the lines before it were analysed; for a genuine log, raise the gzip limits",
                    remedy: .raiseTheGzipLimits)
            }
        }
        if reader.overlong > 0 {
            input.warnings.append(
                "line \(reader.firstOverlong ?? 0): longer than \(size(reader.maxLine)); read up to there "
                    + "(\(reader.overlong) such line(s))")
        }
        if let warning = clockWatch.warning { input.warnings.append(warning) }
        if let warning = encoding.warning { input.warnings.append(warning) }
        if reader.isGzip { input.kind += ".gz" }
        input.lines = reader.lineNumber
        input.unrecognisedLines = analyzer.unrecognised
        return Outcome(input: input, error: stop)
    }

    /// The time of the first dated line of `path` (among its first lines), read with these
    /// options; `nil` when none has a time. Used to put logs named out of order back in order.
    public func firstTime(path: String) -> Timestamp? {
        guard path != "-", let reader = try? LineReader.open(path: path) else { return nil }
        let reference = options.reference ?? Self.modificationTime(path) ?? Timestamp.now()
        var parser = HeaderParser(clock: LogClock(zone: options.zone, reference: reference, year: options.year))
        var found: Timestamp?
        var examined = 0
        try? reader.forEachLine { line, _ in
            examined += 1
            if line.first == 0x7B, let entry = JournalEntry(line),
                let micros = entry["__REALTIME_TIMESTAMP"].flatMap({ Int64(String(decoding: $0, as: UTF8.self)) })
            {
                found = Timestamp(nanoseconds: micros &* 1000)
            } else if let parsed = parser.parse(line) {
                found = parsed.time
            }
            return found == nil && examined < 50
        }
        return found
    }

    static func modificationTime(_ path: String) -> Timestamp? {
        guard path != "-", let attributes = try? FileManager.default.attributesOfItem(atPath: path),
            let date = attributes[.modificationDate] as? Date
        else { return nil }
        return Timestamp(seconds: Int64(date.timeIntervalSince1970))
    }
}

/// Notices lines that are not valid UTF-8: they are read as text all the same (the bytes that are
/// not UTF-8 shown as U+FFFD in reports), and the report says where. ASCII lines, nearly all,
/// cost one pass over eight bytes at a time.
struct EncodingWatch {
    private var lines: [Int] = []
    private var count = 0

    mutating func see(_ line: UnsafeRawBufferPointer, number: Int) {
        guard Self.hasHighBytes(line) else { return }
        guard String(validating: line, as: UTF8.self) == nil else { return }
        count += 1
        if lines.count < 5 { lines.append(number) }
    }

    static func hasHighBytes(_ line: UnsafeRawBufferPointer) -> Bool {
        var index = 0
        while index + 8 <= line.count {
            if line.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 != 0 { return true }
            index += 8
        }
        while index < line.count {
            if line[index] >= 0x80 { return true }
            index += 1
        }
        return false
    }

    /// The warning for the input, if some line was not UTF-8.
    var warning: String? {
        guard count > 0 else { return nil }
        let first = lines.map(String.init).joined(separator: ", ")
        return
            "invalid UTF-8 on \(count) line(s) (line\(lines.count > 1 ? "s" : "") \(first)\(count > lines.count ? ", …" : "")): "
            + "read as text, the invalid bytes shown as U+FFFD"
    }
}

/// Notices a log whose time goes backwards (a file concatenated newest first, a clock set back,
/// lines of two machines interleaved): rules judge windows by event time whatever the order,
/// but the reader of a report should know the file is not in order.
struct BackwardTime {
    /// Backward steps smaller than this are the ordinary jitter of syslog's one-second times.
    static let tolerance: Int64 = 5_000_000_000
    private var latest: Timestamp?
    private var first: (line: Int, from: Timestamp, to: Timestamp)?
    private var count = 0

    mutating func see(_ time: Timestamp, line: Int) {
        guard let previous = latest else {
            latest = time
            return
        }
        if time.nanoseconds < previous.nanoseconds - Self.tolerance {
            count += 1
            if first == nil { first = (line, previous, time) }
        }
        if time > previous { latest = time }
    }

    /// The warning for the input, if its time went back.
    var warning: String? {
        guard let first else { return nil }
        let back = (first.from.nanoseconds - first.to.nanoseconds) / 1_000_000_000
        var text =
            "line \(first.line): the time goes back \(Self.duration(back)), from \(first.from.iso8601) to \(first.to.iso8601)"
        if count > 1 { text += " (\(count) times in this file)" }
        return text + "; correlations judge event time and honour events up to 15 minutes out of order"
    }

    static func duration(_ seconds: Int64) -> String {
        if seconds < 120 { return "\(seconds) s" }
        if seconds < 7200 { return "\(seconds / 60) min" }
        if seconds < 172_800 { return "\(seconds / 3600) h" }
        return "\(seconds / 86_400) days"
    }
}

/// `64 KiB` for whole kibibytes, else `1000 bytes`.
private func size(_ bytes: Int) -> String { bytes % 1024 == 0 ? "\(bytes / 1024) KiB" : "\(bytes) bytes" }

extension LogAnalyzer {
    /// Analyses one journald entry: its fields stand for the syslog header.
    func analyse(journal entry: JournalEntry, number: Int, offset: Int64 = -1, into events: inout [Event]) {
        guard let message = entry["MESSAGE"] else { return }
        var time: Timestamp?
        if let micros = entry["__REALTIME_TIMESTAMP"].flatMap({ Int64(String(decoding: $0, as: UTF8.self)) }) {
            time = Timestamp(nanoseconds: micros &* 1000)
        }
        let identifier = entry["SYSLOG_IDENTIFIER"] ?? entry["_COMM"] ?? []
        let host = entry["_HOSTNAME"] ?? []
        let pid =
            entry["_PID"].flatMap { Int(String(decoding: $0, as: UTF8.self)) }
            ?? entry["SYSLOG_PID"].flatMap { Int(String(decoding: $0, as: UTF8.self)) }
        let facility = entry["SYSLOG_FACILITY"].flatMap { Int(String(decoding: $0, as: UTF8.self)) }.flatMap {
            (0...23).contains($0) ? $0 : nil
        }
        message.withUnsafeBytes { messageBytes in
            identifier.withUnsafeBytes { program in
                host.withUnsafeBytes { hostBytes in
                    var line = LogLine(time: time, message: messageBytes, format: .journal)
                    line.program = program
                    line.host = hostBytes
                    line.pid = pid
                    line.facility = facility
                    analyse(parsed: line, raw: messageBytes, number: number, offset: offset, into: &events)
                }
            }
        }
    }
}
