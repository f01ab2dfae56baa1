import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

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

    /// Waves of sources, each wave long gone before the next: groups leave, their slots (and
    /// buffers) are reused by the next wave's groups, and every source still gets exactly its
    /// own finding, counting its own events, with its own evidence; a sequence likewise.
    @Test func groupsThatLeaveAreReusedCleanly() throws {
        let engine = try engine(
            """
            title: burst
            name: t.burst
            correlation: {type: event_count, rules: [t.failure], group-by: [src.ip], timespan: 60s, condition: {gte: 3}}
            ---
            title: then in
            name: t.then
            correlation: {type: temporal_ordered, rules: [t.burst, t.success], group-by: [src.ip], timespan: 10m, generate: true}
            """)
        var second: Int64 = 0
        for wave in 0..<5 {
            for source in 0..<300 {
                let ip = "10.\(wave).\(source / 256).\(source % 256)"
                // Even sources: 4 failures (a burst) then a success; odd ones: 2 failures only.
                for _ in 0..<(source % 2 == 0 ? 4 : 2) {
                    engine.process(event(.authFailure, at: second, ip: ip))
                    second += 1
                }
                if source % 2 == 0 { engine.process(event(.authSuccess, at: second, ip: ip)) }
            }
            second += 3_600  // the next wave comes after every group's time has passed
        }
        let all = try engine.findings()
        let bursts = all.filter { $0.rule == "t.burst" }
        #expect(bursts.count == 5 * 150)
        #expect(bursts.allSatisfy { $0.count == 4 && $0.evidence.count == 4 })
        #expect(Set(bursts.compactMap(\.subject.ip)).count == 5 * 150)
        let sequences = all.filter { $0.rule == "t.then" }
        #expect(sequences.count == 5 * 150)
        #expect(sequences.allSatisfy { finding in finding.evidence.allSatisfy { $0.source == "a.log" } })
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

/// Correlations that refer to one another: resolved to a fixed point, cycles and over-long
/// chains refused by name, and an engine given them anyway never recurses without end (the
/// fuzzer's stack overflow of 2026-11-29: two correlations counting each other's matches).
@Suite("Correlation references")
struct CorrelationReferenceTests {
    private func correlation(_ name: String, on rules: [String], generate: Bool = false) -> String {
        """
        title: \(name)
        name: \(name)
        correlation: {type: event_count, rules: [\(rules.joined(separator: ", "))], group-by: [src.ip], \
        timespan: 5m, condition: {gte: 1}, generate: \(generate)}
        """
    }

    /// The rule set made of CorrelationTests' two base rules and `correlations`, through the
    /// loader as `vigil` loads it.
    private func ruleSet(_ correlations: [String]) throws -> RuleSet {
        let path = try TestPaths.temporaryFolder().appendingPathComponent("chain.yml").path
        try ([CorrelationTests.base] + correlations).joined(separator: "\n---\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        return RuleSet.load(from: [path])
    }

    private func failure(at seconds: Int64) -> Event {
        var event = Event(
            kind: .authFailure, time: Timestamp(seconds: seconds),
            source: SourceLocation(path: "a.log", position: .line(Int(seconds))))
        event.set(.srcIP, "203.0.113.7")
        return event
    }

    @Test func cyclesAreRefusedByName() throws {
        let set = try ruleSet([
            correlation("c.a", on: ["t.failure", "c.b"]), correlation("c.b", on: ["c.a"]),
            correlation("c.self", on: ["t.failure", "c.self"]), correlation("c.after", on: ["c.b"]),
            correlation("c.fine", on: ["t.failure"]),
        ])
        #expect(set.correlations.map(\.id) == ["c.fine"])
        let reasons = set.errors.map(\.reason)
        #expect(reasons.filter { $0.contains("'c.a' → 'c.b' → 'c.a' refer to each other in a cycle") }.count == 2)
        #expect(reasons.contains { $0.contains("'c.self' → 'c.self' refer to each other in a cycle") })
        #expect(reasons.contains { $0.contains("'c.after' refers to 'c.b', which was refused") })
        #expect(set.errors.allSatisfy { ($0.path ?? "").hasSuffix("chain.yml") && $0.position != nil })
    }

    @Test func chainsLongerThanTheBoundAreRefused() throws {
        let length = RuleSet.maxCorrelationChain
        var links = [correlation("c.1", on: ["t.failure"])]
        for link in 2...(length + 1) { links.append(correlation("c.\(link)", on: ["c.\(link - 1)"])) }
        let set = try ruleSet(links)
        #expect(set.correlations.count == length)
        #expect(
            set.errors.map(\.reason) == [
                "correlation 'c.\(length + 1)' ends a chain of \(length + 1) correlations, more than the \(length) Vigil follows"
            ])
    }

    /// A correlation on a correlation that was itself dropped is dropped too (it could never
    /// fire), however long the chain.
    @Test func referencesResolveToAFixedPoint() throws {
        let set = try ruleSet([
            correlation("c.c", on: ["c.b"]), correlation("c.b", on: ["c.a"]), correlation("c.a", on: ["t.nothing"]),
        ])
        #expect(set.correlations.isEmpty)
        #expect(
            set.errors.map(\.reason) == [
                "correlation 'c.a' refers to no rule named t.nothing",
                "correlation 'c.b' refers to 'c.a', which was refused",
                "correlation 'c.c' refers to 'c.b', which was refused",
            ])
    }

    /// The engine alone, given a cycle the rule set would refuse, stops at the chain bound
    /// (each correlation `generate`s, so that both give findings).
    @Test func anEngineGivenACycleStops() throws {
        let loaded = try RuleLoader.load(
            yaml: [
                CorrelationTests.base, correlation("c.a", on: ["t.failure", "c.b"], generate: true),
                correlation("c.b", on: ["c.a"], generate: true),
            ].joined(separator: "\n---\n"), file: "cycle.yml")
        let engine = RuleEngine(rules: loaded.rules, correlations: loaded.correlations)
        for second in 0..<3 as Range<Int64> { engine.process(failure(at: second)) }
        let findings = try engine.findings()
        #expect(findings.contains { $0.rule == "c.a" })
        #expect(findings.contains { $0.rule == "c.b" })
    }
}

