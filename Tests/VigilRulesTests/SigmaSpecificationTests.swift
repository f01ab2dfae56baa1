import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

/// The examples of the Sigma correlation specification
/// (`../shared/conformance/sigma/specification/sigma-correlation-rules-specification.md`): each
/// complete rule in it loads (or, for the types Vigil does not implement, is refused by name),
/// and the engine does what the specification says each example means, on Vigil's fields
/// (the examples' Windows fields such as `ComputerName` are mapped to `host.name`, `User` to
/// `user.name`, `WorkstationName` to `src.ip`).
@Suite(
    "Conformance: Sigma specification examples",
    .enabled(if: TestPaths.conformance != nil, "../shared/conformance is absent"))
struct SigmaSpecificationTests {
    /// The YAML code blocks of the specification, in order.
    static func blocks() throws -> [String] {
        let path = try #require(TestPaths.conformance)
            .appendingPathComponent("sigma/specification/sigma-correlation-rules-specification.md").path
        let text = try String(contentsOfFile: path, encoding: .utf8)
        var blocks: [String] = []
        var current: [Substring]?
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("```yaml") {
                current = []
            } else if line.hasPrefix("```"), let lines = current {
                blocks.append(lines.joined(separator: "\n"))
                current = nil
            } else {
                current?.append(line)
            }
        }
        return blocks
    }

    /// Every complete correlation of the specification: the ones of the four types in the
    /// issue load with their parameters; value_sum, value_avg and value_percentile are refused
    /// with an error naming the type; the alias example loads with its two base rules.
    @Test func everyCompleteExampleLoadsOrIsRefusedByName() throws {
        let blocks = try Self.blocks()
        #expect(blocks.count == 14)
        var loaded = 0
        var refused: [String] = []
        for block in blocks where block.contains("correlation:") && block.contains("type:") {
            // The temporal examples are given without a title: one is added.
            var yaml = block.contains("title:") ? block : "title: example\n" + block
            yaml = yaml.replacingOccurrences(of: "title: —\nid: —", with: "title: alias example")
            if yaml.contains("internal_error") {
                // The alias example's base rules are the two blocks before it; their fields are ECS
                // names Vigil's events do not carry, so they are another product's rules.
                yaml =
                    "title: e\nlogsource: {product: ecs}\n" + blocks[11]
                    + "\n---\ntitle: n\nlogsource: {product: ecs}\n"
                    + blocks[12] + "\n---\n" + yaml
            }
            if !yaml.contains("condition:") { yaml += "\n    condition: {gte: 1}" }
            do {
                let set = try RuleLoader.load(yaml: yaml, file: "spec.yml")
                loaded += set.correlations.count
            } catch {
                refused.append(error.reason)
            }
        }
        #expect(loaded == 5, "event_count, value_count, temporal, temporal_ordered, aliases")
        #expect(refused.count == 3, "\(refused)")
        for type in ["value_sum", "value_avg", "value_percentile"] {
            #expect(refused.contains { $0.hasPrefix("correlation type '\(type)' is not one of") })
        }
    }

    private static let failures = """
        title: failed login
        id: 5638f7c0-ac70-491d-8465-2a65075e0d86
        logsource: {product: linux, category: authentication}
        detection:
            selection: {event.kind: auth.failure}
            condition: selection
        ---
        title: successful login
        name: successful_login
        logsource: {product: linux, category: authentication}
        detection:
            selection: {event.kind: auth.success}
            condition: selection
        """

    private func engine(_ correlations: String, base: String = failures) throws -> RuleEngine {
        let set = try RuleLoader.load(yaml: base + "\n---\n" + correlations, file: "spec.yml")
        return RuleEngine(rules: set.rules, correlations: set.correlations)
    }

    private func login(
        _ kind: EventKind, at seconds: Int64, host: String = "ws-1", user: String = "alice", ip: String = "10.0.0.5"
    ) -> Event {
        var event = Event(
            kind: kind, time: Timestamp(seconds: 1_700_000_000 + seconds),
            source: SourceLocation(path: "auth.log", position: .line(Int(seconds) + 1)))
        event.set(.hostName, host)
        event.set(.userName, user)
        event.set(.srcIP, ip)
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

    /// "Many failed logins": 100 or more failures on one computer within an hour.
    @Test func eventCountManyFailedLogins() throws {
        let correlation = """
            title: Many failed logins
            id: 0e95725d-7320-415d-80f7-004da920fc11
            correlation:
                type: event_count
                rules:
                    - 5638f7c0-ac70-491d-8465-2a65075e0d86
                group-by:
                    - host.name
                timespan: 1h
                condition:
                    gte: 100
            """
        let slow = try engine(correlation)
        // 100 failures, one every 37 s: never 100 within an hour.
        for index in 0..<100 { slow.process(login(.authFailure, at: Int64(index) * 37)) }
        #expect(try count(slow, "0e95725d-7320-415d-80f7-004da920fc11") == 0)
        let fast = try engine(correlation)
        for index in 0..<99 { fast.process(login(.authFailure, at: Int64(index) * 30)) }
        // 99 on ws-1 and one on ws-2: groups apart, nothing yet.
        fast.process(login(.authFailure, at: 2_980, host: "ws-2"))
        #expect(try count(fast, "0e95725d-7320-415d-80f7-004da920fc11") == 0)
        fast.process(login(.authFailure, at: 2_990))
        #expect(try findings(fast, "0e95725d-7320-415d-80f7-004da920fc11") == 1)
        #expect(try count(fast, "0e95725d-7320-415d-80f7-004da920fc11") == 100)
        let finding = try #require(try fast.findings().first)
        #expect(finding.subject.host == "ws-1")
    }

    /// "Failed login" (value_count): 100 or more distinct users failing from one workstation
    /// on one computer within a day.
    @Test func valueCountDistinctUsers() throws {
        let engine = try engine(
            """
            title: Failed login
            id: 0e95725d-7320-415d-80f7-004da920fc12
            correlation:
                type: value_count
                rules:
                    - 5638f7c0-ac70-491d-8465-2a65075e0d86
                group-by:
                    - host.name
                    - src.ip
                timespan: 1d
                condition:
                    field: user.name
                    gte: 100
            """)
        // 500 failures of the same 99 users: 99 distinct values, no match.
        for index in 0..<500 { engine.process(login(.authFailure, at: Int64(index) * 60, user: "user\(index % 99)")) }
        #expect(try count(engine, "0e95725d-7320-415d-80f7-004da920fc12") == 0)
        engine.process(login(.authFailure, at: 40_000, user: "user-new"))
        #expect(try findings(engine, "0e95725d-7320-415d-80f7-004da920fc12") == 1)
        #expect(try count(engine, "0e95725d-7320-415d-80f7-004da920fc12") == 501, "every failure of the day")
    }

    /// temporal: three reconnaissance commands in any order within five minutes, on one
    /// computer by one user.
    @Test func temporalReconnaissance() throws {
        let base = ["whoami", "hostname", "ipconfig"].enumerated().map { index, command in
            """
            title: recon \(index)
            name: recon_cmd_\(["a", "b", "c"][index])
            logsource: {product: linux, category: privilege}
            detection:
                selection: {process.command_line|endswith: \(command)}
                condition: selection
            """
        }.joined(separator: "\n---\n")
        let engine = try engine(
            """
            title: recon
            name: recon
            correlation:
                type: temporal
                rules:
                    - recon_cmd_a
                    - recon_cmd_b
                    - recon_cmd_c
                group-by:
                    - host.name
                    - user.name
                timespan: 5m
            """, base: base)
        func command(_ text: String, at seconds: Int64, user: String = "bob") -> Event {
            var event = login(.privilegeUse, at: seconds, user: user)
            event.set(.processCommandLine, "/usr/bin/" + text)
            return event
        }
        // Out of order, but the first is more than five minutes before the last: no match.
        engine.process(command("ipconfig", at: 0))
        engine.process(command("whoami", at: 200))
        engine.process(command("hostname", at: 301, user: "carol"))
        engine.process(command("hostname", at: 400))
        #expect(try count(engine, "recon") == 0)
        engine.process(command("ipconfig", at: 450))
        #expect(try findings(engine, "recon") == 1)
        #expect(try count(engine, "recon") == 3)
    }

    /// temporal_ordered: many failed logins (an event_count correlation), then a successful
    /// login of the same user, within an hour. The order matters.
    @Test func temporalOrderedFailuresThenSuccess() throws {
        let correlations = """
            title: many failed logins
            name: many_failed_logins
            correlation:
                type: event_count
                rules: [5638f7c0-ac70-491d-8465-2a65075e0d86]
                group-by: [user.name]
                timespan: 10m
                condition: {gte: 5}
            ---
            title: failures then success
            name: compromise
            correlation:
                type: temporal_ordered
                rules:
                    - many_failed_logins
                    - successful_login
                group-by:
                    - user.name
                timespan: 1h
            """
        let inOrder = try engine(correlations)
        for second in 0..<5 { inOrder.process(login(.authFailure, at: Int64(second) * 10)) }
        inOrder.process(login(.authSuccess, at: 1_800))
        #expect(try findings(inOrder, "compromise") == 1)
        #expect(try count(inOrder, "compromise") == 2, "the last failure of the burst, and the success")
        let reversed = try engine(correlations)
        reversed.process(login(.authSuccess, at: 0))
        for second in 1...5 { reversed.process(login(.authFailure, at: Int64(second) * 10)) }
        #expect(try count(reversed, "compromise") == 0)
        #expect(try count(reversed, "many_failed_logins") == 0, "generate is false by default")
        let late = try engine(correlations)
        for second in 0..<5 { late.process(login(.authFailure, at: Int64(second) * 10)) }
        late.process(login(.authSuccess, at: 3_700))
        #expect(try count(late, "compromise") == 0)
    }

    /// Field aliases: a server error and a new connection between the same two hosts within
    /// ten seconds, where the hosts are destination and source in one rule and the other way
    /// round in the other.
    @Test func aliases() throws {
        let base = """
            title: internal error
            name: internal_error
            logsource: {category: webserver}
            detection:
                selection: {http.status: 500}
                condition: selection
            ---
            title: new network connection
            name: new_network_connection
            logsource: {category: protocol}
            detection:
                selection: {network.transport: tcp}
                condition: selection
            """
        let engine = try engine(
            """
            title: error then connection
            name: error_then_connection
            correlation:
                type: temporal
                rules:
                    - internal_error
                    - new_network_connection
                group-by:
                    - internal_ip
                    - remote_ip
                timespan: 10s
                aliases:
                    internal_ip:
                        internal_error: dst.ip
                        new_network_connection: src.ip
                    remote_ip:
                        internal_error: src.ip
                        new_network_connection: dst.ip
            """, base: base)
        func error(at seconds: Int64, server: String, client: String) -> Event {
            var event = Event(
                kind: .httpRequest, time: Timestamp(seconds: seconds),
                source: SourceLocation(path: "access.log", position: .line(1)))
            event.set(.httpStatus, 500)
            event.set(.dstIP, server)
            event.set(.srcIP, client)
            return event
        }
        func connection(at seconds: Int64, from: String, to: String) -> Event {
            var event = Event(
                kind: .protocolObserved, time: Timestamp(seconds: seconds),
                source: SourceLocation(path: "c.pcap", position: .packet(1)))
            event.set(.transport, "tcp")
            event.set(.srcIP, from)
            event.set(.dstIP, to)
            return event
        }
        engine.process(error(at: 0, server: "10.0.0.9", client: "203.0.113.5"))
        // The same pair the wrong way round, and the right pair too late: no match.
        engine.process(connection(at: 3, from: "203.0.113.5", to: "10.0.0.9"))
        engine.process(connection(at: 11, from: "10.0.0.9", to: "203.0.113.5"))
        #expect(try count(engine, "error_then_connection") == 0)
        // The connection at 11 and the error at 20: within ten seconds, in any order.
        engine.process(error(at: 20, server: "10.0.0.9", client: "203.0.113.5"))
        #expect(try findings(engine, "error_then_connection") == 1)
        engine.process(connection(at: 25, from: "10.0.0.9", to: "203.0.113.5"))
        #expect(try findings(engine, "error_then_connection") == 1)
        #expect(try count(engine, "error_then_connection") == 3)
    }

    /// The range of the specification: more than 100 and at most 200.
    @Test func rangeCondition() throws {
        let correlation = """
            title: range
            name: range
            correlation:
                type: event_count
                rules: [5638f7c0-ac70-491d-8465-2a65075e0d86]
                group-by: [host.name]
                timespan: 1h
                condition:
                    gt: 100
                    lte: 200
            """
        let engine = try engine(correlation)
        for index in 0..<100 { engine.process(login(.authFailure, at: Int64(index))) }
        #expect(try count(engine, "range") == 0)
        engine.process(login(.authFailure, at: 100))
        #expect(try findings(engine, "range") == 1)
        #expect(try count(engine, "range") == 101)
        let condition = try #require(
            try RuleLoader.load(yaml: Self.failures + "\n---\n" + correlation, file: "x").correlations.first?.condition)
        #expect(!condition.holds(100))
        #expect(condition.holds(101))
        #expect(condition.holds(200))
        #expect(!condition.holds(201))
    }

    @Test func aliasErrorsNameTheProblem() throws {
        let bad = """
            title: c
            correlation:
                type: temporal
                rules: [5638f7c0-ac70-491d-8465-2a65075e0d86, successful_login]
                group-by: [who]
                timespan: 1m
                aliases:
                    who:
                        other_rule: user.name
            """
        #expect(throws: VigilError.self) { try RuleLoader.load(yaml: Self.failures + "\n---\n" + bad, file: "x.yml") }
        do {
            _ = try RuleLoader.load(yaml: Self.failures + "\n---\n" + bad, file: "x.yml")
        } catch {
            #expect(error.reason == "alias 'who' names rule 'other_rule', which the correlation does not list")
        }
    }
}
