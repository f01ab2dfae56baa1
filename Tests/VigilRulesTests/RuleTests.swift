import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

/// An event with the given fields, from a capture (or from a log with `fromLog`).
func event(_ fields: [Field: FieldValue], kind: EventKind = .credentialObserved, fromLog: Bool = false) -> Event {
    var event = Event(
        kind: kind, time: Timestamp(seconds: 1_700_000_000),
        source: SourceLocation(path: "test", position: fromLog ? .line(1) : .packet(1)))
    for (field, value) in fields.sorted(by: { $0.key.index < $1.key.index }) { event.set(field, value) }
    return event
}

/// A one-document rule with `detection` spliced in.
func rule(_ detection: String, logsource: String = "category: credential") throws -> Rule {
    let yaml = """
        title: test rule
        id: test.rule
        logsource:
            \(logsource)
        detection:
        \(detection.split(separator: "\n", omittingEmptySubsequences: false).map { "    " + $0 }.joined(separator: "\n"))
        """
    let loaded = try RuleLoader.load(yaml: yaml, file: "inline.yml")
    return try #require(loaded.rules.first)
}

@Suite("Shipped rules")
struct ShippedRuleTests {
    static let set = RuleSet.load(from: [TestPaths.rules])

    @Test func allLoadWithoutErrorsOrNotes() {
        #expect(Self.set.errors.isEmpty, "\(Self.set.errors)")
        #expect(Self.set.notes.isEmpty, "\(Self.set.notes)")
        #expect(Self.set.rules.contains { $0.id == "net.cleartext-credential.ftp" })
    }

    @Test func everyRuleCarriesExamples() {
        for rule in Self.set.rules {
            #expect(rule.tests.contains { $0.shouldMatch }, "\(rule.id) has no matching example")
            #expect(rule.tests.contains { !$0.shouldMatch }, "\(rule.id) has no non-matching example")
        }
    }

    /// Correlations too: a sequence that must give a finding and one that must not (the silent
    /// start of a chain has only the latter: it gives findings to nobody).
    @Test func everyCorrelationCarriesExamples() {
        for correlation in Self.set.correlations {
            if correlation.severity != .info {
                #expect(correlation.examples.contains { $0.findings > 0 }, "\(correlation.id) has no firing example")
            }
            #expect(correlation.examples.contains { $0.findings == 0 }, "\(correlation.id) has no quiet example")
        }
    }

    // Each rule's examples, synthetic and read from real inputs, run one test per rule in
    // VigilAuditTests/ShippedRuleTests.swift.

    @Test func ftpRuleMetadata() throws {
        let ftp = try #require(Self.set.rules.first { $0.id == "net.cleartext-credential.ftp" })
        #expect(ftp.severity == .high)
        #expect(ftp.category == .weakCredential)
        #expect(ftp.title == "FTP login in clear text")
        #expect(!ftp.remediation.isEmpty)
        #expect(ftp.checklist.contains("contain.rotate-credential"))
        #expect(ftp.file.hasSuffix("rules/network/cleartext-ftp-login.yml"))
    }
}

@Suite("Conditions")
struct ConditionTests {
    static let detection = """
        sel_a:
            user.name: alice
        sel_b:
            dst.port: 21
        filter:
            credential.anonymous: true
        _private:
            user.name: nobody
        """

    @Test(arguments: [
        ("sel_a", true),
        ("not sel_a", false),
        ("sel_a and sel_b", true),
        ("sel_a and not sel_b", false),
        ("sel_a and filter or sel_b", true),
        ("1 of _*", false),
        ("sel_a and (filter or sel_b)", true),
        ("sel_a and (filter or not sel_b)", false),
        ("not sel_a or sel_b", true),
        ("NOT sel_a OR filter", false),
        ("1 of sel_*", true),
        ("all of sel_*", true),
        ("all of them", false),  // `filter` is false; `_private` is not part of `them`
        ("1 of them and not filter", true),
        ("2 of sel_*", true),
        ("all of sel_* and filter", false),
        ("any of filter", false),
        ("not not sel_a", true),
    ])
    func evaluation(condition: String, expected: Bool) throws {
        let compiled = try rule(Self.detection + "\ncondition: \(condition)")
        let e = event([.userName: .string("alice"), .dstPort: .int(21), .credentialAnonymous: .bool(false)])
        #expect(RuleEngine.matches(compiled, e) == expected)
    }

