import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

/// The bounds on what one log may cost (``LogLimits``): each is reached on real files and stops
/// or trims the reading with a message that names it, keeping what came before.
@Suite struct LogLimitTests {
    static let options = LogOptions(zone: .utc, reference: Timestamp(seconds: 1_763_942_400))

    /// `lines` then `filler` repeated `count` times, gzip-compressed by the system's gzip into a
    /// temporary file.
    static func gzipFile(lines: String, filler: String, count: Int) throws -> String {
        let folder = try TestPaths.temporaryFolder()
        let plain = folder.appendingPathComponent("bomb.log")
        var content = Data(lines.utf8)
        content.append(Data(String(repeating: filler, count: count).utf8))
        try content.write(to: plain)
        let result = try Command.run(
            try #require(Command.find("gzip")), ["-9", "-n", plain.path])
        #expect(result.status == 0, "\(result.stderr)")
        return plain.path + ".gz"
    }

    static let failures = """
        Nov 24 10:00:01 srv sshd[1]: Failed password for root from 203.0.113.5 port 4022 ssh2
        Nov 24 10:00:02 srv sshd[1]: Failed password for root from 203.0.113.5 port 4023 ssh2

        """

    static func read(_ path: String, limits: LogLimits) throws -> (LogReader.Outcome, [Event]) {
        var options = Self.options
        options.limits = limits
        var events: [Event] = []
        let outcome = try LogReader(options: options).read(path: path) { events.append($0) }
        return (outcome, events)
    }

    @Test func aGzipBombStopsAtTheSizeLimitKeepingWhatCameBefore() throws {
        // 16 MiB of one repeated line: ~16 KB compressed.
        let path = try Self.gzipFile(lines: Self.failures, filler: "x\n", count: 8 << 20)
        let (outcome, events) = try Self.read(path, limits: LogLimits(maxDecompressedBytes: 4 << 20))
        let error = try #require(outcome.error)
        #expect(error.code == .limit)
        #expect(error.description.contains("expands past 4194304 bytes"), "\(error)")
        #expect(error.description.contains("line "), "\(error)")
        #expect(events.filter { $0.kind == .authFailure }.count == 2)
    }

    @Test func aGzipBombStopsAtTheRatioLimit() throws {
        let path = try Self.gzipFile(lines: Self.failures, filler: "x\n", count: 8 << 20)
        let (outcome, events) = try Self.read(
            path, limits: LogLimits(maxCompressionRatio: 100, ratioGrace: 1 << 20))
        let error = try #require(outcome.error)
        #expect(error.code == .limit)
        #expect(error.description.contains("more than 100 times"), "\(error)")
        #expect(error.description.contains("decompression bomb"), "\(error)")
        #expect(events.filter { $0.kind == .authFailure }.count == 2)
    }

    @Test func theDefaultsReadARealRotatedLog() throws {
        let path = TestPaths.fixture("auth.log.2.gz", target: "VigilLogsTests")
        let (outcome, events) = try Self.read(path, limits: LogLimits())
        #expect(outcome.error == nil)
        #expect(events.count == 1)
        // A repetitive but genuine log under the ratio grace passes too.
        let repetitive = try Self.gzipFile(lines: Self.failures, filler: Self.failures, count: 20_000)
        let (again, found) = try Self.read(repetitive, limits: LogLimits())
        #expect(again.error == nil)
        #expect(found.count == 40_002)
    }

    @Test func theLineLengthLimitIsConfigurable() throws {
        let path = TestPaths.fixture("junk.log", target: "VigilLogsTests")
        let (outcome, events) = try Self.read(path, limits: LogLimits(maxLineBytes: 1024))
        #expect(
            outcome.input.warnings.contains { $0.hasPrefix("line 8: longer than 1 KiB") }, "\(outcome.input.warnings)")
        #expect(events.compactMap { $0[.srcIP]?.description } == ["192.0.2.90", "192.0.2.91", "192.0.2.92"])
    }

    /// The limits are options of `vigil audit`, and reaching one exits 2 naming the file, the
    /// line and the option that raises it, after reporting what came before.
    @Test func theCommandLineSetsTheLimitsAndNamesThem() throws {
        let path = try Self.gzipFile(lines: Self.failures, filler: "x\n", count: 1 << 20)
        let stopped = try VigilBinary.run(["audit", path, "--max-gunzip-bytes", "1048576", "--fail-on", "none"])
        #expect(stopped.status == 2)
        #expect(stopped.stderr.contains("bomb.log.gz: line "), "\(stopped.stderr)")
        #expect(stopped.stderr.contains("expands past 1048576 bytes"))
        #expect(stopped.stderr.contains("raise --max-gunzip-ratio or --max-gunzip-bytes"))
        #expect(stopped.stdout.contains("bomb.log.gz  log.gz  "), "the lines before the limit are reported")
        let read = try VigilBinary.run(["audit", path, "--fail-on", "none"])
        #expect(read.status == 0, "2 MiB at ~1000:1 is under the default grace of 64 MiB")
        let bad = try VigilBinary.run(["audit", path, "--max-line-bytes", "10"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--max-line-bytes takes 256 to 16777216"))
    }

    /// Inputs the fuzzers found crashing (Fuzz/Regressions/): numbers too large for their type.
    @Test func numbersPastTheirTypeAreReadWithoutATrap() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let journal = folder.appendingPathComponent("journal.json")
        try Data(
            (#"{"__REALTIME_TIMESTAMP":"9223372036854775807","_HOSTNAME":"db1","SYSLOG_IDENTIFIER":"sshd","#
                + #""MESSAGE":"Failed password for root from 192.0.2.110 port 4022 ssh2"}"# + "\n").utf8
        ).write(to: journal)
        let (fromJournal, journalEvents) = try Self.read(journal.path, limits: LogLimits())
        #expect(fromJournal.error == nil)
        #expect(journalEvents.count == 1)
        let syslog = folder.appendingPathComponent("auth.log")
        try Data(
            ("Nov 24 10:00:01 web1 sshd[260]: Failed password for root from 192.0.2.110 port 40000000000000000497 ssh2\n"
                + "Nov 24 10:00:02 web1 sshd[260]: Connection closed by 192.0.2.110 port 99999999999999999999 [preauth]\n")
                .utf8
        ).write(to: syslog)
        let (fromSyslog, syslogEvents) = try Self.read(syslog.path, limits: LogLimits())
        #expect(fromSyslog.error == nil)
        let failure = try #require(syslogEvents.first { $0.kind == .authFailure })
        #expect(failure[.srcIP]?.description == "192.0.2.110")
        #expect(failure[.srcPort] == nil, "a port past 65535 is no port")
    }
}
