import Foundation
import Testing
import VigilAudit
import VigilCore
import VigilRules
import VigilTestSupport

/// Each shipped rule and correlation is its own test: its synthetic examples agree with the
/// engine, and at least one example reads a real log or capture through Vigil's readers (so a
/// field renamed in a parser fails the rule that uses it).
@Suite("Shipped rules, one by one")
struct ShippedRuleTests {
    static let set = RuleSet.load(from: [TestPaths.rules])
    static let ids: [String] = set.rules.map(\.id) + set.correlations.map(\.id)

    @Test func everyRuleIsHere() {
        #expect(Self.set.errors.isEmpty, "\(Self.set.errors)")
        #expect(Self.ids.count >= 50)
    }

    @Test(arguments: ids)
    func examplesPass(_ id: String) {
        let outcomes = RuleExamples.run(Self.set, only: id)
        #expect(outcomes.contains { $0.readsInput }, "\(id) has no example read from a real log or capture")
        for outcome in outcomes {
            #expect(outcome.passed, "\(id), test '\(outcome.example)': \(outcome.problem ?? "")")
        }
    }
}
