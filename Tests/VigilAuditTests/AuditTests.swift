import Foundation
import Testing
import VigilCore
import VigilLogs
import VigilRules
import VigilTestSupport

@testable import VigilAudit

@Suite("Finding inputs")
struct InputCollectorTests {
    @Test func foldersAreWalkedAndNonCapturesSkipped() throws {
        let collected = InputCollector().collect([TestPaths.root.appendingPathComponent("samples").path])
        #expect(collected.errors.isEmpty)
        #expect(collected.files.map { ($0.path as NSString).lastPathComponent } == ["office.pcapng"])
        #expect(collected.skipped.contains { $0.hasSuffix("make-samples.py") })
    }

    @Test func kindIsToldByContentNotExtension() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let disguised = folder.appendingPathComponent("notes.txt")
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: TestPaths.fixture("ftp-port-2121.pcap")), to: disguised)
        let hidden = folder.appendingPathComponent(".hidden.pcap")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: TestPaths.fixture("ftp-port-2121.pcap")), to: hidden)
        let collected = InputCollector().collect([folder.path])
        #expect(collected.files.map(\.path) == [disguised.path])
        #expect(collected.files.first?.kind == .pcap)
    }

    @Test func namedFilesMustExistAndBeCaptures() {
        let collected = InputCollector().collect(["/nonexistent/x.pcap", TestPaths.fixture("garbage.pcap")])
        #expect(collected.files.isEmpty)
        #expect(collected.errors.map(\.code) == [.unreadable, .unrecognised])
        #expect(collected.errors[0].description == "/nonexistent/x.pcap: no such file or folder")
    }

    @Test func aFileNamedTwiceIsReadOnce() {
        let path = TestPaths.fixture("ftp-port-2121.pcap")
        #expect(InputCollector().collect([path, path]).files.count == 1)
    }
}

@Suite("Audit runs")
struct AuditRunTests {
    @Test func samplesGiveTheFTPLoginAndTheServersWithoutTLS() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([
            TestPaths.root.appendingPathComponent("samples").path
        ])
        #expect(result.errors.isEmpty)
        let finding = try #require(result.report.findings.first)
        // The login (high), then the two FTP servers that offer no TLS (medium), by server.
        #expect(
            result.report.findings.map(\.rule) == [
                "net.cleartext-credential.ftp", "net.insecure-protocol.ftp", "net.insecure-protocol.ftp",
            ])
        #expect(Set(result.report.findings.dropFirst().compactMap(\.subject.ip)) == ["10.0.0.9", "10.0.0.12"])
        #expect(result.report.devices.count == 5)
        #expect(finding.rule == "net.cleartext-credential.ftp")
        #expect(finding.category == .weakCredential)
        #expect(finding.subject.user == "alice")
        #expect(finding.subject.ip == "10.0.0.5")
        #expect(finding.credential?.secret.masked == "S*********!")
        #expect(finding.evidence.first?.locator == "packet 71")
        #expect(finding.firstSeen.iso8601 == "2025-11-21T09:00:02.535Z")
    }

    @Test func aBadInputDoesNotLoseTheOthers() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([
            TestPaths.fixture("bad-header.pcap"), TestPaths.fixture("ftp-port-2121.pcap"),
        ])
        #expect(result.errors.count == 1)
        #expect(result.report.findings.filter { $0.credential != nil }.count == 2)
        #expect(result.report.inputs.count == 1)
    }

    @Test func twoPasswordsForOneAccountAreTwoFindings() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([TestPaths.fixture("ftp-port-2121.pcap")])
        let credentials = result.report.findings.filter { $0.credential != nil }
        #expect(Set(credentials.compactMap { $0.credential?.outcome.label }) == ["success", "failure"])
        #expect(Set(credentials.map(\.id)).count == 2)
    }
}

@Suite("Audit runs over logs")
struct LogAuditTests {
    static let logs = TestPaths.root.appendingPathComponent("Tests/VigilLogsTests/Fixtures").path

