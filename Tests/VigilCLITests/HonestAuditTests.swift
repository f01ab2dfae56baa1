import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14: an audit never says "clean" about what it did not read; it judges time as it
/// happened; its reports are safe to hand on. Each case runs the real `vigil` on real files.
@Suite("An honest audit: every input accounted for", .serialized)
struct InputAccountingTests {
    static let authLog = TestPaths.fixture("auth.log", target: "VigilLogsTests")

    /// The JSON report of `vigil audit ARGS` run in `folder`, with its exit status.
    static func audit(_ arguments: [String], in folder: URL? = nil, environment: [String: String] = [:]) throws
        -> (status: Int32, json: [String: Any], stderr: String)
    {
        let result = try VigilBinary.run(
            ["audit", "--format", "json", "--fail-on", "none"] + arguments, environment: environment, in: folder)
        let json = (try? JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any]) ?? [:]
        return (result.status, json, result.stderr)
    }

    static func inputs(_ json: [String: Any]) -> [[String: Any]] { json["inputs"] as? [[String: Any]] ?? [] }
    static func findings(_ json: [String: Any]) -> [[String: Any]] { json["findings"] as? [[String: Any]] ?? [] }
    static func status(_ json: [String: Any], _ suffix: String) -> String? {
        inputs(json).first { ($0["path"] as? String)?.hasSuffix(suffix) == true }?["status"] as? String
    }

    @Test func foldersAndFilesThroughSymbolicLinksAreRead() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let logs = folder.appendingPathComponent("logs")
        try FileManager.default.createDirectory(at: logs, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.authLog, toPath: logs.appendingPathComponent("auth.log").path)
        try FileManager.default.createSymbolicLink(
            atPath: logs.appendingPathComponent("capture.pcap").path,
            withDestinationPath: TestPaths.fixture("ftp-port-2121.pcap"))
        // A link back to the folder itself: a loop, reported and not followed.
        try FileManager.default.createSymbolicLink(
            atPath: logs.appendingPathComponent("again").path, withDestinationPath: logs.path)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("l").path, withDestinationPath: logs.path)
        let (status, json, _) = try Self.audit(["l"], in: folder)
        #expect(status == 0)
        #expect(Self.status(json, "l/auth.log") == "read")
        #expect(Self.status(json, "l/capture.pcap") == "read")
        #expect(Self.status(json, "l/again") == "skipped")
        #expect(Self.findings(json).contains { $0["rule"] as? String == "net.cleartext-credential.ftp" })
    }

    @Test func unreadableFilesAndFoldersAreSaidAndExit2() throws {
        guard getuid() == 0, let setpriv = Command.find("setpriv") else {
            print("skipped: needs root and setpriv to run vigil as another user")
            return
        }
        let folder = try TestPaths.temporaryFolder()
        defer {
            _ = chmod(folder.appendingPathComponent("secret").path, 0o755)
            try? FileManager.default.removeItem(at: folder)
        }
        _ = chmod(folder.path, 0o755)
        try FileManager.default.copyItem(atPath: Self.authLog, toPath: folder.appendingPathComponent("auth.log").path)
        let locked = folder.appendingPathComponent("locked.log").path
        try FileManager.default.copyItem(atPath: Self.authLog, toPath: locked)
        _ = chmod(locked, 0o600)
        let secret = folder.appendingPathComponent("secret")
        try FileManager.default.createDirectory(at: secret, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: Self.authLog, toPath: secret.appendingPathComponent("auth.log").path)
        _ = chmod(secret.path, 0o700)
        let result = try Command.run(
            setpriv,
            [
                "--reuid=nobody", "--regid=nogroup", "--clear-groups", VigilBinary.url.path, "audit", folder.path,
                "--fail-on", "none",
            ],
            environment: ["HOME": folder.path])
        #expect(result.status == 2, "\(result.stderr)")
        #expect(result.stdout.contains("INCOMPLETE: 2 input(s) could not be read"))
        let incomplete = try #require(result.stdout.range(of: "INCOMPLETE:"))
        let findings = try #require(result.stdout.range(of: "Findings:"))
        #expect(incomplete.lowerBound < findings.lowerBound, "said before the findings")
        #expect(result.stdout.contains("locked.log  NOT READ: Permission denied"))
        #expect(result.stdout.contains("secret  NOT READ: Permission denied: nothing in it was read"))
        #expect(result.stderr.contains("locked.log: Permission denied"))
    }

    @Test func logsStartingWithBlankCommentOrUndatedLinesAreLogs() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let body = try String(contentsOfFile: Self.authLog, encoding: .utf8)
        try ("\n\n" + body).write(to: folder.appendingPathComponent("blank.log"), atomically: true, encoding: .utf8)
        try ("# exported from the SIEM\n# host: files\n" + body).write(
            to: folder.appendingPathComponent("commented.log"), atomically: true, encoding: .utf8)
        try ("-- Logs begin at Mon 2025-11-03 --\n" + body).write(
            to: folder.appendingPathComponent("journal.txt"), atomically: true, encoding: .utf8)
        for name in ["blank.log", "commented.log", "journal.txt"] {
            let (status, json, stderr) = try Self.audit([name], in: folder)
            #expect(status == 0, "\(name): \(stderr)")
            #expect(Self.status(json, name) == "read", "\(name)")
            #expect(!Self.findings(json).isEmpty, "\(name)")
        }
        let (_, json, _) = try Self.audit(["."], in: folder)
        #expect(Self.inputs(json).allSatisfy { $0["status"] as? String == "read" }, "in a folder too")
        // fail2ban's own test log, comments first: every annotated line read.
        guard let shared = TestPaths.conformance else { return }
        let sendmail = shared.appendingPathComponent("logs/fail2ban/sendmail-auth").path
        let events = try VigilBinary.run(["events", sendmail])
        #expect(events.status == 0, "\(events.stderr)")
        #expect(events.stdout.split(separator: "\n").filter { $0.contains("\"auth.failure\"") }.count >= 3)
        let audited = try VigilBinary.run(["audit", sendmail, "--fail-on", "none"])
        #expect(audited.status == 0, "\(audited.stderr)")
    }

    @Test func anEmptyFileIsAnEmptyInput() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        #expect(
            FileManager.default.createFile(atPath: folder.appendingPathComponent("auth.log").path, contents: Data()))
        let (status, json, _) = try Self.audit(["auth.log"], in: folder)
        #expect(status == 0)
        let input = try #require(Self.inputs(json).first)
        #expect(input["status"] as? String == "read-with-warnings")
        #expect((input["warnings"] as? [String])?.first == "empty: there was nothing to read")
    }

    /// A FIFO is opened once and read whole, its first bytes (read to tell its kind) included:
    /// the findings are those of the file itself.
    @Test func aNamedPipeIsReadWhole() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let (_, direct, _) = try Self.audit([Self.authLog])
        for (name, source) in [("log-fifo", Self.authLog), ("capture-fifo", TestPaths.fixture("ftp-port-2121.pcap"))] {
            let fifo = folder.appendingPathComponent(name).path
            #expect(mkfifo(fifo, 0o600) == 0)
            let bytes = try Data(contentsOf: URL(fileURLWithPath: source))
            let writer = Thread {
                guard let handle = FileHandle(forWritingAtPath: fifo) else { return }
                handle.write(bytes)
                try? handle.close()
            }
            writer.start()
            let (status, json, stderr) = try Self.audit([fifo])
            #expect(status == 0, "\(stderr)")
            #expect(Self.status(json, name) == "read")
            if name == "log-fifo" {
                #expect(Self.findings(json).count == Self.findings(direct).count)
                #expect(Self.inputs(json).first?["lines"] as? Int == Self.inputs(direct).first?["lines"] as? Int)
            } else {
                let file = try Self.audit([source]).json
                #expect(Self.inputs(json).first?["packets"] as? Int == Self.inputs(file).first?["packets"] as? Int)
                #expect(Self.findings(json).count == Self.findings(file).count)
            }
        }
        // Standard input: a capture too.
        let piped = try Command.run(
            try #require(Command.find("sh")),
            [
                "-c",
                "\(VigilBinary.url.path) audit - --format json --fail-on none < \(TestPaths.fixture("ftp-port-2121.pcap"))",
            ])
        #expect(piped.status == 0, "\(piped.stderr)")
        #expect(piped.stdout.contains("\"kind\": \"pcap\""))
        #expect(piped.stdout.contains("net.cleartext-credential.ftp"))
    }

    /// One file named three ways, through a link and a hard link: read once, the others said to
    /// be duplicates; four failures stay four.
    @Test func aFileIsReadOnceWhateverNamesIt() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let lines = (0..<4).map {
            "2025-11-21T02:00:0\($0)+00:00 files sshd[10\($0)]: Failed password for root from 198.51.100.9 port 4000\($0) ssh2"
        }
        let file = folder.appendingPathComponent("f")
        try (lines.joined(separator: "\n") + "\n").write(to: file, atomically: true, encoding: .utf8)
        try FileManager.default.createSymbolicLink(
            atPath: folder.appendingPathComponent("link").path, withDestinationPath: file.path)
        #expect(link(file.path, folder.appendingPathComponent("hard").path) == 0)
        let (_, json, _) = try Self.audit(["f", "./f", file.path, "link", "hard"], in: folder)
        let statuses = Self.inputs(json).map { $0["status"] as? String ?? "" }
        #expect(statuses == ["read", "skipped", "skipped", "skipped", "skipped"])
        #expect((Self.inputs(json)[1]["reason"] as? String) == "duplicate of f")
        #expect(!Self.findings(json).contains { $0["rule"] as? String == "linux.brute-force" })
    }
}

