import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

extension CLITests {
    /// From a report to every item done: the checklist the findings call for, dependencies
    /// enforced, two processes ticking items at once without losing any, the history shown.
    @Test func checklistFromReportToDone() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let report = folder.appendingPathComponent("report.json").path
        let store = folder.appendingPathComponent("store.sqlite").path
        _ = try VigilBinary.run(["audit", "samples/", "--format", "json", "--output", report, "--quiet"])
        let made = try VigilBinary.run(["checklist", "breach", "--from", report, "--store", store])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(made.stdout.contains("Rotate the ftp credentials of the account 'alice' on 10.0.0.9:21"))
        #expect(made.stdout.contains("Locate the device 02:42:ac:11:00:66"))
        #expect(!made.stdout.contains("{"), "every placeholder filled")
        let count = try #require(
            Int(made.stdout.split(separator: "\n")[0].split(separator: " ")[2]), "checklist 1: N item(s)")
        // Item 2 (triage) waits for item 1.
        let early = try VigilBinary.run(["checklist", "done", "1", "2", "--by", "Ann", "--store", store])
        #expect(early.status == 2)
        #expect(early.stderr.contains("item 2 waits for item 1, which is still open"))
        #expect(try VigilBinary.run(["checklist", "done", "1", "1", "--by", "Ann", "--store", store]).status == 0)
        // Two people tick the rest at once, each from an end: nothing lost.
        let remaining = Array(2...count)
        func tick(_ numbers: [Int], by: String) -> Process {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            let commands = numbers.map {
                "'\(VigilBinary.url.path)' checklist done 1 \($0) --by \(by) --store '\(store)' >/dev/null 2>&1 || true"
            }
            process.arguments = ["-c", commands.joined(separator: "; ")]
            return process
        }
        // Phase order keeps dependencies first: each process takes every other item in order,
        // retrying a refusal once the other has caught up.
        let first = tick(remaining.enumerated().filter { $0.offset % 2 == 0 }.map(\.element), by: "Ann")
        let second = tick(remaining.enumerated().filter { $0.offset % 2 == 1 }.map(\.element), by: "Bo")
        try first.run()
        try second.run()
        first.waitUntilExit()
        second.waitUntilExit()
        // Whatever was refused for an open dependency, finish in order now.
        for number in remaining {
            _ = try VigilBinary.run(["checklist", "done", "1", String(number), "--by", "Cy", "--store", store])
        }
        let shown = try VigilBinary.run(["checklist", "show", "1", "--store", store])
        #expect(shown.stdout.contains("\(count)/\(count) done"))
        #expect(!shown.stdout.contains("[ ]"))
        let history = shown.stdout.components(separatedBy: "\nHistory\n").last ?? ""
        #expect(history.split(separator: "\n").count == count, "one history line per item, none lost")
        #expect(history.contains("by Ann") && history.contains("by Bo"))
        let reopened = try VigilBinary.run([
            "checklist", "reopen", "1", "3", "--by", "Ann", "--note", "evidence copy incomplete", "--store", store,
        ])
        #expect(reopened.status == 0)
        let markdown = try VigilBinary.run(["checklist", "show", "1", "--format", "md", "--store", store])
        #expect(markdown.stdout.contains("| 3 | reopen | Ann | evidence copy incomplete |"))
        let html = try VigilBinary.run(["checklist", "show", "1", "--format", "html", "--store", store])
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(html.stdout.contains("☐ OPEN"))
        let list = try VigilBinary.run(["checklist", "list", "--store", store])
        #expect(list.stdout.hasPrefix("1\t\(count - 1)/\(count) done"))
        let template = try VigilBinary.run(["checklist", "new", "lost-stolen-device", "--store", store])
        #expect(template.status == 0)
        #expect(template.stdout.hasPrefix("checklist 2: Lost or stolen device"))
    }
}