    private func audit(_ paths: [String]) throws -> Audit.Result {
        let rules = RuleSet.load(from: [TestPaths.rules])
        return try Audit(rules: rules, revealSecrets: false, logOptions: LogOptions(zone: .utc)).run(paths)
    }

    /// A folder of logs: rotated files oldest first, text that is no log (the generator script)
    /// skipped, every file read (in parallel) and merged into the same findings on every run.
    @Test func folderOfLogs() throws {
        let first = try audit([Self.logs])
        let names = first.report.inputs.map { ($0.path as NSString).lastPathComponent }
        #expect(names.filter { $0.hasPrefix("auth.log") } == ["auth.log.2.gz", "auth.log.1", "auth.log"])
        #expect(!names.contains("make-fixtures.py"))
        #expect(first.skipped.contains { $0.hasSuffix("make-fixtures.py") })
        let rules = Set(first.report.findings.map(\.rule))
        #expect(
            rules == [
                "linux.policy.uid0-account", "linux.weak-credential.password-as-username",
                "linux.policy.privileged-group-member", "linux.policy.sudo-denied",
            ])
        for _ in 0..<3 {
            let again = try audit([Self.logs])
            func summary(_ result: Audit.Result) -> [String] {
                result.report.findings.map {
                    "\($0.id) \($0.count) \($0.firstSeen) \($0.lastSeen) \($0.evidence.map { $0.source + $0.locator })"
                }
            }
            #expect(summary(again) == summary(first))
            #expect(again.report.inputs == first.report.inputs)
        }
    }

    /// The findings of files read together (on several threads, merged) are those of the same
    /// files read one by one: counts add up, the earliest and latest times span both.
    @Test func parallelReadingMergesLikeOneByOne() throws {
        let files = ["auth.log", "journal.json"].map { Self.logs + "/" + $0 }
        let together = try audit(files)
        let separate = try files.map { try audit([$0]) }
        func counts(_ results: [Audit.Result]) -> [String: Int] {
            var total: [String: Int] = [:]
            for result in results {
                for finding in result.report.findings { total[finding.rule, default: 0] += finding.count }
            }
            return total
        }
        #expect(counts([together]) == counts(separate))
        #expect(!together.report.findings.isEmpty)
    }
}

@Suite("Correlations across log files")
struct CrossFileCorrelationTests {
    /// Failures split between a rotated log and the current one make one brute force, and the
    /// success after them a likely compromise, whatever order the files are named in.
    @Test(arguments: [false, true]) func bruteForceSpansFiles(reversed: Bool) throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        func line(_ second: Int, _ text: String) -> String {
            "Nov 23 10:00:\(second < 10 ? "0" : "")\(second) web1 sshd[\(100 + second)]: \(text)"
        }
        let older = (0..<6).map { line($0, "Failed password for root from 203.0.113.7 port \(40000 + $0) ssh2") }
        let newer =
            (6..<10).map { line($0, "Failed password for admin from 203.0.113.7 port \(40000 + $0) ssh2") }
            + [line(30, "Accepted password for oracle from 203.0.113.7 port 41000 ssh2")]
        let rotated = folder.appendingPathComponent("auth.log.1")
        let current = folder.appendingPathComponent("auth.log")
        try (older.joined(separator: "\n") + "\n").write(to: rotated, atomically: true, encoding: .utf8)
        try (newer.joined(separator: "\n") + "\n").write(to: current, atomically: true, encoding: .utf8)
        let paths = reversed ? [current.path, rotated.path] : [rotated.path, current.path]
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(
            rules: rules, revealSecrets: false,
            logOptions: LogOptions(zone: .utc, reference: Timestamp(seconds: 1_763_942_400))
        ).run(paths)
        let byRule = Dictionary(grouping: result.report.findings, by: \.rule)
        #expect(byRule["linux.brute-force"]?.first?.count == 1)
        #expect(byRule["linux.brute-force"]?.first?.subject.ip == "203.0.113.7")
        let compromise = try #require(byRule["linux.success-after-brute-force"]?.first)
        #expect(compromise.severity == .critical)
        #expect(compromise.evidence.contains { $0.source.hasSuffix("auth.log") && $0.locator == "line 5" })
    }
}