    @Test(arguments: [
        ("sel_a and", "ends where a term was expected"),
        ("(sel_a", "is not closed"),
        ("sel_a)", "unexpected ')'"),
        ("sel_c", "'sel_c' is not a selection of this rule"),
        ("1 of nothing*", "names no selection"),
        ("sel_a | count() > 5", "aggregation expressions"),
        ("", "the condition is empty"),
    ])
    func errorsNameTheProblemAndLine(condition: String, message: String) throws {
        let yaml =
            "title: t\nid: t\nlogsource: {category: credential}\ndetection:\n    sel_a: {user.name: a}\n"
            + "    condition: '\(condition)'\n"
        let error = try #require(throws: VigilError.self) { try RuleLoader.load(yaml: yaml, file: "bad.yml") }
        #expect(error.description.contains(message), "\(error)")
        #expect(error.description.hasPrefix("bad.yml: line 6"), "\(error)")
    }
}

@Suite("Field values and modifiers")
struct ModifierTests {
    static let alice = event([
        .userName: .string("Alice.Smith"), .hostName: .string("files.example.org"), .dstPort: .int(2121),
    ])

    @Test(arguments: [
        ("user.name: alice.smith", true),  // case-insensitive by default
        ("user.name|cased: alice.smith", false),
        ("user.name|cased: Alice.Smith", true),
        ("user.name: alice*", true),
        ("user.name: '*smith'", true),
        ("user.name: 'a?ice.smith'", true),
        ("user.name: 'a?ce.smith'", false),
        ("user.name|contains: ce.sm", true),
        ("user.name|startswith: ali", true),
        ("user.name|endswith: smith", true),
        ("user.name|endswith: alice", false),
        ("user.name|contains|all: [alice, smith]", true),
        ("user.name|contains|all: [alice, jones]", false),
        ("user.name|contains: [jones, smith]", true),
        ("user.name|re: '^A[a-z]+\\.S'", true),
        ("user.name|re: '^a[a-z]+\\.s'", false),
        ("user.name|re|i: '^a[a-z]+\\.s'", true),
        ("host.name|exists: true", true),
        ("src.ip|exists: true", false),
        ("src.ip|exists: false", true),
        ("src.ip: null", true),
        ("user.name: null", false),
        ("dst.port: 2121", true),
        ("dst.port|gte: 1024", true),
        ("dst.port|lt: 1024", false),
        ("dst.port|neq: 21", true),
        ("user.name|neq: alice.smith", false),
        ("user.name: 'alice\\*'", false),
    ])
    func selection(_ text: String, expected: Bool) throws {
        let compiled = try rule("selection:\n    \(text)\ncondition: selection")
        #expect(RuleEngine.matches(compiled, Self.alice) == expected)
    }

    /// In another product's rule, a field Vigil's events never carry is absent: it never
    /// matches, `|exists: false` always does.
    @Test func fieldsOfOtherProductsAreAbsent() throws {
        let absent = try rule("selection:\n    Provider_Name: x\ncondition: selection", logsource: "product: windows")
        #expect(!RuleEngine.matches(absent, Self.alice))
        let missing = try rule(
            "selection:\n    Provider_Name|exists: false\ncondition: selection", logsource: "product: windows")
        #expect(missing.notes.contains { $0.contains("Provider_Name") })
    }

    @Test func listsOfMapsAreAlternatives() throws {
        let compiled = try rule(
            """
            selection:
                - user.name: bob
                - user.name: alice.smith
                  dst.port: 2121
            condition: selection
            """)
        #expect(RuleEngine.matches(compiled, Self.alice))
    }