@Suite("An honest audit: time as it happened", .serialized)
struct EventTimeTests {
    /// `2025-11-21THH:MM:SS` failures of root from one address, in the order given.
    static func failures(_ times: [String], address: String = "198.51.100.9", host: String = "files") -> [String] {
        times.enumerated().map { index, time in
            "2025-11-21T\(time)+00:00 \(host) sshd[\(100 + index)]: Failed password for root from \(address) port \(40000 + index) ssh2"
        }
    }

    static func audit(_ lines: [String]) throws -> (findings: [[String: Any]], inputs: [[String: Any]]) {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("auth.log")
        try (lines.joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        let (_, json, _) = try InputAccountingTests.audit([log.path])
        return (InputAccountingTests.findings(json), InputAccountingTests.inputs(json))
    }

    static func brute(_ findings: [[String: Any]]) -> [[String: Any]] {
        findings.filter { $0["rule"] as? String == "linux.brute-force" }
    }

    @Test func noThresholdFindingWithoutARealWindow() throws {
        // 1 failure at 09:00 then 9 at 08:00; 5 at 08:10 then 5 at 08:00: no five minutes hold ten.
        let late = Self.failures(["09:00:00"] + (0..<9).map { "08:00:0\($0)" })
        #expect(Self.brute(try Self.audit(late).findings).isEmpty)
        let reversed = Self.failures((0..<5).map { "08:10:0\($0)" } + (0..<5).map { "08:00:0\($0)" })
        let (findings, inputs) = try Self.audit(reversed)
        #expect(Self.brute(findings).isEmpty)
        let warnings = inputs.first?["warnings"] as? [String] ?? []
        #expect(
            warnings.contains {
                $0.hasPrefix("line 6: the time goes back 10 min, from 2025-11-21T08:10:04Z to 2025-11-21T08:00:00Z")
            })
        // Ten within five minutes, out of order: one finding, counting the ten, in their times.
        let shuffled = Self.failures([
            "08:00:09", "08:00:01", "08:00:05", "08:00:00", "08:00:03", "08:00:08", "08:00:02", "08:00:07", "08:00:04",
            "08:00:06",
        ])
        let found = try #require(Self.brute(try Self.audit(shuffled).findings).first)
        #expect(found["count"] as? Int == 10)
        #expect(found["first_seen"] as? String == "2025-11-21T08:00:00Z")
        #expect(found["last_seen"] as? String == "2025-11-21T08:00:09Z")
    }

