import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Issue 14: reports safe to hand on, secrets kept, rules that cannot crash or be planted,
/// findings that name what they are about.
@Suite("Reports safe to hand on", .serialized)
struct SafeReportTests {
    static let hostile = TestPaths.fixture("hostile-values.pcap")

    /// No control character from the capture reaches any text format or the terminal; the forged
    /// line break stays on its line.
    @Test func controlCharactersAreShownNeverSent() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text = try VigilBinary.run(["audit", Self.hostile, "--fail-on", "none"])
        #expect(text.stdout.contains("user '\\x1b]2;owned\\x07\\x1b[1A\\x1b[2Kroot'"))
        #expect(text.stdout.contains("user 'bob\\n[INFO] forged"))
        let written = try VigilBinary.run([
            "audit", Self.hostile, "--output-dir", folder.appendingPathComponent("r").path, "--fail-on", "none",
        ])
        #expect(written.status == 0, "\(written.stderr)")
        for output in [text.stdout, text.stderr, written.stderr] {
            #expect(!output.unicodeScalars.contains { $0.value == 0x1B || $0.value == 0x07 })
            #expect(!output.split(separator: "\n").contains { $0.hasPrefix("[INFO]") })
        }
        for name in ["report.txt", "report.md", "findings.csv", "report.html"] {
            let bytes = try Data(contentsOf: folder.appendingPathComponent("r/\(name)"))
            #expect(!bytes.contains(0x1B) && !bytes.contains(0x07), "\(name)")
            let body = String(decoding: bytes, as: UTF8.self)
            #expect(!body.split(separator: "\n").contains { $0.hasPrefix("[INFO]") }, "\(name)")
        }
        // CSV: the cell of a value starting with a formula character is neutralised.
        let csv = try String(contentsOf: folder.appendingPathComponent("r/findings.csv"), encoding: .utf8)
        #expect(csv.contains("bob\\n[INFO] forged"))
        // Markdown: code spans cannot be closed from inside; pipes cannot split a table.
        let markdown = try String(contentsOf: folder.appendingPathComponent("r/report.md"), encoding: .utf8)
        #expect(markdown.contains("user `\\x1b]2;owned\\x07\\x1b[1A\\x1b[2Kroot`"))
    }

    @Test func csvCellsThatASpreadsheetWouldRunAreNeutralised() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // User names from a log: sshd writes what the client sent.
        let names = ["=cmd", "+1", "-2", "@SUM(A1)", "\t=tab", "\r=cr"]
        let lines = names.enumerated().map { index, name in
            "2025-11-21T02:00:0\(index)+00:00 files sshd[\(100 + index)]: Accepted password for \(name) from 10.0.0.\(index + 2) port 5000 ssh2"
        }
        let log = folder.appendingPathComponent("auth.log")
        try (lines.joined(separator: "\n") + "\n").write(to: log, atomically: true, encoding: .utf8)
        let rule = folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rule, withIntermediateDirectories: true)
        try """
        title: Any login
        id: t.any-login
        logsource: {product: linux, category: authentication}
        detection:
            selection: {event.kind: auth.success}
            condition: selection
        level: low
        """.write(to: rule.appendingPathComponent("any.yml"), atomically: true, encoding: .utf8)
        let csv = try VigilBinary.run(["audit", log.path, "--rules", rule.path, "--format", "csv", "--fail-on", "none"])
        #expect(csv.status == 0, "\(csv.stderr)")
        let users = csv.stdout.split(separator: "\r\n").dropFirst().map { row in
            row.split(separator: ",", omittingEmptySubsequences: false)[11]
        }
        #expect(users.count == names.count)
        for user in users { #expect(user.hasPrefix("'"), "\(user)") }
    }

    @Test func reportFilesArePrivateNeverThroughLinksAndReplacedWhole() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("report.json").path
        let arguments = ["audit", Self.hostile, "--format", "json", "--fail-on", "none", "--reveal-secrets"]
        // Under umask 022, a new report is 0600.
        let made = try Command.run(
            try #require(Command.find("sh")),
            ["-c", "umask 022; \(VigilBinary.url.path) \(arguments.joined(separator: " ")) --output \(report)"])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(try FileManager.default.attributesOfItem(atPath: report)[.posixPermissions] as? Int == 0o600)
        // A longer file replaced by a shorter report leaves no tail: valid JSON.
        try Data(repeating: 0x41, count: 1 << 20).write(to: URL(fileURLWithPath: report))
        #expect(chmod(report, 0o644) == 0)
        #expect(try VigilBinary.run(arguments + ["--output", report]).status == 0)
        #expect((try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: report)))) != nil)
        #expect(try FileManager.default.attributesOfItem(atPath: report)[.posixPermissions] as? Int == 0o600)
        // A link is refused, before any analysis; what it points to is untouched.
        let target = folder.appendingPathComponent("precious").path
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: target))
        let link = folder.appendingPathComponent("link.json").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: target)
        let refused = try VigilBinary.run(arguments + ["--output", link])
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("is a symbolic link: Vigil does not write through links"))
        #expect(try String(contentsOfFile: target, encoding: .utf8) == "keep me")
        // A path that cannot be written is said at once.
        let nowhere = try VigilBinary.run(arguments + ["--output", "/nonexistent/folder/report.json"])
        #expect(nowhere.status == 2)
        #expect(
            nowhere.stderr == "vigil: /nonexistent/folder/report.json: its folder /nonexistent/folder does not exist\n")
        let others = folder.appendingPathComponent("others")
        try FileManager.default.createDirectory(at: others, withIntermediateDirectories: true)
        try Data().write(to: others.appendingPathComponent("notes.txt"))
        let mixed = try VigilBinary.run(["audit", Self.hostile, "--output-dir", others.path])
        #expect(mixed.status == 2)
        #expect(mixed.stderr.contains("holds files that are not Vigil's reports (notes.txt)"))
        // A new folder named with a trailing slash, as a shell completes it, is made.
        let slashed = try VigilBinary.run(arguments + ["--output-dir", folder.path + "/new/"])
        #expect(slashed.status == 0, "\(slashed.stderr)")
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("new/report.json").path))
    }

    /// `--output-dir` is written whole beside the folder and moved into place: killed at any
    /// moment, the folder holds the old set or the new one, never a mix, and no temporary file
    /// is left after the next run.
    @Test func aKilledReportFolderIsNeverMixed() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let first = try VigilBinary.run(["audit", "samples/", "--output-dir", out.path, "--fail-on", "none", "--quiet"])
        #expect(first.status == 0)
        let old = try String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8)
        let oldStamp = try #require(old.firstMatch(of: /"generated_at": "([^"]+)"/)?.1)
        for round in 0..<8 {
            sleep(1)  // a new generated_at, to tell the sets apart
            let running = try RunningVigil([
                "audit", "samples/", "--output-dir", out.path, "--fail-on", "none", "--quiet",
            ])
            usleep(UInt32(150_000 + round * 60_000))
            running.signal(SIGKILL)
            _ = running.finish()
            let names = (try? FileManager.default.contentsOfDirectory(atPath: out.path).sorted()) ?? []
            if names.isEmpty { continue }  // between the two renames: the old set is beside it
            #expect(names == ["findings.csv", "report.html", "report.json", "report.md", "report.sarif", "report.txt"])
            let stamps = try names.filter { $0 != "findings.csv" }.map { name -> Substring in
                let text = try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8)
                return text.firstMatch(of: /20\d\d-\d\d-\d\dT\d\d:\d\d:\d\dZ/)?.0 ?? ""
            }
            #expect(Set(stamps).count == 1, "round \(round): one set, not a mix: \(stamps)")
        }
        let last = try VigilBinary.run(["audit", "samples/", "--output-dir", out.path, "--fail-on", "none", "--quiet"])
        #expect(last.status == 0)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: folder.path).filter { $0.hasPrefix(".") }
        #expect(leftovers.isEmpty, "\(leftovers)")
        let final = try String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8)
        #expect(final.firstMatch(of: /"generated_at": "([^"]+)"/)?.1 != oldStamp, "the last run replaced the set")
    }
}

