import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

/// The bounds on what rules may cost: file size, YAML expansion, rule count.
@Suite struct RuleLimitTests {
    static let detection = """
        logsource:
            product: linux
        detection:
            selection:
                user.name: root
            condition: selection
        """

    @Test func billionLaughsIsRefused() throws {
        var yaml = "title: laughs\nid: test.laughs\n"
        yaml += "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for level in 1...6 {
            let previous = "*a\(level - 1)"
            yaml += "a\(level): &a\(level) [\(Array(repeating: previous, count: 10).joined(separator: ", "))]\n"
        }
        yaml += Self.detection
        let error = try #require(throws: VigilError.self) { try RuleLoader.load(yaml: yaml, file: "laughs.yml") }
        #expect(error.code == .limit)
        #expect(error.description.contains("expands to more than 100000 nodes"), "\(error)")
    }

    @Test func oversizedRuleFilesAreRefused() throws {
        let folder = try TestPaths.temporaryFolder()
        let path = folder.appendingPathComponent("huge.yml")
        let padding = String(repeating: "# padding\n", count: 110_000)
        try Data(("title: huge\nid: test.huge\n" + Self.detection + "\n" + padding).utf8).write(to: path)
        let set = RuleSet.load(from: [folder.path])
        #expect(set.rules.isEmpty)
        #expect(set.errors.contains { $0.code == .limit && $0.description.contains("more than the 1048576") })
    }

    @Test func theRuleCountIsBounded() throws {
        let folder = try TestPaths.temporaryFolder()
        let perFile = 3_334
        for file in 0..<3 {
            var text = ""
            for index in 0..<perFile {
                text += "title: r\nid: test.r\(file).\(index)\n" + Self.detection + "\n---\n"
            }
            try Data(text.utf8).write(to: folder.appendingPathComponent("rules-\(file).yml"))
        }
        let set = RuleSet.load(from: [folder.path])
        #expect(set.rules.count == RuleSet.maxRules, "\(set.errors.prefix(2))")
        let error = try #require(set.errors.first { $0.code == .limit })
        #expect(error.description.contains("10002 rules, more than the 10000"), "\(error)")
        #expect(set.rules.last?.id == "test.r2.3331")
    }

    /// A window longer than ten years would overflow the nanoseconds it is held in.
    @Test(arguments: ["99999999999w", "9223372036854775807s", "3651d"])
    func overlongTimespansAreRefused(_ span: String) throws {
        let yaml = """
            title: burst
            name: t.burst
            correlation: {type: event_count, rules: [t.failure], group-by: [src.ip], timespan: \(span), condition: {gte: 3}}
            """
        let error = try #require(throws: VigilError.self) { try RuleLoader.load(yaml: yaml, file: "burst.yml") }
        #expect(error.description.contains("of at most ten years"), "\(error)")
    }
}