    @Test func aSuccessBeforeTheFailuresIsNoCompromise() throws {
        let success =
            "2025-11-20T08:00:00+00:00 files sshd[99]: Accepted password for root from 198.51.100.9 port 39999 ssh2"
        let (findings, _) = try Self.audit(Self.failures((0..<10).map { "08:00:0\($0)" }) + [success])
        #expect(!findings.contains { $0["rule"] as? String == "linux.success-after-brute-force" })
        for finding in findings {
            #expect((finding["first_seen"] as? String ?? "") <= (finding["last_seen"] as? String ?? ""), "\(finding)")
        }
    }

    /// A log twice over (`cat auth.log auth.log`) gives the brute forces of the log once each.
    @Test func aLogConcatenatedWithItselfGivesTheSameFindings() throws {
        var lines: [String] = []
        for attacker in 0..<40 {
            let minute = String(format: "%02d", attacker)
            lines += Self.failures(
                (0..<12).map { "10:\(minute):\(String(format: "%02d", $0 * 2))" }, address: "203.0.113.\(attacker + 1)")
        }
        let once = Self.brute(try Self.audit(lines).findings)
        #expect(once.count == 40)
        #expect(once.allSatisfy { $0["count"] as? Int == 12 })
        let (twice, inputs) = try Self.audit(lines + lines)
        #expect(Self.brute(twice).count == 40)
        let warnings = inputs.first?["warnings"] as? [String] ?? []
        #expect(warnings.contains { $0.contains("were not correlated") })
    }

    /// A correlation finding counts the events that met it; its last time is the last of them.
    @Test func countsAreEventsAndTimesAreTheirs() throws {
        let (findings, _) = try Self.audit(Self.failures((0..<15).map { "08:00:\(String(format: "%02d", $0 * 3))" }))
        let found = try #require(Self.brute(findings).first)
        #expect(found["count"] as? Int == 15)
        #expect(found["last_seen"] as? String == "2025-11-21T08:00:42Z")
        #expect((found["subject"] as? [String: Any])?["user"] as? String == "root")
        #expect((found["subject"] as? [String: Any])?["host"] as? String == "files")
    }

    /// Standard input is gone once read: its evidence is written when the event is seen.
    @Test func standardInputEvidenceIsWrittenAtOnce() throws {
        let bash = try #require(Command.find("bash"))
        let log = TestPaths.root.appendingPathComponent("samples/logs/auth.log").path
        let run = try Command.run(
            bash, ["-c", "cat '\(log)' | '\(VigilBinary.url.path)' audit - --format json --timezone UTC --quiet"])
        #expect(run.status == 1, "\(run.stderr)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        let findings = try #require(report["findings"] as? [[String: Any]])
        let sequence = try #require(findings.first { $0["rule"] as? String == "linux.success-after-brute-force" })
        let evidence = try #require(sequence["evidence"] as? [[String: Any]])
        #expect(evidence.count == 2)
        for piece in evidence {
            let summary = piece["summary"] as? String ?? ""
            #expect(summary.contains("src.ip=198.51.100.23") && !summary.contains("not read again"), "\(summary)")
        }
    }
}
