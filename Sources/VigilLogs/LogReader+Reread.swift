public import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

extension LogReader {
    /// The events of some lines of a log read before, read again at their byte offsets (for the
    /// evidence of a finding, whose summary is written only when it is reported): a plain file is
    /// read at each offset, a gzip one inflated up to the last. Each line is parsed on its own,
    /// as it was; its events come back by offset. Lines that can no longer be read (the file
    /// changed, or is gone) are absent.
    public func reread(origin: InputOrigin, displayPath: String, offsets: [Int64]) -> [Int64: [Event]] {
        guard case .file(let path, _) = origin, !offsets.isEmpty else { return [:] }
        let reference = options.reference ?? Self.modificationTime(path) ?? Timestamp.now()
        let analyzer = LogAnalyzer(
            path: displayPath, clock: LogClock(zone: options.zone, reference: reference, year: options.year))
        var found: [Int64: [Event]] = [:]
        let wanted = Set(offsets)
        func analyse(_ line: UnsafeRawBufferPointer, number: Int, offset: Int64) {
            var events: [Event] = []
            if line.first == 0x7B, let entry = JournalEntry(line) {
                analyzer.analyse(journal: entry, number: number, offset: offset, into: &events)
            } else {
                analyzer.analyse(line, number: number, offset: offset, into: &events)
            }
            found[offset] = events
        }
        guard let reader = try? LineReader.open(origin: origin, displayPath: displayPath, limits: options.limits)
        else { return [:] }
        if reader.isGzip {
            let last = offsets.max() ?? 0
            try? reader.forEachLine { line, number in
                let offset = reader.lineOffset
                if wanted.contains(offset) { analyse(line, number: number, offset: offset) }
                return offset < last
            }
            return found
        }
        // A plain file: each line where it starts (the line number is not known here; the
        // summary does not show it).
        let descriptor = SystemCall.open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return [:] }
        defer { SystemCall.close(descriptor) }
        let limit = options.limits.maxLineBytes
        let buffer = UnsafeMutableRawBufferPointer.allocate(byteCount: limit, alignment: 1)
        defer { buffer.deallocate() }
        for offset in wanted.sorted() {
            let got = SystemCall.read(descriptor, into: buffer.baseAddress!, count: limit, at: offset)
            guard got > 0 else { continue }
            var line = UnsafeRawBufferPointer(rebasing: buffer[0..<got])
            if let newline = line.index(of: 0x0A) { line = line.slice(0, newline) }
            if line.last == 0x0D { line = line.slice(0, line.count - 1) }
            analyse(line, number: 0, offset: offset)
        }
        return found
    }
}