    @Test func keywordsSearchFieldValues() throws {
        let compiled = try rule("keywords:\n    - example.org\ncondition: keywords")
        #expect(RuleEngine.matches(compiled, Self.alice))
        let miss = try rule("keywords:\n    - example.com\ncondition: keywords")
        #expect(!RuleEngine.matches(miss, Self.alice))
    }

    @Test(arguments: [
        ("user.name|windash: x", "unsupported modifier 'windash'"),
        ("user.name|fieldref: x", "unsupported modifier 'fieldref'"),
        ("user.name|frobnicate: x", "unknown modifier 'frobnicate'"),
        ("user.name|re: '(unclosed'", "invalid regular expression"),
        ("dst.port|gt: many", "needs a number"),
    ])
    func badModifiersAreErrors(_ text: String, message: String) throws {
        let error = try #require(throws: VigilError.self) { try rule("selection:\n    \(text)\ncondition: selection") }
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func logsourceSelectsEvents() throws {
        let compiled = try rule(
            "selection:\n    user.name: alice.smith\ncondition: selection", logsource: "product: network")
        #expect(RuleEngine.matches(compiled, Self.alice))
        var fromLog = Self.alice
        fromLog.source.position = .line(4)
        #expect(!RuleEngine.matches(compiled, fromLog))
        let auth = try rule(
            "selection:\n    user.name: alice.smith\ncondition: selection", logsource: "category: authentication")
        #expect(!RuleEngine.matches(auth, Self.alice))
    }
}

@Suite("Rule files")
struct RuleFileTests {
    /// For a log source Vigil reads, a field no source produces is a typo: an error with the
    /// line and the nearest field; for another product's rule it is a note (the rule cannot match).
    @Test func unknownFieldsAreErrorsWhereVigilReadsTheSource() throws {
        let typo =
            "title: x\nid: x\nlogsource: {product: linux, category: authentication}\ndetection:\n  s:\n    user.nme: root\n  condition: s\n"
        let error = try #require(throws: VigilError.self) { try RuleLoader.load(yaml: typo, file: "typo.yml") }
        #expect(
            error.description
                == "typo.yml: line 6: unknown field 'user.nme': no Vigil source produces it (did you mean 'user.name'?)"
        )
        let windows =
            "title: x\nid: x\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {Image: a.exe}\n  condition: s\n"
        let loaded = try RuleLoader.load(yaml: windows, file: "win.yml")
        #expect(loaded.rules.count == 1)
        #expect(loaded.rules[0].notes.contains { $0.contains("no Vigil source produces field 'Image'") })
    }

    @Test func unknownVigilKeysAreErrors() throws {
        let yaml =
            "title: x\nid: x\nlogsource: {category: credential}\ndetection: {s: {user.name: a}, condition: s}\nvigil:\n  severty: high\n"
        let error = try #require(throws: VigilError.self) { try RuleLoader.load(yaml: yaml, file: "k.yml") }
        #expect(error.description.hasPrefix("k.yml: line 6: unknown key 'severty' under 'vigil'"))
    }