@Suite("Secrets stay evidence", .serialized)
struct SecretEvidenceTests {
    /// A rule with `keywords` keeps the log line: the password typed as a user name in it is
    /// masked in every format, the events too; and no plain SHA-256 of a secret appears anywhere.
    @Test func logLinesAreScrubbedAndDigestsKeyed() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("auth.log")
        try """
        2025-11-21T02:00:00+00:00 files sshd[100]: Failed password for invalid user Winter2025! from 198.51.100.9 port 40000 ssh2
        2025-11-21T02:00:05+00:00 files sshd[101]: Invalid user Winter2025! from 198.51.100.9 port 40001

        """.write(to: log, atomically: true, encoding: .utf8)
        let rules = folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        try FileManager.default.copyItem(
            atPath: TestPaths.rules + "/linux", toPath: rules.appendingPathComponent("linux").path)
        try """
        title: Invalid user
        id: t.invalid-user
        logsource: {product: linux}
        detection:
            keywords:
                - 'invalid user'
            condition: keywords
        level: medium
        """.write(to: rules.appendingPathComponent("keywords.yml"), atomically: true, encoding: .utf8)
        let out = folder.appendingPathComponent("r")
        let audit = try VigilBinary.run([
            "audit", log.path, "--rules", rules.path, "--output-dir", out.path, "--fail-on", "none",
        ])
        #expect(audit.status == 0, "\(audit.stderr)")
        let python = try #require(Command.find("python3"))
        let digest = try Command.run(
            python, ["-c", "import hashlib; print(hashlib.sha256(b'Winter2025!').hexdigest())"]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        var texts = [audit.stdout, audit.stderr]
        for name in try FileManager.default.contentsOfDirectory(atPath: out.path) {
            texts.append(try String(contentsOf: out.appendingPathComponent(name), encoding: .utf8))
        }
        let events = try VigilBinary.run(["events", log.path])
        let eventsText = try VigilBinary.run(["events", log.path, "--format", "text"])
        texts += [events.stdout, eventsText.stdout]
        let report = try String(contentsOf: out.appendingPathComponent("report.json"), encoding: .utf8)
        #expect(report.contains("log.message="), "the keyword rule kept the line")
        #expect(report.contains("W*********!"))
        for text in texts {
            #expect(!text.contains("Winter2025"))
            #expect(!text.contains(digest), "a plain SHA-256 of the secret")
        }
        let revealed = try VigilBinary.run(["events", log.path, "--reveal-secrets"])
        #expect(revealed.stdout.contains("Winter2025!"))
    }
}

