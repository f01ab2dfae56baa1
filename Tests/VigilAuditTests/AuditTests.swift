import Foundation
import Testing
import VigilCore
import VigilLogs
import VigilRules
import VigilTestSupport

@testable import VigilAudit

/// One digest key for runs whose findings are compared (credential findings' ids include their
/// secret's keyed digest).
let testDigest = try! SecretDigest(key: [UInt8](repeating: 7, count: 32), origin: .organisation)

extension [InputCollector.Entry] {
    /// The files to read.
    var files: [InputFile] {
        compactMap { if case .read(let file) = $0.status, file.kind != .inventory { file } else { nil } }
    }
    var inventories: [String] {
        compactMap { if case .read(let file) = $0.status, file.kind == .inventory { file.path } else { nil } }
    }
    var skipped: [String] { compactMap { if case .skipped = $0.status { $0.path } else { nil } } }
    /// The paths that could not be read, with why.
    var unreadable: [String] {
        compactMap { if case .unreadable(let error) = $0.status { error.description } else { nil } }
    }
}

@Suite("Finding inputs")
struct InputCollectorTests {
    @Test func foldersAreWalkedAndNonCapturesSkipped() throws {
        let collected = InputCollector().collect([TestPaths.root.appendingPathComponent("samples").path])
        #expect(collected.unreadable.isEmpty)
        #expect(
            collected.files.map { ($0.path as NSString).lastPathComponent } == [
                "access.log", "auth.log", "office.pcapng",
            ])
        #expect(collected.inventories.map { ($0 as NSString).lastPathComponent } == ["inventory.csv"])
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
        #expect(collected.skipped == [hidden.path], "a hidden file is listed, not read")
    }

    @Test func namedFilesMustExistAndBeCaptures() {
        let collected = InputCollector().collect(["/nonexistent/x.pcap", TestPaths.fixture("garbage.pcap")])
        #expect(collected.files.isEmpty)
        #expect(collected.unreadable.count == 2)
        #expect(collected.unreadable[0] == "/nonexistent/x.pcap: no such file or folder")
        #expect(
            collected.unreadable[1].contains(
                "neither a capture (no pcap or pcapng magic number) nor a text or gzip log"))
    }

    @Test func aFileNamedTwiceIsReadOnce() {
        let path = TestPaths.fixture("ftp-port-2121.pcap")
        #expect(InputCollector().collect([path, path]).files.count == 1)
    }
}

@Suite("Audit runs")
struct AuditRunTests {
    /// `samples/` (a capture, an inventory, an auth log and an access log) gives findings of
    /// every category, each about the right subject (samples/README.md tells the story).
    @Test func samplesGiveFindingsOfEveryCategory() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        var audit = Audit(rules: rules, revealSecrets: false, logOptions: LogOptions(zone: .utc))
        audit.timeZone = "UTC"
        let result = try audit.run([TestPaths.root.appendingPathComponent("samples").path])
        #expect(result.errors.isEmpty)
        let findings = result.report.findings
        #expect(Set(findings.map(\.category)) == Set(Category.allCases))
        func subjects(_ rule: String) -> [Subject] { findings.filter { $0.rule == rule }.map(\.subject) }

        let ftp = try #require(findings.first { $0.rule == "net.cleartext-credential.ftp" })
        #expect(ftp.subject.user == "alice")
        #expect(ftp.subject.ip == "10.0.0.5")
        #expect(ftp.credential?.secret.masked == "S*********!")
        #expect(ftp.evidence.first?.locator == "packet 71")
        #expect(ftp.firstSeen.iso8601 == "2025-11-21T09:00:02.535Z")
        let weak = try #require(findings.first { $0.rule == "credential.weak-password" })
        #expect(weak.subject.user == "alice")
        #expect(weak.credential?.strength?.score == 1)
        #expect(weak.credential?.strength?.weakBecause.contains { $0.contains("a common word") } == true)
        #expect(Set(subjects("net.insecure-protocol.ftp").compactMap(\.ip)) == ["10.0.0.9", "10.0.0.12"])
        #expect(subjects("net.snmp-default-community").map(\.ip) == ["10.0.0.30"])
        #expect(subjects("credential.default-credential").map(\.user) == ["admin"])