    @Test func yamlSyntaxErrorsGiveLineAndColumn() throws {
        let error = try #require(throws: VigilError.self) {
            try RuleLoader.load(yaml: "title: x\ndetection:\n  sel: [a, b\n", file: "broken.yml")
        }
        #expect(error.description.hasPrefix("broken.yml: line "), "\(error)")
        #expect(error.description.contains("not valid YAML"))
    }

    @Test(arguments: [
        ("id: x\nlogsource: {category: credential}\ndetection: {s: {user.name: a}, condition: s}", "no 'title'"),
        (
            "title: x\nlogsource: {category: credential}\ndetection: {s: {user.name: a}, condition: s}",
            "neither 'id' nor 'name'"
        ),
        ("title: x\nid: x\ndetection: {s: {user.name: a}, condition: s}", "'logsource'"),
        ("title: x\nid: x\nlogsource: {category: credential}\ndetection: {s: {user.name: a}}", "no 'condition'"),
        (
            "title: x\nid: x\nlogsource: {category: credential}\ndetection: {s: {user.name: a}, condition: s}\n"
                + "vigil: {severity: urgent}", "severity 'urgent'"
        ),
        (
            "title: x\nid: x\nlogsource: {category: credential}\ndetection: {s: {user.name: a}, condition: s}\n"
                + "vigil: {category: bad}", "category 'bad'"
        ),
    ])
    func missingPartsAreNamed(yaml: String, message: String) throws {
        let error = try #require(throws: VigilError.self) { try RuleLoader.load(yaml: yaml, file: "r.yml") }
        #expect(error.description.contains(message), "\(error)")
        #expect(error.code == .invalidRule)
    }

    @Test func duplicateIDsAreRejected() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let text =
            "title: x\nid: same\nlogsource: {category: credential}\ndetection: {s: {user.name: a}, condition: s}\n"
        try text.write(to: folder.appendingPathComponent("a.yml"), atomically: true, encoding: .utf8)
        try text.write(to: folder.appendingPathComponent("b.yaml"), atomically: true, encoding: .utf8)
        let set = RuleSet.load(from: [folder.path])
        #expect(set.rules.count == 1)
        #expect(set.errors.count == 1)
        #expect(set.errors.first?.description.contains("already used") == true)
    }

    @Test func severityFallsBackToSigmaLevel() throws {
        let loaded = try RuleLoader.load(
            yaml: "title: x\nid: x\nlevel: critical\nlogsource: {category: credential}\n"
                + "detection: {s: {user.name: a}, condition: s}", file: "r.yml")
        #expect(loaded.rules.first?.severity == .critical)
        #expect(loaded.rules.first?.category == .policyBreach)
    }
}

/// The Sigma specification's own example rules must load.
@Suite("Conformance: Sigma examples", .enabled(if: TestPaths.conformance != nil, "../shared/conformance is absent"))
struct SigmaConformanceTests {
    static var files: [String] {
        guard let base = TestPaths.conformance?.appendingPathComponent("sigma/tests/schema") else { return [] }
        let walker = FileManager.default.enumerator(atPath: base.path)
        var files: [String] = []
        while let relative = walker?.nextObject() as? String {
            if relative.hasSuffix(".yml") { files.append(base.appendingPathComponent(relative).path) }
        }
        return files.sorted()
    }

    @Test func thereAreExamples() { #expect(Self.files.count >= 5) }

    @Test(arguments: files)
    func exampleLoads(_ path: String) throws {
        let loaded = try RuleLoader.load(file: path)
        #expect(loaded.rules.count + loaded.correlations.count == 1)
    }

    @Test func correlationExamplesKeepTheirParameters() throws {
        let base = try #require(TestPaths.conformance).appendingPathComponent("sigma/tests/schema/correlation")
        let count = try RuleLoader.load(file: base.appendingPathComponent("event_count.yml").path).correlations[0]
        #expect(count.type == .eventCount)
        #expect(count.groupBy == ["ComputerName"])
        #expect(count.timespan == 3600)
        let values = try RuleLoader.load(file: base.appendingPathComponent("value_count.yml").path).correlations[0]
        #expect(values.timespan == 86400)
        #expect(values.groupBy == ["ComputerName", "WorkstationName"])
    }

    @Test func windowsRuleLoadsButSaysItCannotMatch() throws {
        let path = try #require(TestPaths.conformance).appendingPathComponent("sigma/tests/schema/rules/rule_1.yml")
            .path
        let set = RuleSet.load(from: [path])
        #expect(set.errors.isEmpty)
        #expect(set.rules.first?.severity == .high)
        #expect(set.notes.contains { $0.contains("cannot match") })
    }
}

@Suite("Aggregation into findings")
struct EngineTests {
    @Test func sameRuleAndSubjectAggregate() throws {
        let compiled = try rule("selection:\n    user.name: alice\ncondition: selection")
        let engine = RuleEngine(rules: [compiled])
        for second in [30, 10, 20] {
            var e = event([.userName: .string("alice"), .srcIP: .string("10.0.0.5")])
            e.time = Timestamp(seconds: Int64(second))
            engine.process(e)
        }
        engine.process(event([.userName: .string("alice"), .srcIP: .string("10.0.0.6")]))
        engine.process(event([.userName: .string("bob"), .srcIP: .string("10.0.0.5")]))
        let findings = try engine.findings()
        #expect(engine.eventCount == 5)
        #expect(findings.count == 2)
        let first = try #require(findings.first { $0.subject.ip == "10.0.0.5" })
        #expect(first.count == 3)
        #expect(first.firstSeen == Timestamp(seconds: 10))
        #expect(first.lastSeen == Timestamp(seconds: 30))
        #expect(first.evidence.count == 3)
        #expect(first.subject.user == "alice")
    }