@Suite("Rules and findings", .serialized)
struct RulesAndFindingsTests {
    @Test func deepConditionsAreRefusedNotCrashes() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rules = folder.appendingPathComponent("rules")
        try FileManager.default.createDirectory(at: rules, withIntermediateDirectories: true)
        let head = "title: d\nid: d\nlogsource: {product: linux}\ndetection:\n    sel: {user.name: x}\n    condition: "
        try (head + String(repeating: "(", count: 30_000) + "sel" + String(repeating: ")", count: 30_000))
            .write(to: rules.appendingPathComponent("parentheses.yml"), atomically: true, encoding: .utf8)
        try
            ("title: n\nid: n\nlogsource: {product: linux}\ndetection:\n    sel: {user.name: x}\n    condition: "
            + String(repeating: "not ", count: 200_000) + "sel")
            .write(to: rules.appendingPathComponent("nots.yml"), atomically: true, encoding: .utf8)
        let validated = try VigilBinary.run(["rules", "validate", rules.path])
        #expect(validated.status == 2)
        #expect(validated.stderr.contains("parentheses.yml: line 6: condition '((((("))
        #expect(validated.stderr.contains("nests deeper than 64 levels of parentheses and 'not'"))
        #expect(validated.stderr.contains("nots.yml: line 6:"))
        // A planted ./rules in an evidence folder is not loaded: the shipped rules judge it.
        try FileManager.default.copyItem(
            atPath: TestPaths.fixture("auth.log", target: "VigilLogsTests"),
            toPath: folder.appendingPathComponent("auth.log").path)
        let audited = try VigilBinary.run(["audit", "auth.log", "--format", "json", "--fail-on", "none"], in: folder)
        #expect(audited.status == 0, "\(audited.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(audited.stdout.utf8)) as? [String: Any])
        let ruleSet = try #require(json["rule_set"] as? [String: Any])
        #expect((ruleSet["paths"] as? [String])?.first?.hasSuffix("/rules") == true)
        #expect((ruleSet["paths"] as? [String])?.first != rules.path)
        #expect(!(json["findings"] as? [[String: Any]] ?? []).isEmpty)
    }

    /// Two UID 0 accounts on one host are two findings, each naming its account.
    @Test func accountFindingsNameTheAccount() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let log = folder.appendingPathComponent("auth.log")
        try """
        2025-11-21T02:00:00+00:00 files useradd[100]: new user: name=toor, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0
        2025-11-21T02:01:00+00:00 files useradd[101]: new user: name=backup3, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0

        """.write(to: log, atomically: true, encoding: .utf8)
        let result = try VigilBinary.run(["audit", log.path, "--format", "json", "--fail-on", "none"])
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let uid0 = (json["findings"] as? [[String: Any]] ?? []).filter {
            $0["rule"] as? String == "linux.policy.uid0-account"
        }
        #expect(uid0.count == 2)
        #expect(Set(uid0.compactMap { ($0["subject"] as? [String: Any])?["user"] as? String }) == ["toor", "backup3"])
        #expect(uid0.allSatisfy { ($0["subject"] as? [String: Any])?["host"] as? String == "files" })
    }

    /// The breach checklist of the samples: the compromised account on the host it was on, never
    /// the attacker's address as the place to rotate credentials; unknown values said as such.
    @Test func checklistItemsFillTheRightFields() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("r.json").path
        #expect(
            try VigilBinary.run(
                ["audit", "samples/", "--format", "json", "--output", report], environment: ["TZ": "UTC"]
            )
            .status == 1)
        let store = folder.appendingPathComponent("store.sqlite").path
        let breach = try VigilBinary.run(["checklist", "breach", "--from", report, "--store", store])
        #expect(breach.status == 0, "\(breach.stderr)")
        #expect(
            breach.stdout.contains(
                "Disable or lock the account 'root' on files and end its sessions; block 198.51.100.23"))
        #expect(!breach.stdout.contains("on 198.51.100.23"))
        #expect(!breach.stdout.contains("(the host)") && !breach.stdout.contains("the accounts involved"))
        // Ticking with a name that holds escape sequences: shown, never sent.
        let done = try VigilBinary.run(["checklist", "done", "1", "1", "--by", "\u{1B}[2Jmallory", "--store", store])
        #expect(done.status == 0)
        #expect(done.stdout.contains("done by \\x1b[2Jmallory"))
        let shown = try VigilBinary.run(["checklist", "show", "1", "--store", store])
        #expect(!shown.stdout.contains("\u{1B}") && shown.stdout.contains("\\x1b[2Jmallory"))
        // Commands that read never create a store.
        let missing = folder.appendingPathComponent("none.sqlite").path
        for arguments in [["list"], ["show", "1"], ["done", "1", "1", "--by", "x"]] {
            let result = try VigilBinary.run(["checklist"] + arguments + ["--store", missing])
            #expect(result.status == 2, "\(arguments)")
            #expect(result.stderr.contains("no checklist store here"))
        }
        #expect(!FileManager.default.fileExists(atPath: missing))
    }

    @Test func optionsAndInputsAreValidated() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        for zone in ["+99:00", "-15:00", "+05:75"] {
            let result = try VigilBinary.run(["audit", "samples/logs", "--timezone=\(zone)"])
            #expect(result.status == 2, "\(zone)")
            #expect(result.stderr.contains("--timezone: '\(zone)' is no zone Vigil knows"))
        }
        #expect(
            try VigilBinary.run(["audit", "samples/logs", "--timezone", "+14:00", "--fail-on", "none"]).status == 0)
        let log = folder.appendingPathComponent("latin1.log")
        var bytes = Data("Nov 23 10:00:00 files sshd[1]: Failed password for invalid user ren".utf8)
        bytes.append(0xE9)
        bytes.append(contentsOf: Array(" from 192.0.2.9 port 4000 ssh2\n".utf8))
        try bytes.write(to: log)
        let result = try VigilBinary.run(["audit", log.path, "--fail-on", "none"])
        #expect(result.stderr.contains("invalid UTF-8 on 1 line(s) (line 1): read as text"))
    }
}
