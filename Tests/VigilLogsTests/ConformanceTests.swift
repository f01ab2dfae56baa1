import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

/// One annotated line of fail2ban's test logs, read as `../shared/conformance/README.md` says.
struct AnnotatedLine: Sendable, CustomTestStringConvertible {
    var file: String
    var number: Int
    var text: String
    var failure: Bool
    var host: String?
    var user: String?
    var time: String?
    var testDescription: String { "\(file):\(number)" }
}

enum Fail2ban {
    static let folder = TestPaths.conformance?.appendingPathComponent("logs/fail2ban")

    /// Every annotated line of `file`.
    static func annotations(_ file: String) throws -> [AnnotatedLine] {
        guard let folder else { return [] }
        let text = try String(contentsOf: folder.appendingPathComponent(file), encoding: .utf8)
        var lines: [AnnotatedLine] = []
        var pending: [[String: Any]] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            if line.hasPrefix("# failJSON:") {
                let json = line.dropFirst("# failJSON:".count)
                if let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any] {
                    pending.append(object)
                }
                continue
            }
            if line.hasPrefix("#") || line.trimmingCharacters(in: .whitespaces).isEmpty { continue }
            guard !pending.isEmpty else { continue }
            let kept = pending.filter { !(($0["constraint"] as? String) ?? "").contains("!= 'aggressive'") }
            pending = []
            guard !kept.isEmpty else { continue }  // annotated for fail2ban's normal mode only
            let positive = kept.first { ($0["match"] as? Bool) == true }
            let chosen = positive ?? kept.first ?? [:]
            lines.append(
                AnnotatedLine(
                    file: file, number: index + 1, text: String(line), failure: positive != nil,
                    host: chosen["host"] as? String, user: chosen["user"] as? String, time: chosen["time"] as? String))
        }
        return lines
    }

    static let files = [
        "apache-auth", "courier-auth", "dovecot", "dropbear", "nginx-http-auth", "pam-generic", "postfix", "proftpd",
        "selinux-ssh", "sendmail-auth", "sshd", "sshd-journal", "vsftpd", "xrdp",
    ]

    /// The harness's clock: fail2ban's tests run in `CET-01CEST-02,M3.5.0,M10.5.0` with "now"
    /// at 2005-08-14 12:00 CEST.
    static var options: LogOptions {
        LogOptions(zone: LogTimeZone("CET-01CEST-02,M3.5.0,M10.5.0")!, reference: Timestamp(seconds: 1_124_013_600))
    }
}

/// What Vigil made of one annotated line, against what fail2ban's annotation says.
struct Verdict {
    var line: AnnotatedLine
    var events: [Event]

    var failures: [Event] { events.filter { $0.kind == .authFailure } }

    /// `nil` when Vigil agrees, else what differs.
    var problem: String? {
        guard line.failure else {
            return failures.isEmpty ? nil : "an auth.failure was emitted for a line that is not one"
        }
        guard !failures.isEmpty else { return "no auth.failure" }
        let candidates = failures.filter { event in
            if let host = line.host {
                let ip = event[.srcIP]?.description
                let domain = event[.srcDomain]?.description
                guard ip == host || domain == host else { return false }
            }
            if let user = line.user, event[.userName]?.description != user { return false }
            return true
        }
        guard let match = candidates.first else {
            let seen = failures.map {
                "\($0[.srcIP]?.description ?? $0[.srcDomain]?.description ?? "-")/\($0[.userName]?.description ?? "-")"
            }
            return "host/user differ: expected \(line.host ?? "-")/\(line.user ?? "-"), got \(seen)"
        }
        if let expected = line.time {
            let local = Fail2ban.localTime(match.time)
            guard local.hasPrefix(expected.prefix(19)) || Fail2ban.sameTime(expected, local) else {
                return "time differs: expected \(expected), got \(local)"
            }
        }
        return nil
    }
}

extension Fail2ban {
    /// `yyyy-mm-ddThh:mm:ss` of `time` in the harness's zone.
    static func localTime(_ time: Timestamp) -> String {
        let clock = LogClock(zone: options.zone, reference: options.reference!)
        let civil = clock.localCivil(time.nanoseconds / 1_000_000_000)
        func pad(_ value: Int, _ width: Int) -> String {
            String(repeating: "0", count: max(0, width - String(value).count)) + String(value)
        }
        return "\(pad(civil.year, 4))-\(pad(civil.month, 2))-\(pad(civil.day, 2))T\(pad(civil.hour, 2)):"
            + "\(pad(civil.minute, 2)):\(pad(civil.second, 2))"
    }