@Suite("Correlation group index")
struct HashIndexTests {
    /// Many groups coming and going (as an Internet-facing host's attackers do), with keys that
    /// collide on the table's low bits: the index always agrees with a dictionary.
    @Test func agreesWithADictionaryThroughChurn() {
        var index = HashIndex()
        var reference: [UInt64: Int32] = [:]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<200_000 {
            // Keys from a small range, shifted so that many share their low bits.
            let key = UInt64.random(in: 0..<5_000, using: &generator) << 20
            if Bool.random(using: &generator) || reference.count > 3_000 {
                index.remove(key)
                reference[key] = nil
            } else {
                index.set(key, Int32(round))
                reference[key] = Int32(round)
            }
            if round % 997 == 0 {
                #expect(index.count == reference.count)
                for (known, slot) in reference { #expect(index[known] == slot) }
            }
        }
        for probe in 0..<5_000 {
            let key = UInt64(probe) << 20
            #expect(index[key] == reference[key])
        }
    }
}

/// A value kept as a slice of its line and the same text as a string are one group.
@Suite("Correlation groups of text slices")
struct CorrelationSliceTests {
    @Test func sliceAndStringFallInOneGroup() {
        let name = "deploy-automation-account"
        var arena = TextArena()
        let text = Array(name.utf8).withUnsafeBytes { arena.store($0) }
        let basis = CorrelationEngine.fnvBasis
        #expect(CorrelationEngine.hash(.text(text), into: basis) == CorrelationEngine.hash(.string(name), into: basis))
        #expect(
            CorrelationEngine.hash(.text(text), into: basis) != CorrelationEngine.hash(.string(name + "s"), into: basis)
        )
        // A rule's test on the field reads the slice's bytes.
        var event = Event(
            kind: .authFailure, time: Timestamp(seconds: 0),
            source: SourceLocation(input: InputID(path: "t"), position: .line(1)))
        event.add(.userName, FieldValue.text(text))
        #expect(event[.userName] == .string(name))
        let yaml = """
            title: slice
            id: slice
            level: high
            logsource: {product: linux}
            detection:
              selection:
                user.name|contains: AUTOMATION
              condition: selection
            """
        let rule = try? RuleLoader.load(yaml: yaml, file: "slice.yml").rules.first
        #expect(rule.map { RuleEngine.matches($0, event) } == true)
    }
}
