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

@Suite("Rule files")
struct RuleFileTests {
    /// A rule naming a field no source of its events produces cannot apply: it is skipped, with
    /// the nearest field for a typo; so is a rule for a product Vigil does not read, with why.
    @Test func rulesThatCannotApplyAreSkippedWithTheirReason() throws {
        let typo =
            "title: x\nid: x\nlogsource: {product: linux, category: authentication}\ndetection:\n  s:\n    user.nme: root\n  condition: s\n"
        let skipped = try RuleLoader.load(yaml: typo, file: "typo.yml")
        #expect(skipped.rules.isEmpty)
        #expect(
            skipped.skipped.first?.reason
                == "rule 'x': no source of its events produces field 'user.nme' (did you mean 'user.name'?)")
        #expect(skipped.skipped.first?.line == 1)
        let elsewhere =
            "title: x\nid: x\nlogsource: {product: linux, category: authentication}\ndetection:\n  s: {http.status: 401}\n  condition: s\n"
        #expect(
            try RuleLoader.load(yaml: elsewhere, file: "e.yml").skipped.first?.reason
                == "rule 'x': no source of its events produces field 'http.status' (Vigil has it on http.request events, not on auth.failure, auth.success)"
        )
        let windows =
            "title: x\nid: x\nlogsource: {product: windows, category: process_creation}\ndetection:\n  s: {Image: a.exe}\n  condition: s\n"
        let loaded = try RuleLoader.load(yaml: windows, file: "win.yml")
        #expect(loaded.rules.isEmpty)
        #expect(loaded.skipped.first?.reason.contains("Vigil reads no Windows event logs yet") == true)
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
        // Loaded, or skipped with a named reason (a Windows rule: Vigil reads no Windows events yet).
        #expect(loaded.rules.count + loaded.correlations.count + loaded.skipped.count == 1)
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

    @Test func windowsRuleIsSkippedWithItsReason() throws {
        let path = try #require(TestPaths.conformance).appendingPathComponent("sigma/tests/schema/rules/rule_1.yml")
            .path
        let set = RuleSet.load(from: [path])
        #expect(set.errors.isEmpty)
        #expect(set.rules.isEmpty)
        #expect(set.skipped.first?.reason.contains("Windows") == true)
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
