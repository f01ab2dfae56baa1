import Foundation
import Testing
import VigilAudit
import VigilCore
import VigilLogs
import VigilTestSupport

@testable import VigilRules

/// SigmaHQ's own rules, as they are in `../shared/conformance/sigmahq/`, on log lines written
/// the way the software concerned writes them (`Fixtures/sigmahq/`: syslog, auth.log, an access
/// log, Apache's and nginx's error logs, an audit log in the enriched format). `expected.json`
/// says, for each rule, the lines it fires on, and why where it is not obvious; every rule must
/// fire on those lines and on no other line of the folder.
@Suite(
    "SigmaHQ rules on real log lines",
    .enabled(if: TestPaths.conformance != nil, "../shared/conformance is absent"))
struct SigmaHQRuleTests {
    struct Expectation: Decodable {
        var rule: String
        var fires: [String]
        var why: String?
    }

    static let folder = TestPaths.fixture("sigmahq", target: "VigilAuditTests")
    static var sigmahq: URL { TestPaths.conformance!.appendingPathComponent("sigmahq") }

    static func expectations() throws -> [Expectation] {
        struct File: Decodable { var rules: [Expectation] }
        let data = try Data(contentsOf: URL(fileURLWithPath: folder + "/expected.json"))
        return try JSONDecoder().decode(File.self, from: data).rules
    }

    /// Every event of every log of the folder, as `file:line`.
    static func events() throws -> [(place: String, event: Event)] {
        var all: [(String, Event)] = []
        let names = try FileManager.default.contentsOfDirectory(atPath: folder).filter { !$0.hasSuffix(".json") }
        for name in names.sorted() {
            let reader = LogReader(options: LogOptions(zone: .utc, reference: Timestamp(seconds: 1_764_000_000)))
            let outcome = try reader.read(path: folder + "/" + name) { event in
                guard case .line(let number) = event.source.position else { return }
                all.append(("\(name):\(number)", event))
            }
            #expect(outcome.error == nil && outcome.input.warnings.isEmpty, "\(name): \(outcome.input.warnings)")
        }
        return all
    }

    /// The places a loaded rule fires on.
    static func fired(_ rule: Rule, _ events: [(place: String, event: Event)]) -> [String] {
        var places: [String] = []
        for (place, event) in events where RuleEngine.matches(rule, event) && places.last != place {
            places.append(place)
        }
        return places
    }

    @Test func atLeastTwentyFiveRulesOfEveryKindAreCovered() throws {
        let expected = try Self.expectations()
        #expect(expected.filter { !$0.fires.isEmpty }.count >= 25)
        let services = Set(
            try expected.map { entry in
                let text = try String(contentsOf: Self.sigmahq.appendingPathComponent(entry.rule), encoding: .utf8)
                return text.split(separator: "\n").first { $0.contains("service:") || $0.contains("category:") }
                    .map { $0.trimmingCharacters(in: .whitespaces) } ?? "product: linux"
            })
        for wanted in [
            "service: sshd", "service: syslog", "service: auth", "service: sudo", "service: cron", "service: vsftpd",
            "service: apache", "service: nginx", "category: webserver", "service: auditd",
        ] {
            #expect(services.contains(wanted), "no rule of \(wanted)")
        }
    }

    @Test func eachRuleFiresOnItsLinesAndNoOther() throws {
        let events = try Self.events()
        for entry in try Self.expectations() {
            let file = Self.sigmahq.appendingPathComponent(entry.rule).path
            let loaded = try RuleLoader.load(file: file)
            #expect(loaded.skipped.isEmpty, "\(entry.rule): \(loaded.skipped.map(\.reason))")
            let rule = try #require(loaded.rules.first, "\(entry.rule) did not load")
            #expect(Self.fired(rule, events).sorted() == entry.fires.sorted(), "\(entry.rule)")
        }
    }

    /// The audit as a user runs it: the same rules, from their folders, give one finding per rule
    /// expected to fire, with the expected lines as evidence, and no other.
    @Test func theAuditFindsTheSame() throws {
        let expected = try Self.expectations()
        let folders = ["rules/linux", "rules/web", "rules-emerging-threats"].map {
            Self.sigmahq.appendingPathComponent($0).path
        }
        let set = RuleSet.load(from: folders)
        #expect(set.errors.isEmpty)
        var audit = Audit(rules: set, revealSecrets: false, logOptions: LogOptions(zone: .utc))
        audit.digest = .ephemeral()
        let result = try audit.run([Self.folder])
        var found: [String: [String]] = [:]
        for finding in result.report.findings {
            let rule = try #require(set.rules.first { $0.id == finding.rule })
            let relative = String(rule.file.dropFirst(Self.sigmahq.path.count + 1))
            found[relative, default: []] += finding.evidence.map {
                URL(fileURLWithPath: $0.source).lastPathComponent + ":"
                    + $0.locator.replacingOccurrences(of: "line ", with: "")
            }
        }
        let wanted = Dictionary(uniqueKeysWithValues: expected.filter { !$0.fires.isEmpty }.map { ($0.rule, $0.fires) })
        #expect(found.mapValues { $0.sorted() } == wanted.mapValues { $0.sorted() })
    }