    /// fail2ban writes some times without zero padding (`2005-03-7T02:09:33`).
    static func sameTime(_ expected: String, _ local: String) -> Bool {
        let parts = expected.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        let ours = local.split(whereSeparator: { "-T:".contains($0) }).compactMap { Int($0) }
        return parts.count == 6 && parts == ours
    }

    static func verdicts(_ file: String) throws -> [Verdict] {
        guard let folder else { return [] }
        let annotated = try annotations(file)
        var byLine: [Int: [Event]] = [:]
        _ = try LogReader(options: options).read(path: folder.appendingPathComponent(file).path) { event in
            if case .line(let number) = event.source.position { byLine[number, default: []].append(event) }
        }
        return annotated.map { Verdict(line: $0, events: byLine[$0.number] ?? []) }
    }
}

/// Lines where Vigil and fail2ban's annotation part, each with the reason Vigil is right (or
/// the annotations contradict each other). Every other annotated line must agree.
let arguedDivergences: [String: String] = [
    // fail2ban's tests run the same text under several "modes"; read without modes (as the
    // conformance README says), identical lines carry opposite annotations. Vigil follows the
    // aggressive-mode annotation that the same text gets further down the same file.
    "apache-auth:138": "mod_evasive denial: annotated false (normal mode) and true (line 146) for the same text",
    "dovecot:125": "same text annotated false (normal mode) and true (aggressive, line 159)",
    "dovecot:127": "same text annotated false (normal mode) and true (aggressive, line 164)",
    "dovecot:129": "same text annotated false (normal mode) and true (aggressive, line 166)",
    "dovecot:131": "same text annotated false (normal mode) and true (aggressive, line 168)",
    "dovecot:133": "same text annotated false (normal mode) and true (aggressive, line 170)",
    "postfix:147": "same text annotated false (auth mode) and true (aggressive, line 152)",
    // A mode that ignores pipelining: the same message from 1.2.3.4 (line 68) is a failure.
    "postfix:82": "improper pipelining after AUTH is annotated true at line 68; false here only in 'errors' mode",
    // fail2ban's pam-generic filter dropped Linux-PAM < 0.99.2 (`prog(pam_unix)[pid]:`), yet its
    // vsftpd filter matches the same format (vsftpd:7, `vsftpd(pam_unix)[15522]: authentication
    // failure`): PAM's own words say it is an authentication failure, so Vigil reports it.
    "pam-generic:12": "PAM says authentication failure; the same format is a failure in vsftpd's test log",
    // fail2ban counts a successful login after failures for other user names as one more
    // failure ("attempt 3rd user"). It is a success: Vigil reports auth.success, and the rule
    // engine's failures-then-success correlation flags the account (a likely compromise), which
    // is what a security manager must see, rather than one more failed attempt.
    "sshd:252": "a successful login (auth.success), flagged by the failures-then-success correlation",
    "sshd:262": "a successful login (auth.success), flagged by the failures-then-success correlation",
    "sshd-journal:244": "a successful login (auth.success), flagged by the failures-then-success correlation",
    "sshd-journal:254": "a successful login (auth.success), flagged by the failures-then-success correlation",
]

@Suite(
    "Conformance: fail2ban's annotated logs", .enabled(if: Fail2ban.folder != nil, "../shared/conformance is absent"))
struct Fail2banConformanceTests {
    /// Every annotated line agrees with fail2ban or is an argued divergence (which must still
    /// differ: a divergence that became agreement is removed from the list).
    @Test(arguments: Fail2ban.files) func annotatedLines(file: String) throws {
        let verdicts = try Fail2ban.verdicts(file)
        #expect(!verdicts.isEmpty)
        for verdict in verdicts {
            let key = "\(file):\(verdict.line.number)"
            if let argued = arguedDivergences[key] {
                #expect(
                    verdict.problem != nil, "\(key) now agrees with fail2ban: drop it from the argued list (\(argued))")
            } else {
                #expect(verdict.problem == nil, "\(key): \(verdict.problem ?? "") | \(verdict.line.text)")
            }
        }
    }

    /// The pass counts per file, printed for the closing note; 547 lines in all.
    @Test func passCounts() throws {
        var total = 0
        var passed = 0
        var report: [String] = []
        for file in Fail2ban.files {
            let verdicts = try Fail2ban.verdicts(file)
            let good = verdicts.filter { $0.problem == nil }.count
            total += verdicts.count
            passed += good
            report.append("\(file) \(good)/\(verdicts.count)")
        }
        print("fail2ban conformance: \(passed)/\(total): " + report.joined(separator: ", "))
        #expect(total == 547)
        #expect(total - passed == arguedDivergences.count)
    }
}
