import Foundation
import Testing
import VigilCore
import VigilLogs
import VigilReport
import VigilRules
import VigilTestSupport

@testable import VigilAudit

/// The rules on several threads (`--threads`, ``RuleWorkers``) give the report one thread gives:
/// the same findings with the same counts, times, subjects and evidence, the same warnings.
@Suite("Rules on several threads")
struct RuleThreadsTests {
    /// The JSON report of `paths` audited with the shipped rules on `threads` rule threads,
    /// without its time of writing.
    static func report(_ paths: [String], threads: Int) throws -> (json: String, result: Audit.Result) {
        var audit = Audit(
            rules: RuleSet.load(from: [TestPaths.rules]), revealSecrets: false, logOptions: LogOptions(zone: .utc))
        audit.timeZone = "UTC"
        audit.digest = testDigest
        audit.ruleThreads = threads
        var result = try audit.run(paths)
        result.report.generatedAt = Timestamp(nanoseconds: 0)
        return (JSONReport.render(result.report), result)
    }

    /// A log written by bench/make-logs.py (deterministic) of `lines` lines of `shape`.
    static func generated(_ lines: Int, shape: String, in folder: URL) throws -> String {
        let python = try #require(Command.find("python3"))
        let path = folder.appendingPathComponent("auth-\(shape).log").path
        let script = TestPaths.root.appendingPathComponent("bench/make-logs.py").path
        let run = try Command.run(python, [script, path, String(lines), shape])
        #expect(run.status == 0, "\(run.stderr)")
        return path
    }

    /// samples/ (a capture, its inventory, an auth log and an access log): capture events and
    /// log events through the same threads, device enrichment and login sources remembered.
    @Test func samplesGiveTheSameReport() throws {
        let samples = TestPaths.root.appendingPathComponent("samples").path
        let one = try Self.report([samples], threads: 1)
        #expect(one.result.report.findings.count == 27)
        for threads in [2, 3, 5] {
            let many = try Self.report([samples], threads: threads)
            #expect(many.json == one.json, "\(threads) threads")
        }
    }

    /// Several log series (rotated logs of one server, another server's), merged in time order
    /// and shared out.
    @Test func severalSeriesGiveTheSameReport() throws {
        let logs = ["auth.log", "auth.log.1", "auth.log.2.gz", "secure", "access.log", "error.log"].map {
            TestPaths.root.appendingPathComponent("Tests/VigilLogsTests/Fixtures/\($0)").path
        }
        let paths = logs + [TestPaths.sample("logs/auth.log")]
        let one = try Self.report(paths, threads: 1)
        #expect(!one.result.report.findings.isEmpty)
        for threads in [2, 4] {
            #expect(try Self.report(paths, threads: threads).json == one.json, "\(threads) threads")
        }
    }

    /// An Internet-facing server's log (brute force from thousands of addresses) and the bench
    /// log: correlations fire in many groups, each group's events on one thread; the findings,
    /// their counts and their evidence are those of one thread.
    @Test func bruteForceFromManyAddressesGivesTheSameReport() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for shape in ["internet", "bench"] {
            let log = try Self.generated(60_000, shape: shape, in: folder)
            let one = try Self.report([log], threads: 1)
            let findings = one.result.report.findings
            // Correlations fire: spraying from the 400 addresses of the bench shape, brute force
            // too from the few that hammer in the Internet shape.
            #expect(findings.filter { $0.rule == "linux.password-spraying" }.count > 20)
            #expect(findings.contains { $0.rule == "linux.brute-force" } || shape == "bench")
            for threads in [2, 3] {
                #expect(try Self.report([log], threads: threads).json == one.json, "\(shape), \(threads) threads")
            }
        }
    }

    /// A log read twice in a row (`cat auth.log auth.log`): the second copy is late, said on the
    /// input the same way whatever the threads; no brute force is made of the copy.
    @Test func lateEventsAreTheSame() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = try Self.generated(20_000, shape: "bench", in: folder)
        let twice = folder.appendingPathComponent("twice.log")
        let text = try String(contentsOfFile: log, encoding: .utf8)
        try (text + text).write(to: twice, atomically: true, encoding: .utf8)
        let one = try Self.report([twice.path], threads: 1)
        #expect(one.result.report.inputs[0].warnings.contains { $0.contains("were not correlated") })
        #expect(try Self.report([twice.path], threads: 2).json == one.json)
    }

    /// Each thread processes a share of the events (the brute force's groups spread by source
    /// address, the rest by place), and every event exactly once.
    @Test func everyThreadTakesAShare() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = try Self.generated(40_000, shape: "internet", in: folder)
        let set = RuleSet.load(from: [TestPaths.rules])
        let workers = RuleWorkers(rules: set.rules, correlations: set.correlations, workers: 3)
        let outcome = try LogReader(options: LogOptions(zone: .utc)).read(
            origin: .named(log), displayPath: log, batchSize: 1_000
        ) { batch in
            workers.submit(batch)
            batch.removeAll()
        }
        #expect(outcome.error == nil)
        let engine = workers.finish()
        #expect(engine.eventCount == 40_000)
        #expect(workers.shares.count == 3)
        #expect(workers.shares.reduce(0, +) == 40_000)
        for share in workers.shares { #expect(share > 8_000, "shares: \(workers.shares)") }
        #expect(engine.partitionField?.description == "src.ip")
    }
}
