import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

func fixture(_ name: String) -> String { TestPaths.fixture(name, target: "VigilLogsTests") }

/// Reads a fixture in UTC, with year-less times placed against 2025-11-24T12:00:00Z.
func read(
    _ name: String, options: LogOptions = LogOptions(zone: .utc, reference: Timestamp(seconds: 1_763_942_400))
) throws -> (LogReader.Outcome, [Event]) {
    var events: [Event] = []
    let outcome = try LogReader(options: options).read(path: fixture(name)) { events.append($0) }
    return (outcome, events)
}

/// The events of each of `lines`, read in order as one log (in UTC, year-less times against
/// 2025-11-24T12:00:00Z): element N holds the events of line N + 1. A test states its own lines,
/// so no test depends on another's place in a shared file.
func events(of lines: String...) -> [[Event]] {
    let analyzer = LogAnalyzer(
        path: "test.log", clock: LogClock(zone: .utc, reference: Timestamp(seconds: 1_763_942_400)))
    return lines.enumerated().map { index, line in
        var events: [Event] = []
        Array(line.utf8).withUnsafeBytes { analyzer.analyse($0, number: index + 1, into: &events) }
        return events
    }
}

/// The only event of `events`.
func only(_ events: [Event], sourceLocation: Testing.SourceLocation = #_sourceLocation) -> Event? {
    #expect(events.count == 1, "\(events.map(\.kind))", sourceLocation: sourceLocation)
    return events.first
}

func line(_ event: Event) -> Int? {
    if case .line(let number) = event.source.position { return number }
    return nil
}

func field(_ event: Event?, _ field: Field) -> String? { event?[field]?.description }