    @Test func evidenceIsBounded() throws {
        let compiled = try rule("selection:\n    user.name: alice\ncondition: selection")
        let engine = RuleEngine(rules: [compiled])
        for _ in 0..<100 { engine.process(event([.userName: .string("alice")])) }
        let finding = try #require(try engine.findings().first)
        #expect(finding.count == 100)
        #expect(finding.evidence.count == Finding.evidenceLimit)
    }
}

@Suite("Rules shown only the events they can match")
struct KindNarrowingTests {
    /// A rule whose every match needs `event.kind: X` is shown only events of kind X, even
    /// when its log source admits more (authentication: failures and successes).
    @Test func eventKindEqualityNarrowsTheKinds() throws {
        let rules = RuleSet.load(from: [TestPaths.rules]).rules
        let rootLogin = try #require(rules.first { $0.id == "linux.policy.root-login" })
        #expect(rootLogin.kinds == [.authSuccess])
        let sudoDenied = try #require(rules.first { $0.id == "linux.policy.sudo-denied" })
        #expect(sudoDenied.kinds == [.privilegeDenied])
        // A rule without such a test keeps its log source's kinds.
        let privileged = try #require(rules.first { $0.id == "linux.policy.privileged-group-member" })
        #expect(privileged.kinds == [.accountChange])
    }
}

@Suite("Correlations")
struct CorrelationTests {
    static let base = """
        title: failure
        name: t.failure
        logsource: {product: linux, category: authentication}
        detection:
            selection: {event.kind: auth.failure}
            condition: selection
        ---
        title: success
        name: t.success
        logsource: {product: linux, category: authentication}
        detection:
            selection: {event.kind: auth.success}
            condition: selection
        """

    private func engine(_ correlation: String) throws -> RuleEngine {
        let loaded = try RuleLoader.load(yaml: Self.base + "\n---\n" + correlation, file: "test.yml")
        return RuleEngine(rules: loaded.rules, correlations: loaded.correlations)
    }

    private func event(_ kind: EventKind, at seconds: Int64, ip: String = "203.0.113.7", user: String = "root") -> Event
    {
        var event = Event(
            kind: kind, time: Timestamp(seconds: seconds),
            source: SourceLocation(path: "a.log", position: .line(Int(seconds))))
        event.set(.srcIP, ip)
        event.set(.userName, user)
        return event
    }

    /// The events the findings of `rule` counted.
    private func count(_ engine: RuleEngine, _ rule: String) throws -> Int {
        try engine.findings().filter { $0.rule == rule }.reduce(0) { $0 + $1.count }
    }

    /// The findings of `rule`.
    private func findings(_ engine: RuleEngine, _ rule: String) throws -> Int {
        try engine.findings().filter { $0.rule == rule }.count
    }

