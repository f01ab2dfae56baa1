import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

@Suite("Log scanner: times")
struct LogTimeTests {
    /// A December line in a file last written in January belongs to the year before.
    @Test func yearRollsBackAcrossNewYear() throws {
        let january = LogOptions(zone: .utc, reference: Timestamp(seconds: 1_767_225_700))  // 2026-01-01T00:01:40Z
        let (_, events) = try read("new-year.log", options: january)
        #expect(events.map { $0.time.iso8601 } == ["2025-12-31T23:59:59Z", "2026-01-01T00:00:01Z"])
        let given = LogOptions(zone: .utc, year: 2019)
        let (_, forced) = try read("new-year.log", options: given)
        #expect(forced.map { $0.time.iso8601 } == ["2019-12-31T23:59:59Z", "2019-01-01T00:00:01Z"])
    }

    /// Year-less times are local times of the zone given: a POSIX rule with daylight saving.
    @Test func timeZones() throws {
        let paris = LogOptions(
            zone: try #require(LogTimeZone("Europe/Paris")), reference: Timestamp(seconds: 1_763_942_400))
        let (_, events) = try read("auth.log", options: paris)
        #expect(events.first?.time.iso8601 == "2025-11-23T07:00:01Z")  // 08:00:01 CET, the first line
        let posix = try #require(LogTimeZone("CET-1CEST,M3.5.0,M10.5.0/3"))
        var clock = LogClock(zone: posix, reference: Timestamp(seconds: 1_763_942_400))
        let summer = clock.instant(CivilTime(year: 2025, month: 7, day: 1, hour: 12, minute: 0, second: 0))
        let winter = clock.instant(CivilTime(year: 2025, month: 1, day: 1, hour: 12, minute: 0, second: 0))
        #expect(summer.iso8601 == "2025-07-01T10:00:00Z")
        #expect(winter.iso8601 == "2025-01-01T11:00:00Z")
        // The last Sunday of March 2025 is the 30th: 02:30 CET does not exist, 03:30 is CEST.
        let afterChange = clock.instant(CivilTime(year: 2025, month: 3, day: 30, hour: 3, minute: 30, second: 0))
        #expect(afterChange.iso8601 == "2025-03-30T01:30:00Z")
        #expect(LogTimeZone("+05:30") != nil)
        #expect(LogTimeZone("Not/AZone") == nil)
    }

    /// Every dated layout of fail2ban's detector, TAI64N and epoch: the same instant each time.
    @Test func fail2banDateLayouts() throws {
        let options = LogOptions(zone: .utc, reference: Timestamp(seconds: 1_124_013_600))  // 2005-08-14
        let (outcome, events) = try read("dates.log", options: options)
        #expect(outcome.input.lines == 19)
        #expect(events.compactMap(line) == Array(1...19))
        for event in events {
            #expect(event.time.wholeSeconds.iso8601 == "2005-01-23T12:00:00Z", "line \(line(event) ?? 0)")
            #expect(field(event, .srcIP) == "192.0.2.\(line(event) ?? 0)")
        }
    }

    /// rsyslog's high-precision format, RFC 5424, and offsets: every line an instant in UTC.
    @Test func isoAndRFC5424() throws {
        let (_, events) = try read("secure")
        #expect(
            events.map { $0.time.iso8601 } == [
                "2025-03-09T06:59:59.500Z", "2025-03-09T03:00:00.000001Z", "2025-03-09T10:00:00.250Z",
            ])
        #expect(events.map { field($0, .logFormat) } == ["iso", "iso", "rfc5424"])
        #expect(field(events[2], .userName) == "test")
        #expect(field(events[2], .processPID) == "7003")
    }
}

@Suite("Log scanner: formats and files")
struct LogFormatTests {
    @Test func journaldExport() throws {
        let (outcome, events) = try read("journal.json")
        #expect(outcome.input.kind == "journal")
        #expect(events.map(\.kind) == [.authFailure, .authSuccess, .authFailure, .privilegeDenied])
        #expect(events[0].time.iso8601 == "2025-11-23T08:00:00Z")
        #expect(field(events[0], .service) == "sshd-session")
        #expect(field(events[0], .hostName) == "db1")
        #expect(field(events[0], .processPID) == "6001")
        // MESSAGE given as bytes (not valid UTF-8): still read.
        #expect(field(events[2], .srcIP) == "192.0.2.61")
        #expect(field(events[3], .userName) == "dave")
    }