        // Devices: the rogue MAC is unmanaged and took the gateway's address; the desktop the
        // inventory says was disposed of is back.
        #expect(subjects("device.unmanaged").map(\.mac) == ["02:42:ac:11:00:66"])
        #expect(subjects("device.arp-flip-flop").map(\.ip) == ["10.0.0.1"])
        #expect(subjects("device.disposed-asset-seen").map(\.mac) == ["f4:8e:38:aa:bb:cc"])
        #expect(result.report.devices.count == 8)
        #expect(result.report.devices.filter { !$0.managed }.map(\.mac) == ["02:42:ac:11:00:66"])
        #expect(result.report.devices.first { $0.mac == "f4:8e:38:aa:bb:cc" }?.assetStatus == "disposed")

        // Logs: the brute force and the success after it, spraying, the web burst, and the rest.
        #expect(subjects("linux.success-after-brute-force").map(\.ip) == ["198.51.100.23"])
        #expect(subjects("linux.password-spraying").map(\.ip) == ["203.0.113.77"])
        #expect(subjects("linux.web-brute-force").map(\.ip) == ["203.0.113.50"])
        #expect(subjects("linux.policy.sudo-shell").map(\.user) == ["alice"])
        #expect(subjects("linux.policy.new-source-login").map(\.ip) == ["192.0.2.200"])
        #expect(Set(subjects("linux.policy.off-hours-login").compactMap(\.ip)) == ["198.51.100.23", "192.0.2.200"])
        for rule in [
            "linux.policy.root-login", "linux.policy.uid0-account", "linux.policy.privileged-group-member",
            "linux.policy.sudo-denied", "linux.weak-credential.password-as-username", "net.cleartext-credential.snmp",
            "net.cleartext-credential.http-basic", "net.insecure-protocol.http-auth", "linux.brute-force",
        ] {
            #expect(subjects(rule).count == 1, "\(rule)")
        }
        // Findings name what they are about: the account and host a brute force broke into, the
        // UID 0 account, the FTP server that lets anyone in.
        let compromise = try #require(subjects("linux.success-after-brute-force").first)
        #expect(compromise.user == "root" && compromise.host == "files")
        #expect(subjects("linux.policy.uid0-account").map(\.user) == ["svc-backup"])
        #expect(subjects("net.anonymous-ftp").map(\.ip) == ["10.0.0.12"])
        #expect(findings.count == 27)
    }

    /// Without an inventory the device rules stay silent: there is nothing to compare with.
    @Test func noInventoryNoUnmanagedDevices() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([TestPaths.sample("office.pcapng")])
        #expect(result.errors.isEmpty)
        #expect(
            !result.report.findings.contains {
                $0.rule == "device.unmanaged" || $0.rule == "device.disposed-asset-seen"
            })
        #expect(result.report.findings.contains { $0.rule == "device.arp-flip-flop" })
        #expect(result.report.devices.allSatisfy { !$0.managed && $0.assetTag == nil })
    }

    /// `--inventory` and a CSV among the inputs are the same inventory; a broken inventory is
    /// an error naming its line, and the other inputs are still read.
    @Test func inventoryGivenOrFound() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        var audit = Audit(rules: rules, revealSecrets: false)
        audit.digest = testDigest
        audit.inventory = try Inventory(path: TestPaths.sample("inventory.csv"))
        let given = try audit.run([TestPaths.sample("office.pcapng")])
        var other = Audit(rules: rules, revealSecrets: false)
        other.digest = testDigest
        let found = try other.run([
            TestPaths.sample("office.pcapng"), TestPaths.sample("inventory.csv"),
        ])
        #expect(given.report.findings.map(\.id) == found.report.findings.map(\.id))
        #expect(given.report.devices == found.report.devices)

        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let broken = folder.appendingPathComponent("assets.csv")
        try "mac,status\n3c:22:fb:11:22:33,active\nzz:22:fb:11:22:33,active\n".write(
            to: broken, atomically: true, encoding: .utf8)
        let result = try Audit(rules: rules, revealSecrets: false).run([TestPaths.sample("office.pcapng"), broken.path])
        #expect(
            result.errors.map(\.description) == ["\(broken.path): line 3: 'zz:22:fb:11:22:33' is not a MAC address"])
        #expect(result.report.inputs.map(\.status) == [.read, .unreadable], "every input is in the report")
        #expect(result.report.inputs[1].reason == "line 3: 'zz:22:fb:11:22:33' is not a MAC address")
    }

    @Test func devicesListTheCaptureAgainstTheInventory() throws {
        let listed = try Audit.devices(
            [TestPaths.sample("office.pcapng")], inventory: try Inventory(path: TestPaths.sample("inventory.csv")))
        #expect(listed.hasInventory)
        #expect(listed.errors.isEmpty)
        #expect(listed.devices.count == 8)
        let laptop = try #require(listed.devices.first { $0.mac == "3c:22:fb:11:22:33" })
        #expect(laptop.managed)
        #expect(laptop.assetTag == "LAP-0042")
        #expect(laptop.vendor == "Apple, Inc.")
        #expect(laptop.ips == ["10.0.0.5"])
    }

    @Test func aBadInputDoesNotLoseTheOthers() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([
            TestPaths.fixture("bad-header.pcap"), TestPaths.fixture("ftp-port-2121.pcap"),
        ])
        #expect(result.errors.count == 1)
        #expect(result.report.findings.filter { $0.rule.hasPrefix("net.cleartext-credential.") }.count == 2)
        #expect(result.report.inputs.map(\.status) == [.unreadable, .read], "every input is in the report")
    }

    @Test func twoPasswordsForOneAccountAreTwoFindings() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([TestPaths.fixture("ftp-port-2121.pcap")])
        let credentials = result.report.findings.filter { $0.rule == "net.cleartext-credential.ftp" }
        #expect(Set(credentials.compactMap { $0.credential?.outcome.label }) == ["success", "failure"])
        #expect(Set(credentials.map(\.id)).count == 2)
    }
}

