import FuzzSupport
import VigilCore

@testable import VigilLogs

/// Log lines through the header and date parsers and every service parser. The first byte picks
/// the time zone (UTC, a fixed offset, a POSIX rule, a tz database zone)
/// and whether the year is given; a first line `TZ=...` fuzzes the zone parser itself.
enum Harness {
    static let zones: [LogTimeZone] = [
        .utc, LogTimeZone("+05:30")!, LogTimeZone("CET-1CEST,M3.5.0,M10.5.0/3")!,
        LogTimeZone("America/New_York") ?? .utc,
    ]

    static func run(_ input: FuzzBytes) {
        var input = input
        let head = input.byte()
        var zone = zones[Int(head & 3)]
        var lines = Array(input.rest())
        if lines.starts(with: Array("TZ=".utf8)) {
            let end = lines.firstIndex(of: 0x0A) ?? lines.count
            if let parsed = LogTimeZone(String(decoding: lines[3..<end], as: UTF8.self)) { zone = parsed }
            lines.removeFirst(min(lines.count, end + 1))
        }
        let clock = LogClock(
            zone: zone, reference: Timestamp(seconds: 1_700_000_000), year: head & 8 != 0 ? 2024 : nil)
        let analyzer = LogAnalyzer(path: "fuzz", clock: clock)
        var events: [Event] = []
        try? LineReader.memory(lines).forEachLine { line, number in
            analyzer.analyse(line, number: number, into: &events)
            events.removeAll(keepingCapacity: true)
            return true
        }
    }
}