    @Test func accessAndErrorLogs() throws {
        let (_, access) = try read("access.log")
        let requests = access.filter { $0.kind == .httpRequest }
        #expect(requests.count == 4)
        #expect(requests.map { field($0, .httpStatus) } == ["200", "401", "200", "403"])
        #expect(field(requests[1], .userName) == "admin")
        #expect(field(requests[3], .srcIP) == "2001:db8::72")
        #expect(requests[0].time.iso8601 == "2025-11-23T08:00:00Z")
        let failures = access.filter { $0.kind == .authFailure }
        #expect(failures.count == 1)
        #expect(field(failures.first, .userName) == "admin")
        let (_, errors) = try read("error.log")
        #expect(errors.map { field($0, .service) } == ["nginx", "apache"])
        #expect(errors.map { field($0, .userName) } == ["admin", "bob"])
        #expect(errors.map { field($0, .srcIP) } == ["192.0.2.80", "192.0.2.81"])
    }

    @Test func gzipRotatedLog() throws {
        let (outcome, events) = try read("auth.log.2.gz")
        #expect(outcome.input.kind == "log.gz")
        #expect(events.count == 1)
        #expect(field(events.first, .srcIP) == "203.0.113.2")
    }

    /// Binary junk, invalid UTF-8 and a 3 MB line: the good lines around them are read, and
    /// the warnings name the lines.
    @Test func badInputKeepsTheGoodLines() throws {
        let (outcome, events) = try read("junk.log")
        #expect(events.compactMap { field($0, .srcIP) } == ["192.0.2.90", "192.0.2.91", "192.0.2.92"])
        #expect(outcome.input.warnings.contains { $0.hasPrefix("line 2: binary data") })
        #expect(outcome.input.warnings.contains { $0.hasPrefix("line 8: longer than 64 KiB") })
        #expect(outcome.error == nil)
    }

    @Test func truncatedGzipWarnsAndKeepsWhatItHolds() throws {
        let (outcome, events) = try read("truncated.log.gz")
        #expect(events.count > 100)
        #expect(events.count < 2000)
        #expect(outcome.input.warnings.contains { $0.contains("truncated gzip") })
        // Every event read is whole: consecutive lines from the first.
        #expect(events.compactMap(line) == Array(1...events.count))
    }

    @Test func standardInputIsALog() throws {
        let pipe = Pipe()
        let saved = dup(0)
        dup2(pipe.fileHandleForReading.fileDescriptor, 0)
        defer {
            dup2(saved, 0)
            close(saved)
        }
        pipe.fileHandleForWriting.write(
            Data("Nov 23 08:00:02 h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2\n".utf8))
        try pipe.fileHandleForWriting.close()
        var events: [Event] = []
        let outcome = try LogReader(options: LogOptions(zone: .utc)).read(path: "-", displayPath: "(standard input)") {
            events.append($0)
        }
        #expect(outcome.input.path == "(standard input)")
        #expect(events.count == 1)
    }

    @Test func unreadableFileIsAnError() {
        #expect(throws: VigilError.self) { try LogReader().read(path: "/nonexistent/auth.log") { _ in } }
    }
}

@Suite("Log scanner: pieces")
struct LogPieceTests {
    @Test func passwordShapedNames() {
        #expect(looksLikePassword("Winter2025!"))
        #expect(looksLikePassword("P@ssw0rd123"))
        #expect(!looksLikePassword("root"))
        #expect(!looksLikePassword("test-ipv6"))
        #expect(!looksLikePassword("administrator"))
        #expect(!looksLikePassword("Administrator"))
    }

    @Test func addresses() {
        func address(_ text: String) -> LogAddress? {
            Array(text.utf8).withUnsafeBytes { LogAddress($0) }
        }
        #expect(address("::ffff:192.0.2.1")?.ip == "192.0.2.1")
        #expect(address("[2001:DB8::1]")?.ip == "2001:db8::1")
        #expect(address("mail.example.org")?.domain == "mail.example.org")
        #expect(address("unknown") == nil)
        #expect(address("not an address") == nil)
    }
}