@Suite("Audit runs over logs")
struct LogAuditTests {
    static let logs = TestPaths.root.appendingPathComponent("Tests/VigilLogsTests/Fixtures").path

    private func audit(_ paths: [String]) throws -> Audit.Result {
        let rules = RuleSet.load(from: [TestPaths.rules])
        var audit = Audit(rules: rules, revealSecrets: false, logOptions: LogOptions(zone: .utc))
        audit.digest = testDigest
        return try audit.run(paths)
    }

    /// A folder of logs: rotated files oldest first, text that is no log (the generator script)
    /// skipped, every file read (in parallel) and merged into the same findings on every run.
    @Test func folderOfLogs() throws {
        let first = try audit([Self.logs])
        let names = first.report.inputs.filter { $0.status == .read }.map { ($0.path as NSString).lastPathComponent }
        #expect(names.filter { $0.hasPrefix("auth.log") } == ["auth.log.2.gz", "auth.log.1", "auth.log"])
        #expect(!names.contains("make-fixtures.py"))
        #expect(first.report.inputs.contains { $0.path.hasSuffix("make-fixtures.py") && $0.status == .skipped })
        let rules = Set(first.report.findings.map(\.rule))
        #expect(
            rules == [
                "linux.policy.uid0-account", "linux.weak-credential.password-as-username",
                "linux.policy.privileged-group-member", "linux.policy.sudo-denied", "credential.weak-password",
                "linux.policy.off-hours-login",
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
        #expect(byRule["linux.brute-force"]?.count == 1)
        #expect(byRule["linux.brute-force"]?.first?.count == 10, "the ten failures")
        #expect(byRule["linux.brute-force"]?.first?.subject.ip == "203.0.113.7")
        let compromise = try #require(byRule["linux.success-after-brute-force"]?.first)
        #expect(compromise.severity == .critical)
        #expect(compromise.evidence.contains { $0.source.hasSuffix("auth.log") && $0.locator == "line 5" })
    }

    /// Two servers' logs of the same night interleave in time: the attacker's failures on one
    /// and its success on the other an hour later are a compromise, although the second log
    /// starts earlier (read one after the other, its success would come before the failures).
    @Test(arguments: [false, true]) func overlappingLogsInterleave(reversed: Bool) throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let files = folder.appendingPathComponent("files-auth.log")
        let web = folder.appendingPathComponent("web-auth.log")
        let failures = (0..<12).map {
            "2025-11-21T02:00:\(String(format: "%02d", $0 * 4))+00:00 files sshd[\(200 + $0)]: "
                + "Failed password for root from 198.51.100.23 port \(40000 + $0) ssh2"
        }
        let webLines = [
            "2025-11-21T00:05:00+00:00 web sshd[90]: Accepted publickey for alice from 10.0.0.5 port 50000 ssh2: ED25519 SHA256:x",
            "2025-11-21T01:59:00+00:00 web sshd[91]: Accepted password for backup from 198.51.100.23 port 39999 ssh2",
            "2025-11-21T02:40:00+00:00 web sshd[92]: Accepted password for deploy from 198.51.100.23 port 40100 ssh2",
        ]
        try (failures.joined(separator: "\n") + "\n").write(to: files, atomically: true, encoding: .utf8)
        try (webLines.joined(separator: "\n") + "\n").write(to: web, atomically: true, encoding: .utf8)
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false, logOptions: LogOptions(zone: .utc)).run(
            reversed ? [web.path, files.path] : [files.path, web.path])
        #expect(result.errors.isEmpty)
        let compromise = try #require(result.report.findings.first { $0.rule == "linux.success-after-brute-force" })
        // The success at 01:59, before the failures, is not part of it; the one at 02:40 is: the
        // last failure before it and it are the sequence.
        #expect(compromise.count == 2)
        #expect(compromise.subject.user == "deploy" && compromise.subject.host == "web")
        #expect(compromise.evidence.last?.source == web.path)
        #expect(compromise.evidence.last?.locator == "line 3")
        #expect(result.report.inputs.map(\.path) == (reversed ? [web.path, files.path] : [files.path, web.path]))
    }

    /// A rule's `keywords` search the log line: the audit keeps each event's message when a
    /// rule needs it.
    @Test func keywordsSearchTheLogLine() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rule = folder.appendingPathComponent("keywords.yml")
        try """
        title: Key of a former employee
        id: t.keywords
        logsource: {product: linux}
        detection:
            keywords:
                - 'SHA256:oldkeyOfBob'
            condition: keywords
        """.write(to: rule, atomically: true, encoding: .utf8)
        let log = folder.appendingPathComponent("auth.log")
        try """
        2025-11-21T08:00:00+00:00 files sshd[1]: Accepted publickey for deploy from 10.0.0.5 port 50000 ssh2: ED25519 SHA256:oldkeyOfBob
        2025-11-21T08:05:00+00:00 files sshd[2]: Accepted publickey for deploy from 10.0.0.6 port 50001 ssh2: ED25519 SHA256:newkey

        """.write(to: log, atomically: true, encoding: .utf8)
        let set = RuleSet.load(from: [rule.path])
        #expect(set.errors.isEmpty)
        let result = try Audit(rules: set, revealSecrets: false, logOptions: LogOptions(zone: .utc)).run([log.path])
        let finding = try #require(result.report.findings.first)
        #expect(result.report.findings.count == 1)
        #expect(finding.subject.ip == "10.0.0.5")
        #expect(finding.evidence.first?.locator == "line 1")
    }

    /// Many series at once are merged in waves: the findings are those of reading them together.
    @Test func seriesBeyondTheLimitAreMergedInWaves() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var paths: [String] = []
        for host in 0..<(LogMerger.maxSeries + 6) {
            let path = folder.appendingPathComponent("host\(host).log").path
            let text =
                (0..<3).map {
                    "2025-11-21T03:\(String(format: "%02d", host % 60)):\(String(format: "%02d", $0))+00:00 host\(host) sshd[1]: "
                        + "Failed password for root from 203.0.113.9 port \(host * 10 + $0) ssh2"
                }.joined(separator: "\n") + "\n"
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            paths.append(path)
        }
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false, logOptions: LogOptions(zone: .utc)).run(paths)
        #expect(result.errors.isEmpty)
        #expect(result.report.inputs.count == paths.count)
        #expect(result.report.findings.contains { $0.rule == "linux.brute-force" && $0.subject.ip == "203.0.113.9" })
    }
}
