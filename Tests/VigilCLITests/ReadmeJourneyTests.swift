import Foundation
import Testing
import VigilTestSupport

/// The README's audit and breach journeys, run command by command as written in a copy of
/// `samples/` (the disposal journey runs in VigilDisposalTests): each command exits 0 or 1
/// (findings), and what the README shows them printing is what they print.
@Suite("The README's audit and breach journeys", .serialized)
struct ReadmeJourneyTests {
    static func readme() throws -> String {
        try String(contentsOf: TestPaths.root.appendingPathComponent("README.md"), encoding: .utf8)
    }

    /// The commands of the first `sh` block after `heading`: comment lines left out, lines ending
    /// in `\` joined to the next.
    static func commands(after heading: String) throws -> [String] {
        let text = try readme()
        let start = try #require(text.range(of: heading))
        let rest = text[start.upperBound...]
        let open = try #require(rest.range(of: "```sh\n"))
        let close = try #require(rest.range(of: "\n```", range: open.upperBound..<rest.endIndex))
        var commands: [String] = []
        var pending = ""
        for line in rest[open.upperBound..<close.lowerBound].split(separator: "\n", omittingEmptySubsequences: true) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("#") || trimmed.isEmpty { continue }
            if trimmed.hasSuffix("\\") {
                pending += trimmed.dropLast() + " "
                continue
            }
            commands.append(pending + trimmed)
            pending = ""
        }
        return commands
    }

    @Test func theAuditAndBreachJourneysRunAsWritten() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try FileManager.default.copyItem(
            at: TestPaths.root.appendingPathComponent("samples"), to: folder.appendingPathComponent("samples"))
        let bash = try #require(Command.find("bash"))
        let environment = [
            "PATH": VigilBinary.url.deletingLastPathComponent().path + ":"
                + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "HOME": folder.path, "XDG_DATA_HOME": folder.appendingPathComponent("data").path, "TZ": "UTC",
            "NO_COLOR": "1",
        ]
        var printed = ""
        for heading in ["## The audit: a folder of captures, logs and an inventory", "## A breach: from the findings"] {
            let commands = try Self.commands(after: heading)
            #expect(!commands.isEmpty, "\(heading) has no command block")
            for command in commands {
                let run = try Command.run(bash, ["-c", command], environment: environment, in: folder)
                #expect(run.status == 0 || run.status == 1, "\(command): exit \(run.status)\n\(run.stderr)")
                printed += run.stdout + run.stderr
            }
        }
        // Every format the audit journey promises is in report/.
        let written = try FileManager.default.contentsOfDirectory(atPath: folder.appendingPathComponent("report").path)
        #expect(
            written.sorted() == [
                "findings.csv", "report.html", "report.json", "report.md", "report.sarif", "report.txt",
            ])
        // The lines the README shows are the ones printed.
        let readme = try Self.readme()
        for line in [
            "vigil: wrote report/report.html, report/report.json, report/report.sarif, report/findings.csv, report/report.md, report/report.txt",
            "vigil: 4 input(s) read (0 warning(s)), 3 skipped; 27 finding(s): 5 critical, 8 high, 10 medium, 4 low, 0 info (7 weak-credential, 12 policy-breach, 2 unmanaged-device, 5 insecure-protocol, 1 disposal); 8 device(s), 1 not in the inventory; report: report",
            "checklist 1: 40 item(s) from 27 finding(s)",
            "  [ ] 7. Disable or lock the account 'root' on files and end its sessions; block 198.51.100.23 at the firewall (Login success after a brute force, samples/logs/auth.log line 13).",
            "checklist 1, item 1: done by Ann Lee",
        ] {
            #expect(printed.contains(line), "not printed: \(line)")
            #expect(readme.contains(line), "not in the README: \(line)")
        }
    }
}
