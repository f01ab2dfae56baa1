import FuzzSupport
import VigilCore

@testable import VigilLogs

/// journald JSON export lines (`journalctl -o json`): the JSON reader, then the entry's
/// fields standing for the syslog header, then the service parsers on its MESSAGE.
enum Harness {
    static func run(_ input: FuzzBytes) {
        let clock = LogClock(zone: .utc, reference: Timestamp(seconds: 1_700_000_000))
        let analyzer = LogAnalyzer(path: "fuzz", clock: clock)
        var events: [Event] = []
        try? LineReader.memory(input.array).forEachLine { line, number in
            if let entry = JournalEntry(line) {
                analyzer.analyse(journal: entry, number: number, into: &events)
                events.removeAll(keepingCapacity: true)
            }
            return true
        }
    }
}
