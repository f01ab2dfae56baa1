import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Runs the built `vigil` as a user would and checks stdout, stderr and the exit code.
@Suite("vigil command line", .serialized)
struct CLITests {
    @Test func version() throws {
        let result = try VigilBinary.run(["--version"])
        #expect(result.status == 0)
        #expect(result.stdout == "vigil 0.2.0\n")
    }

    @Test func auditOfSamplesFindsTheMaskedFTPLogin() throws {
        let result = try VigilBinary.run(["audit", "samples/"])
        #expect(result.status == 1, "high finding with the default --fail-on high")
        #expect(result.stdout.contains("[HIGH] FTP login in clear text"))
        #expect(result.stdout.contains("user 'alice' secret S*********!"))
        #expect(!result.stdout.contains("Summer2026!"))
        #expect(!result.stderr.contains("Summer2026!"))
        #expect(!result.stdout.contains("\u{1B}["), "no colour when stdout is not a terminal")
    }

    @Test func revealSecretsIsExplicit() throws {
        let result = try VigilBinary.run(["audit", "samples/", "--reveal-secrets"])
        #expect(result.stdout.contains("Summer2026!"))
    }

    /// The FTP fixture's findings are high (clear text, weak password) and medium (no TLS).
    @Test(arguments: [("none", Int32(0)), ("critical", 0), ("high", 1), ("low", 1), ("info", 1)])
    func failOnSetsTheExitCode(threshold: String, status: Int32) throws {
        let result = try VigilBinary.run(["audit", TestPaths.fixture("ftp-port-2121.pcap"), "--fail-on", threshold])
        #expect(result.status == status)
    }

    @Test func jsonReportHasTheContractFields() throws {
        // An organisation's digest key, so the digest can be checked independently.
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let key = folder.appendingPathComponent("org.key").path
        let hexKey = String(repeating: "0123456789abcdef", count: 4)
        try Data((hexKey + "\n").utf8).write(to: URL(fileURLWithPath: key))
        #expect(chmod(key, 0o600) == 0)
        let result = try VigilBinary.run(["audit", "samples/", "--format", "json", "--digest-key", key])
        #expect(result.status == 1, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: Any]])
        let finding = try #require(findings.first { $0["rule"] as? String == "net.cleartext-credential.ftp" })
        let credential = try #require(finding["credential"] as? [String: Any])
        #expect(credential["username"] as? String == "alice")
        // HMAC-SHA-256 of "Summer2026!" under the key, computed independently by Python's hmac.
        let python = try #require(Command.find("python3"))
        let expected = try Command.run(
            python,
            [
                "-c",
                "import hmac, hashlib; print(hmac.new(bytes.fromhex('\(hexKey)'), b'Summer2026!', hashlib.sha256).hexdigest())",
            ]
        ).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(credential["secret_digest"] as? String == expected)
        let digest = try #require(json["secret_digest"] as? [String: Any])
        #expect(digest["algorithm"] as? String == "HMAC-SHA-256" && digest["key"] as? String == "organisation")
        #expect((digest["key_fingerprint"] as? String)?.count == 16)
        // The plain SHA-256 of the password (`printf %s 'Summer2026!' | sha256sum`) is nowhere.
        #expect(!result.stdout.contains("a5c95e887dbf1c0a49fd01bced847d64a1a134ec2a7d09332c85d361aeb0f9b8"))
        #expect(!result.stdout.contains("Summer2026!"))
        let ruleSet = try #require(json["rule_set"] as? [String: Any])
        #expect((ruleSet["sha256"] as? String)?.count == 64)
        #expect((ruleSet["files"] as? Int ?? 0) > 40)
        let weak = try #require(findings.first { $0["rule"] as? String == "credential.weak-password" })
        let strength = try #require((weak["credential"] as? [String: Any])?["strength"] as? [String: Any])
        #expect(strength["score"] as? Int == 1)
        #expect((strength["weak_because"] as? [String])?.isEmpty == false)
        let devices = try #require(json["devices"] as? [[String: Any]])
        #expect(devices.first { $0["mac"] as? String == "02:42:ac:11:00:66" }?["managed"] as? Bool == false)
        #expect(devices.first { $0["mac"] as? String == "3c:22:fb:11:22:33" }?["asset_tag"] as? String == "LAP-0042")
    }