    /// The pwnkit rule as SigmaHQ spells it never matches what pkexec writes; with polkit's own
    /// spelling it fires on the pkexec line of auth.log (`service: auth`: the authentication
    /// stream, by program or by file name), not on the same words logged by another program to
    /// syslog.
    @Test func serviceAuthIsTheAuthenticationStream() throws {
        let file = Self.sigmahq.appendingPathComponent(
            "rules-emerging-threats/2021/Exploits/CVE-2021-4034/lnx_auth_exploit_cve_2021_4034_pwnkit_lpe.yml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(text.contains("contains suspicious content"))
        let corrected = text.replacingOccurrences(
            of: "contains suspicious content", with: "contains suscipious content")
        let rule = try #require(try RuleLoader.load(yaml: corrected, file: "pwnkit-as-polkit-writes.yml").rules.first)
        #expect(Self.fired(rule, try Self.events()) == ["auth.log:18"])
    }

    /// `service: auth` also takes lines logged under the auth or authpriv facility, where the
    /// line says it (journald's `SYSLOG_FACILITY`, an RFC 5424 `<PRI>`), whatever the program
    /// and the file; the same lines under another facility are not of the stream.
    @Test func serviceAuthTakesTheAuthFacilities() throws {
        let file = Self.sigmahq.appendingPathComponent(
            "rules-emerging-threats/2021/Exploits/CVE-2021-4034/lnx_auth_exploit_cve_2021_4034_pwnkit_lpe.yml")
        let corrected = try String(contentsOf: file, encoding: .utf8).replacingOccurrences(
            of: "contains suspicious content", with: "contains suscipious content")
        let rule = try #require(try RuleLoader.load(yaml: corrected, file: "pwnkit-as-polkit-writes.yml").rules.first)
        let message =
            "alice: The value for environment variable XAUTHORITY contains suscipious content [USER=root] "
            + "[TTY=/dev/pts/0] via pkexec"
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var journal = ""
        for facility in [10, 3, 4] {
            journal +=
                #"{"__REALTIME_TIMESTAMP":"1764000000000000","_HOSTNAME":"web1","SYSLOG_IDENTIFIER":"helperd","#
                + #""SYSLOG_FACILITY":"\#(facility)","_PID":"77","MESSAGE":"\#(message)"}"# + "\n"
        }
        try journal.write(to: folder.appendingPathComponent("journal.json"), atomically: true, encoding: .utf8)
        // PRI 86 = authpriv (10) × 8 + info; 30 = daemon (3) × 8 + info; 38 = auth (4) × 8 + info.
        let remote = [86, 30, 38].map { "<\($0)>1 2025-11-24T10:13:00Z web1 helperd 78 - - \(message)" }
        try (remote.joined(separator: "\n") + "\n").write(
            to: folder.appendingPathComponent("remote.log"), atomically: true, encoding: .utf8)
        var places: [String] = []
        for name in ["journal.json", "remote.log"] {
            _ = try LogReader(options: LogOptions(zone: .utc)).read(path: folder.appendingPathComponent(name).path) {
                event in
                guard case .line(let number) = event.source.position, RuleEngine.matches(rule, event) else { return }
                places.append("\(name):\(number)")
            }
        }
        #expect(places == ["journal.json:1", "journal.json:3", "remote.log:1", "remote.log:3"])
    }

    /// A folder none of whose rules applies here (SigmaHQ's Windows rules on Linux logs and a
    /// capture) runs, and its report never reads as a clean bill: no rule ran, and it says so.
    @Test func aFolderOfRulesThatCannotApplyIsNoCleanBill() throws {
        let rules = RuleSet.load(from: [Self.sigmahq.appendingPathComponent("rules/windows").path])
        #expect(rules.rules.isEmpty && rules.errors.isEmpty && rules.skipped.count > 2_000)
        let result = try Audit(rules: rules, revealSecrets: false).run([
            TestPaths.root.appendingPathComponent("samples").path
        ])
        #expect(result.report.findings.isEmpty)
        #expect(result.report.noFindingsSentence.hasPrefix("No findings, because no rule ran"))
        #expect(result.report.ruleSet?.warnings.contains { $0.hasPrefix("no rule ran") } == true)
    }
}