    /// event_count: the window slides on event time; groups are counted apart; the base rule
    /// gives no finding of its own (generate: false). The finding counts the events of the
    /// window, and names the account they all tried.
    @Test func eventCount() throws {
        let engine = try engine(
            """
            title: burst
            name: t.burst
            correlation: {type: event_count, rules: [t.failure], group-by: [src.ip], timespan: 60s, condition: {gte: 3}}
            """)
        for second in [0, 10, 100, 110, 150] as [Int64] { engine.process(event(.authFailure, at: second)) }
        #expect(try findings(engine, "t.burst") == 1)
        #expect(try count(engine, "t.burst") == 3)  // 100, 110, 150: three within a minute
        for second in [200, 201] as [Int64] { engine.process(event(.authFailure, at: second, ip: "198.51.100.1")) }
        #expect(try findings(engine, "t.burst") == 1)  // another source: its own group, two events
        #expect(try count(engine, "t.failure") == 0)
        let finding = try #require(try engine.findings().first { $0.rule == "t.burst" })
        #expect(finding.subject.ip == "203.0.113.7")
        #expect(finding.subject.user == "root")
        #expect(finding.firstSeen == Timestamp(seconds: 100) && finding.lastSeen == Timestamp(seconds: 150))
        #expect(finding.evidence.map(\.locator) == ["line 100", "line 110", "line 150"])
    }

    /// A range: more than 2 and at most 3.
    @Test func rangeCondition() throws {
        let engine = try engine(
            """
            title: range
            name: t.range
            correlation: {type: event_count, rules: [t.failure], group-by: [src.ip], timespan: 60s, condition: {gt: 2, lte: 3}}
            """)
        for second in [0, 1, 2] as [Int64] { engine.process(event(.authFailure, at: second)) }
        #expect(try findings(engine, "t.range") == 1)
        #expect(try count(engine, "t.range") == 3)
    }

    /// value_count: distinct user names from one source (password spraying).
    @Test func valueCount() throws {
        let engine = try engine(
            """
            title: spray
            name: t.spray
            correlation:
                type: value_count
                rules: [t.failure]
                group-by: [src.ip]
                timespan: 10m
                condition: {field: user.name, gte: 3}
            """)
        for (second, user) in [(0, "root"), (1, "root"), (2, "admin"), (3, "root")] as [(Int64, String)] {
            engine.process(event(.authFailure, at: second, user: user))
        }
        #expect(try count(engine, "t.spray") == 0)
        engine.process(event(.authFailure, at: 4, user: "oracle"))
        #expect(try findings(engine, "t.spray") == 1)
        #expect(try count(engine, "t.spray") == 5, "every failure of the window")
        #expect(try engine.findings().first { $0.rule == "t.spray" }?.subject.user == nil, "several accounts")
    }

    /// temporal: every rule within the span, in any order; temporal_ordered: in the order given.
    @Test func temporalAndOrdered() throws {
        let any = try engine(
            """
            title: both
            name: t.both
            correlation: {type: temporal, rules: [t.success, t.failure], group-by: [src.ip], timespan: 60s}
            """)
        any.process(event(.authFailure, at: 0))
        any.process(event(.authSuccess, at: 30))
        #expect(try findings(any, "t.both") == 1)
        #expect(try count(any, "t.both") == 2)
        let ordered = try engine(
            """
            title: then
            name: t.then
            correlation: {type: temporal_ordered, rules: [t.success, t.failure], group-by: [src.ip], timespan: 60s}
            """)
        ordered.process(event(.authFailure, at: 0))
        ordered.process(event(.authSuccess, at: 30))
        #expect(try count(ordered, "t.then") == 0)  // failure before success: not this order
        ordered.process(event(.authFailure, at: 40))
        #expect(try findings(ordered, "t.then") == 1)
        #expect(try count(ordered, "t.then") == 2)
        let late = try engine(
            """
            title: then
            name: t.then
            correlation: {type: temporal_ordered, rules: [t.failure, t.success], group-by: [src.ip], timespan: 60s}
            """)
        late.process(event(.authFailure, at: 0))
        late.process(event(.authSuccess, at: 61))
        #expect(try count(late, "t.then") == 0)  // outside the span
    }