    /// `vigil devices` lists every device against the inventory, in each format.
    @Test func devicesCommand() throws {
        let text = try VigilBinary.run(["devices", "samples/office.pcapng", "--inventory", "samples/inventory.csv"])
        #expect(text.status == 0)
        #expect(text.stdout.hasPrefix("8 device(s), 1 not in the inventory\n"))
        #expect(text.stdout.contains("02:42:ac:11:00:66  UNMANAGED"))
        #expect(text.stdout.contains("f4:8e:38:aa:bb:cc  managed DSK-0007 (disposed)  Dell Inc."))
        let csv = try VigilBinary.run([
            "devices", "samples/office.pcapng", "--inventory", "samples/inventory.csv", "--format", "csv",
        ])
        let rows = csv.stdout.split(separator: "\r\n").map(String.init)
        #expect(rows.first == "mac,vendor,ips,hostnames,first_seen,last_seen,managed,asset_tag,asset_status,seen_by")
        #expect(rows.count == 9)
        #expect(rows.contains { $0.hasPrefix("00:50:56:01:02:03,\"VMware, Inc.\",10.0.0.25,") })
        let json = try VigilBinary.run(["devices", "samples/", "--format", "json", "--fail-on-unmanaged"])
        #expect(json.status == 1, "the rogue MAC is unmanaged; the inventory was found in samples/")
        let list = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]])
        #expect(list.count == 8)
        let noInventory = try VigilBinary.run(["devices", "samples/office.pcapng"])
        #expect(noInventory.stdout.contains("no inventory given"))
        let bad = try VigilBinary.run(["devices", "samples/office.pcapng", "--inventory", "samples/README.md"])
        #expect(bad.status == 2)
        #expect(bad.stderr.hasPrefix("vigil: samples/README.md: line 1: the header names no"))
    }

    /// `vigil wipe verify`: exit 0 when the image holds what was expected, 1 when it does not,
    /// 2 for a bad option or target; JSON with the sample's seed and coverage.
    @Test func wipeVerify() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("disk.img").path
        try Data(count: 4 << 20).write(to: URL(fileURLWithPath: path))
        let clean = try VigilBinary.run(["wipe", "verify", path, "--expect", "zero", "--full"])
        #expect(clean.status == 0)
        #expect(clean.stdout.contains("result:      PASS"))
        #expect(clean.stderr.isEmpty, "no progress bar without a terminal")
        let json = try VigilBinary.run([
            "wipe", "verify", path, "--expect", "zero", "--sample", "5", "--seed", "42", "--format", "json",
        ])
        #expect(json.status == 0)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let scope = try #require(object["scope"] as? [String: Any])
        #expect(scope["seed"] as? String == "42")
        #expect(scope["subsections"] as? Int == 1000)
        #expect(object["result"] as? String == "pass")
        #expect((object["coverage"] as? Double).map { $0 > 0.5 && $0 < 0.6 } == true, "2 edge MiB of 4, plus 5%")
        let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
        try handle.seek(toOffset: 100)
        try handle.write(contentsOf: Data([0xAB]))
        try handle.close()
        let dirty = try VigilBinary.run(["wipe", "verify", path, "--expect", "zero"])
        #expect(dirty.status == 1)
        #expect(dirty.stdout.contains("offset 100 (0x64): found ab00"))
        let bad = try VigilBinary.run(["wipe", "verify", path, "--expect", "noise"])
        #expect(bad.status == 2)
        let missing = try VigilBinary.run(["wipe", "verify", "/nonexistent.img", "--expect", "zero"])
        #expect(missing.status == 2)
        #expect(missing.stderr.hasPrefix("vigil: /nonexistent.img: "))
    }

    /// `--output-dir` writes every format; the SARIF validates against the official SARIF 2.1.0
    /// schema (vendored in Tests/VigilReportTests/Fixtures, checked with Python's jsonschema);
    /// no format shows a secret.
    @Test func everyFormatAtOnce() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let result = try VigilBinary.run(
            ["audit", "samples/", "--output-dir", folder.path, "--fail-on", "none"], environment: ["TZ": "UTC"])
        #expect(result.status == 0, "\(result.stderr)")
        // The report went to files: a one-paragraph summary on stderr, no progress (not a terminal).
        #expect(
            result.stderr.contains(
                "vigil: 4 input(s) read (0 warning(s)), 3 skipped; 27 finding(s): 5 critical, 8 high"))
        #expect(result.stderr.contains("8 device(s), 1 not in the inventory; report: \(folder.path)"))
        #expect(!result.stderr.contains("[1/3]"))
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["findings.csv", "report.html", "report.json", "report.md", "report.sarif", "report.txt"])
        // HTML: self-contained (nothing fetched), every section, severity written out, not colour alone.
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.hasPrefix("<!DOCTYPE html>"))
        for forbidden in ["<script src", "<link", "<img", "url(", "http://", "https://", "@import"] {
            #expect(!html.contains(forbidden), "\(forbidden)")
        }
        for section in [
            "id=\"summary\"", "id=\"findings\"", "id=\"credentials\"", "id=\"devices\"", "id=\"inputs\"",
            "id=\"rules\"", "<svg role=\"img\"", "@media print",
        ] {
            #expect(html.contains(section), "\(section)")
        }
        #expect(html.contains("◆◆ CRITICAL</span> Login success after a brute force"))
        #expect(html.contains("Critical: act today."))
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("report.json")))
                as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: Any]])
        // CSV: a header and one row per finding (fields with line breaks are quoted, so count records).
        let csv = try String(contentsOf: folder.appendingPathComponent("findings.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("id,rule,title,severity,category,count,first_seen,last_seen,"))
        #expect(csv.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == findings.count + 1)
        let markdown = try String(contentsOf: folder.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(markdown.hasPrefix("# Vigil audit report"))
        #expect(markdown.contains("## Critical (5)"))
        // SARIF: one result per finding, every rule described, valid against the schema.
        let sarifPath = folder.appendingPathComponent("report.sarif").path
        let sarif = try #require(
            try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: sarifPath))) as? [String: Any])
        let run = try #require((sarif["runs"] as? [[String: Any]])?.first)
        #expect((run["results"] as? [Any])?.count == findings.count)
        let rules = try #require(
            ((run["tool"] as? [String: Any])?["driver"] as? [String: Any])?["rules"] as? [[String: Any]])
        #expect(rules.count >= 40)
        #expect(rules.contains { $0["id"] as? String == "net.cleartext-credential.ftp" })
        let python = try #require(Command.find("python3"))
        let schema = TestPaths.fixture("sarif-schema-2.1.0.json", target: "VigilReportTests")
        let check = try Command.run(
            python,
            [
                "-c",
                "import json,sys,jsonschema; s=json.load(open(sys.argv[1])); d=json.load(open(sys.argv[2])); "
                    + "e=list(jsonschema.validators.validator_for(s)(s).iter_errors(d)); "
                    + "[print(x.message, list(x.path)) for x in e[:5]]; sys.exit(1 if e else 0)",
                schema, sarifPath,
            ])
        #expect(check.status == 0, "SARIF invalid: \(check.stdout) \(check.stderr)")
        for name in names {
            let text = try String(contentsOf: folder.appendingPathComponent(name), encoding: .utf8)
            for secret in ["Summer2026!", "Tr0ub4dor&3x", "12345\"", "YWRtaW46MTIzNDU="] {
                #expect(!text.contains(secret), "\(secret) in \(name)")
            }
        }
        // With --reveal-secrets every format shows them.
        let revealed = folder.appendingPathComponent("revealed")
        #expect(
            try VigilBinary.run([
                "audit", "samples/", "--output-dir", revealed.path, "--fail-on", "none", "--reveal-secrets",
            ]).status == 0)
        for name in names {
            let text = try String(contentsOf: revealed.appendingPathComponent(name), encoding: .utf8)
            #expect(text.contains("Summer2026!"), "\(name) does not reveal")
        }
        let several = try VigilBinary.run(["audit", "samples/", "--format", "json", "--format", "csv"])
        #expect(several.status == 2)
        #expect(several.stderr.contains("several --format need --output-dir"))
    }

    @Test func outputFileReceivesTheReport() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("report.json").path
        let result = try VigilBinary.run(["audit", "samples/", "--format", "json", "--output", path])
        #expect(result.status == 1)
        #expect(result.stdout.isEmpty)
        let written = try String(contentsOfFile: path, encoding: .utf8)
        #expect(written.contains("\"net.cleartext-credential.ftp\""))
    }

    @Test func nonStandardPortIsFound() throws {
        let result = try VigilBinary.run(["audit", TestPaths.fixture("ftp-port-2121.pcap"), "--format", "json"])
        #expect(result.status == 1)
        #expect(result.stdout.contains("\"server\": \"192.168.1.20:2121\""))
    }

    @Test func captureWithoutCredentialsHasNoFindings() throws {
        // FTP upgraded to TLS (AUTH TLS, 234): nothing in clear.
        let result = try VigilBinary.run(["audit", TestPaths.fixture("ftp-auth-tls.pcap")])
        #expect(result.status == 0)
        #expect(result.stdout.contains("No findings."))
    }

    @Test func missingFileIsOneLineAndExit2() throws {
        let result = try VigilBinary.run(["audit", "no/such/file.pcap"])
        #expect(result.status == 2)
        #expect(result.stderr == "vigil: no/such/file.pcap: no such file or folder\n")
    }

    @Test func garbageIsOneLineAndExit2() throws {
        let path = TestPaths.fixture("garbage.pcap")
        let result = try VigilBinary.run(["audit", path])
        #expect(result.status == 2)
        let lines = result.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(
            result.stderr.contains("\(path): offset 0: neither a capture (no pcap or pcapng magic number) nor a text"))
        #expect(!result.stderr.contains("Fatal error"))
    }

    @Test func corruptHeaderIsExit2() throws {
        let result = try VigilBinary.run(["audit", TestPaths.fixture("bad-header.pcap")])
        #expect(result.status == 2)
        #expect(result.stderr.contains("unsupported pcap savefile version"))
    }

    @Test func truncatedCaptureKeepsItsFindingsAndWarns() throws {
        let result = try VigilBinary.run(["audit", TestPaths.fixture("truncated.pcap")])
        #expect(result.status == 1)
        #expect(result.stdout.contains("FTP login in clear text"))
        #expect(result.stderr.contains("warning: \(TestPaths.fixture("truncated.pcap")): truncated capture"))
        let quiet = try VigilBinary.run(["audit", TestPaths.fixture("truncated.pcap"), "--quiet"])
        #expect(quiet.stderr.isEmpty)
        #expect(quiet.stdout.contains("warning: truncated capture"), "the report still lists the warning")
    }

    @Test func usageErrorsExit2() throws {
        let unknownOption = try VigilBinary.run(["audit", "samples/", "--no-such-option"])
        #expect(unknownOption.status == 2)
        let badFormat = try VigilBinary.run(["audit", "samples/", "--format", "pdf"])
        #expect(badFormat.status == 2)
        let noPaths = try VigilBinary.run(["audit"])
        #expect(noPaths.status == 2)
    }

    @Test func invalidRuleFolderIsExit2WithFileAndLine() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let rule = folder.appendingPathComponent("bad.yml")
        try
            "title: x\nid: x\nlogsource: {category: credential}\ndetection:\n    s: {user.name: a}\n    condition: s and\n"
            .write(to: rule, atomically: true, encoding: .utf8)
        // The bad rule is said with its file and line, the audit runs the others and writes its
        // report, and the exit code says that not everything asked for was looked for.
        try "title: y\nid: y\nlogsource: {service: sshd}\ndetection:\n    s: [Corrupted MAC]\n    condition: s\n"
            .write(to: folder.appendingPathComponent("good.yml"), atomically: true, encoding: .utf8)
        let result = try VigilBinary.run(["audit", "samples/", "--rules", folder.path, "--format", "json"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("\(rule.path): line 6: condition 's and'"))
        #expect(result.stderr.contains("1 rule(s) with an error did not run"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let ruleSet = try #require(json["rule_set"] as? [String: Any])
        #expect(ruleSet["rules"] as? Int == 1)
        let skipped = try #require(ruleSet["skipped"] as? [[String: Any]])
        #expect(skipped.count == 1 && skipped.first?["line"] as? Int == 6 && skipped.first?["error"] as? Bool == true)
        let strict = try VigilBinary.run(["audit", "samples/", "--rules", folder.path, "--strict-rules"])
        #expect(strict.status == 2 && strict.stdout.isEmpty, "--strict-rules stops before reading")
        let validate = try VigilBinary.run(["rules", "validate", folder.path])
        #expect(validate.status == 2)
        #expect(validate.stdout.contains("1 rules, 0 correlations loaded; 0 skipped (cannot apply here), 1 errors"))
    }

    @Test func eventsAreOneJSONObjectPerLine() throws {
        let result = try VigilBinary.run(["events", TestPaths.fixture("ftp-port-2121.pcap")])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n")
        var kinds: [String] = []
        for line in lines {
            let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            kinds.append(try #require(json["kind"] as? String))
        }
        #expect(kinds.filter { $0 == "credential.observed" }.count == 2)
        #expect(kinds.filter { $0 == "device.observed" }.count == 4, "two hosts, first and last sighting each")
        #expect(!result.stdout.contains("hunter2"))
    }

    @Test func rulesTestAndList() throws {
        let validate = try VigilBinary.run(["rules", "validate"])
        #expect(validate.status == 0)
        #expect(validate.stdout.contains("0 errors"))
        #expect(validate.stderr.isEmpty, "the shipped rules load without a note")
        let test = try VigilBinary.run(["rules", "test"])
        #expect(test.status == 0)
        #expect(test.stdout.contains("0 failed"))
        let list = try VigilBinary.run(["rules", "list"])
        #expect(list.stdout.contains("net.cleartext-credential.ftp\thigh\tweak-credential"))
    }

    /// Every clear-text secret the capture fixtures hold: none may appear anywhere without
    /// `--reveal-secrets`, in any output format, on stdout or stderr.
    static let fixtureSecrets = [
        "hunter2", "correct horse battery staple", "Tr0ub4dor&3", "p@ss w0rd", "s3cret-v6", "last-words",
        "loop-back", "cooked-2", "double-tag", "pa:ss:word", "S3cr!t x", "hunter22", "w0rdpass", "atom-pass",
        "plain pass", "wrong-one", "right-one", "t3ln3t!", "s3cret-redis", "pg-secret", "private-rw", "over-ipv6",
        "on-ethernet", "on-raw-ip", "frankly",
    ]

    @Test func noSecretLeaksWithoutReveal() throws {
        let folder = "Tests/VigilCaptureTests/Fixtures"
        var outputs: [ProcessResult] = []
        for format in ["text", "json"] {
            outputs.append(try VigilBinary.run(["audit", folder, "--format", format, "--fail-on", "none"]))
        }
        for format in ["jsonl", "text"] {
            outputs.append(try VigilBinary.run(["events", folder, "--format", format]))
        }
        for result in outputs {
            #expect(result.stdout.contains("credential"), "the fixtures do hold credentials")
            for secret in Self.fixtureSecrets {
                #expect(!result.stdout.contains(secret), "\(secret) leaked to stdout")
                #expect(!result.stderr.contains(secret), "\(secret) leaked to stderr")
            }
        }
        // The samples' secrets too, with their strength reasons and the devices' listing.
        for arguments in [
            ["audit", "samples/", "--fail-on", "none"], ["audit", "samples/", "--format", "json", "--fail-on", "none"],
            ["devices", "samples/"],
        ] {
            let result = try VigilBinary.run(arguments)
            for secret in ["Summer2026!", "Tr0ub4dor&3x", "YWRtaW46MTIzNDU="] {
                #expect(!result.stdout.contains(secret), "\(secret) leaked by \(arguments)")
                #expect(!result.stderr.contains(secret), "\(secret) leaked by \(arguments)")
            }
        }
        let revealed = try VigilBinary.run([
            "audit", folder, "--format", "json", "--fail-on", "none", "--reveal-secrets",
        ])
        for secret in Self.fixtureSecrets {
            #expect(
                revealed.stdout.contains(secret.replacingOccurrences(of: "\"", with: "\\\"")), "\(secret) not revealed")
        }
    }
}
