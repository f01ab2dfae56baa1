import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

/// The examples of the Sigma rules specification
/// (`../shared/conformance/sigma/specification/sigma-rules-specification.md`, sections
/// Detection, Condition, Value Modifiers), each on Vigil's fields: the Windows `EventID` becomes
/// `event.action`, `Image` `process.command_line`, `PasswordLastSet` `user.id`, and keywords
/// search the log line (`log.message`).
@Suite("Conformance: Sigma rules specification examples")
struct SigmaRulesSpecificationTests {
    private func logEvent(_ fields: [Field: FieldValue], kind: EventKind = .accountChange) -> Event {
        event(fields, kind: kind, fromLog: true)
    }

    /// "Example for list of strings: Matches on 'EvilService' or 'svchost.exe -n evil'" —
    /// keywords, case-insensitive, searched in the line.
    @Test func keywordListIsOr() throws {
        let rule = try rule(
            "keywords:\n    - 'EVILSERVICE'\n    - 'svchost.exe -n evil'\ncondition: keywords",
            logsource: "product: linux")
        #expect(rule.usesKeywords)
        #expect(RuleEngine.matches(rule, logEvent([.logMessage: .string("started EvilService on boot")])))
        #expect(RuleEngine.matches(rule, logEvent([.logMessage: .string("ran svchost.exe -n evil twice")])))
        #expect(!RuleEngine.matches(rule, logEvent([.logMessage: .string("svchost.exe -n good")])))
    }

    /// "Example for list of maps": an image ending with example.exe or a description containing
    /// 'Test executable'.
    @Test func listOfMapsIsOr() throws {
        let rule = try rule(
            "selection:\n    - process.command_line|endswith: '\\\\example.exe'\n"
                + "    - event.reason|contains: 'Test executable'\ncondition: selection", logsource: "product: linux")
        #expect(RuleEngine.matches(rule, logEvent([.processCommandLine: .string("C:\\tools\\example.exe")])))
        #expect(RuleEngine.matches(rule, logEvent([.eventReason: .string("a Test executable ran")])))
        #expect(!RuleEngine.matches(rule, logEvent([.processCommandLine: .string("C:\\tools\\other.exe")])))
    }

    /// "matches on EventLog 'Security' and (Event ID 517 or Event ID 1102)": a map is AND, a
    /// list of values OR, numbers match their text.
    @Test func mapIsAndListIsOr() throws {
        let rule = try rule(
            "selection:\n    service: Security\n    event.action:\n        - 517\n        - 1102\ncondition: selection",
            logsource: "product: linux")
        #expect(RuleEngine.matches(rule, logEvent([.service: .string("Security"), .eventAction: .int(1102)])))
        #expect(RuleEngine.matches(rule, logEvent([.service: .string("security"), .eventAction: .string("517")])))
        #expect(!RuleEngine.matches(rule, logEvent([.service: .string("System"), .eventAction: .int(517)])))
        #expect(!RuleEngine.matches(rule, logEvent([.service: .string("Security"), .eventAction: .int(4624)])))
    }

    /// "selection and not filter" with `PasswordLastSet: null`: null is an absent field.
    @Test func nullIsAbsent() throws {
        let rule = try rule(
            "selection:\n    event.action: 4738\nfilter:\n    user.id: null\ncondition: selection and not filter",
            logsource: "product: linux")
        #expect(RuleEngine.matches(rule, logEvent([.eventAction: .int(4738), .userID: .int(0)])))
        #expect(!RuleEngine.matches(rule, logEvent([.eventAction: .int(4738)])))
    }