    /// A correlation may refer to another (Sigma's chains): success after a burst.
    @Test func chainedCorrelations() throws {
        let engine = try engine(
            """
            title: burst
            name: t.burst
            correlation: {type: event_count, rules: [t.failure], group-by: [src.ip], timespan: 60s, condition: {gte: 3}}
            ---
            title: compromise
            name: t.compromise
            correlation: {type: temporal_ordered, rules: [t.burst, t.success], group-by: [src.ip], timespan: 1h}
            """)
        engine.process(event(.authSuccess, at: 0))
        for second in [10, 11, 12] as [Int64] { engine.process(event(.authFailure, at: second)) }
        engine.process(event(.authSuccess, at: 100, ip: "10.0.0.5"))
        #expect(try count(engine, "t.compromise") == 0)
        engine.process(event(.authSuccess, at: 200))
        #expect(try findings(engine, "t.compromise") == 1)
        #expect(try count(engine, "t.compromise") == 2, "the last failure of the burst, and the success")
    }

    @Test func invalidCorrelationsAreErrors() {
        #expect(throws: VigilError.self) {
            try RuleLoader.load(
                yaml: "title: x\ncorrelation: {type: event_count, rules: [a], timespan: 5m}", file: "x.yml")
        }
        #expect(throws: VigilError.self) {
            try RuleLoader.load(
                yaml: "title: x\ncorrelation: {type: event_count, rules: [a], timespan: 5m, condition: {above: 3}}",
                file: "x.yml")
        }
        let set = RuleSet.load(from: [TestPaths.rules])
        #expect(set.errors.isEmpty)
        #expect(set.correlations.count == 5)
    }
}

@Suite("Modifiers: cidr, base64, base64offset")
struct EncodingModifierTests {
    private func rule(_ detection: String) throws -> Rule {
        let text = """
            title: t
            name: t.modifier
            logsource: {product: linux}
            detection:
            \(detection.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                condition: selection
            """
        return try #require(try RuleLoader.load(yaml: text, file: "t.yml").rules.first)
    }

    private func event(_ field: Field, _ value: String) -> Event {
        var event = Event(
            kind: .authFailure, time: Timestamp(seconds: 0), source: SourceLocation(path: "a", position: .line(1)))
        event.set(field, value)
        return event
    }

    @Test func cidr() throws {
        let v4 = try rule("selection:\n    src.ip|cidr: 10.0.0.0/8")
        #expect(RuleEngine.matches(v4, event(.srcIP, "10.200.3.4")))
        #expect(!RuleEngine.matches(v4, event(.srcIP, "11.0.0.1")))
        #expect(!RuleEngine.matches(v4, event(.srcIP, "not an address")))
        let v6 = try rule("selection:\n    src.ip|cidr:\n        - fe80::/10\n        - 192.168.0.0/16")
        #expect(RuleEngine.matches(v6, event(.srcIP, "fe80::1")))
        #expect(RuleEngine.matches(v6, event(.srcIP, "192.168.7.7")))
        #expect(!RuleEngine.matches(v6, event(.srcIP, "2001:db8::1")))
        #expect(throws: VigilError.self) { try rule("selection:\n    src.ip|cidr: 10.0.0.0/40") }
    }

    /// Sigma's documented encodings: `http://` at the three alignments.
    @Test func base64offsetVariants() {
        #expect(DetectionCompiler.base64Offsets(Array("http://".utf8)) == ["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"])
        #expect(DetectionCompiler.base64(Array("cmd".utf8)) == "Y21k")
    }

    @Test func base64Matching() throws {
        let exact = try rule("selection:\n    process.command_line|base64: whoami")
        #expect(RuleEngine.matches(exact, event(.processCommandLine, "d2hvYW1p")))
        let offset = try rule("selection:\n    process.command_line|base64offset|contains: http://")
        // `curl http://x` base64-encoded: the value sits at an offset inside it.
        #expect(RuleEngine.matches(offset, event(.processCommandLine, "powershell -enc Y3VybCBodHRwOi8veA==")))
        #expect(!RuleEngine.matches(offset, event(.processCommandLine, "powershell -enc d2hvYW1p")))
    }

    @Test func windowsModifiersAreRejected() {
        #expect(throws: VigilError.self) { try rule("selection:\n    process.command_line|windash|contains: -enc") }
        #expect(throws: VigilError.self) {
            try rule("selection:\n    process.command_line|wide|base64offset|contains: x")
        }
    }
}