    /// The valid example: empty text and null are different tests, in selections of their own;
    /// the invalid one (null in a list of values) is refused.
    @Test func emptyAndNullAreDifferent() throws {
        let rule = try rule(
            "selection_main:\n    service: 'something'\nselection_empty1:\n    user.name: ''\n"
                + "selection_empty2:\n    user.name: null\ncondition: selection_main and 1 of selection_empty*",
            logsource: "product: linux")
        #expect(RuleEngine.matches(rule, logEvent([.service: .string("something"), .userName: .string("")])))
        #expect(RuleEngine.matches(rule, logEvent([.service: .string("something")])))
        #expect(!RuleEngine.matches(rule, logEvent([.service: .string("something"), .userName: .string("bob")])))
        let invalid =
            "title: x\nid: x\nlogsource: {product: linux}\ndetection:\n    selection_main:\n"
            + "        service: 'something'\n        user.name:\n            - ''\n            - null\n"
            + "    condition: selection_main\n"
        let error = try #require(throws: VigilError.self) { try RuleLoader.load(yaml: invalid, file: "n.yml") }
        #expect(error.description.hasPrefix("n.yml: line 9: null cannot be one of a list of values for 'user.name'"))
    }

    /// "PasswordLastSet|exists: true".
    @Test func existsModifier() throws {
        let rule = try rule(
            "selection:\n    event.action: 4738\n    user.id|exists: true\ncondition: selection",
            logsource: "product: linux")
        #expect(RuleEngine.matches(rule, logEvent([.eventAction: .int(4738), .userID: .string("")])))
        #expect(!RuleEngine.matches(rule, logEvent([.eventAction: .int(4738)])))
    }

    /// "Give: 'event::clear' or 'event::drop'", and with `'|all':` both must be there.
    @Test func keywordsOrAndAll() throws {
        let any = try rule(
            "mimikatz_keywords:\n    - 'event::clear'\n    - 'event::drop'\ncondition: mimikatz_keywords",
            logsource: "product: linux")
        #expect(RuleEngine.matches(any, logEvent([.logMessage: .string("mimikatz # event::drop")])))
        let all = try rule(
            "keywords_cmdlet:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\n"
                + "condition: keywords_cmdlet", logsource: "product: linux")
        #expect(all.usesKeywords)
        #expect(
            RuleEngine.matches(
                all, logEvent([.logMessage: .string("Set-OabVirtualDirectory -Identity x -ExternalUrl http://evil")])))
        #expect(!RuleEngine.matches(all, logEvent([.logMessage: .string("Set-OabVirtualDirectory -Identity x")])))
    }

    /// The Condition section: `1 of them` / `all of them` leave out `_` names; patterns;
    /// `1 of selection* and not 1 of filter*`; brackets; precedence (or < and < not); a
    /// condition list is an OR.
    @Test func conditions() throws {
        let base =
            "selection_a:\n    user.name: root\nselection_b:\n    src.ip: 203.0.113.7\n"
            + "filter_x:\n    service: cron\n_helper:\n    user.name: nobody\n"
        let alice = logEvent([.userName: .string("root"), .srcIP: .string("203.0.113.7"), .service: .string("sshd")])
        let cron = logEvent([.userName: .string("root"), .service: .string("cron")])
        let nobody = logEvent([.userName: .string("nobody")])
        func check(_ condition: String, _ expected: [Bool], line: Int = #line) throws {
            let compiled = try rule(base + "condition: \(condition)", logsource: "product: linux")
            let got = [alice, cron, nobody].map { RuleEngine.matches(compiled, $0) }
            #expect(got == expected, "\(condition)")
        }
        try check("1 of them", [true, true, false])
        try check("all of them", [false, false, false])
        try check("all of selection*", [true, false, false])
        try check("1 of selection* and not 1 of filter*", [true, false, false])
        try check("selection_a and (filter_x or selection_b)", [true, true, false])
        try check("selection_b or selection_a and filter_x", [true, true, false])
        try check("not selection_a and _helper", [false, false, true])
        try check("not (selection_a or _helper)", [false, false, false])
        let list = try rule(base + "condition:\n    - selection_b\n    - _helper", logsource: "product: linux")
        #expect([alice, cron, nobody].map { RuleEngine.matches(list, $0) } == [true, false, true])
    }
}
