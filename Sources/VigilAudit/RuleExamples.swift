internal import Foundation
public import VigilCapture
internal import VigilCore
public import VigilLogs
public import VigilRules

/// Runs the examples rules carry (`vigil: tests:`): synthetic events, and real inputs read by
/// Vigil's own readers and enriched as an audit enriches them (inventory, credential strength,
/// login history), so a rule is judged on the fields the parsers really give.
public enum RuleExamples {
    /// One example's verdict.
    public struct Outcome: Sendable {
        /// The rule file.
        public var file: String
        /// The rule or correlation.
        public var rule: String
        public var isCorrelation: Bool
        /// The example's name.
        public var example: String
        /// Whether it read a real input (a log or a capture) rather than a synthetic event.
        public var readsInput: Bool
        public var passed: Bool
        /// What went wrong, when it did not pass.
        public var problem: String?
    }

    /// Runs the examples of every rule and correlation of `set` (or only those of `ruleID`),
    /// each correlation example through the whole set (correlations need their rules).
    public static func run(_ set: RuleSet, only ruleID: String? = nil) -> [Outcome] {
        var outcomes: [Outcome] = []
        for rule in set.rules where ruleID == nil || rule.id == ruleID {
            for example in rule.tests {
                let matched = RuleEngine.matches(rule, example.event)
                outcomes.append(
                    Outcome(
                        file: rule.file, rule: rule.id, isCorrelation: false, example: example.name, readsInput: false,
                        passed: matched == example.shouldMatch,
                        problem: matched == example.shouldMatch ? nil : expectation(example.shouldMatch)))
            }
            for example in rule.inputExamples {
                var outcome = Outcome(
                    file: rule.file, rule: rule.id, isCorrelation: false, example: example.name, readsInput: true,
                    passed: false)
                do {
                    let matched = try events(of: example).contains { RuleEngine.matches(rule, $0) }
                    outcome.passed = matched == example.shouldMatch
                    if !outcome.passed { outcome.problem = expectation(example.shouldMatch) }
                } catch {
                    outcome.problem = "its input could not be read: \(error)"
                }
                outcomes.append(outcome)
            }
        }
        for correlation in set.correlations where ruleID == nil || correlation.id == ruleID {
            for example in correlation.examples {
                let found = findings(of: correlation, in: set, example.events)
                outcomes.append(
                    Outcome(
                        file: correlation.file, rule: correlation.id, isCorrelation: true, example: example.name,
                        readsInput: false, passed: found == example.findings,
                        problem: found == example.findings
                            ? nil : "expected \(example.findings) finding(s), got \(found)"
                    ))
            }
            for example in correlation.inputExamples {
                var outcome = Outcome(
                    file: correlation.file, rule: correlation.id, isCorrelation: true, example: example.name,
                    readsInput: true, passed: false)
                do {
                    let found = findings(of: correlation, in: set, try events(of: example))
                    outcome.passed = found == example.findings
                    if !outcome.passed { outcome.problem = "expected \(example.findings) finding(s), got \(found)" }
                } catch {
                    outcome.problem = "its input could not be read: \(error)"
                }
                outcomes.append(outcome)
            }
        }
        return outcomes
    }

    private static func expectation(_ shouldMatch: Bool) -> String {
        shouldMatch ? "expected a match, got none" : "expected no match, got one"
    }

    /// The findings `correlation` gives when `events` go through the whole of `set`.
    private static func findings(of correlation: CorrelationRule, in set: RuleSet, _ events: [Event]) -> Int {
        let engine = RuleEngine(rules: set.rules, correlations: set.correlations)
        for event in events { engine.process(event) }
        return ((try? engine.findings()) ?? []).filter { $0.rule == correlation.id }.count
    }

    /// The events of an example's input, read and enriched as `vigil audit` reads and enriches
    /// them. Log lines are written to a private temporary file first.
    static func events(of example: InputExample) throws -> [Event] {
        var paths: [String] = []
        var temporary: URL?
        switch example.source {
        case .capture(let path):
            paths = [path]
        case .log(let text):
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent(
                "vigil-example-\(UUID().uuidString)")
            try FileManager.default.createDirectory(
                at: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let file = folder.appendingPathComponent("example.log")
            try FileOutput.write(Array(text.utf8), to: file.path, permissions: 0o600, existing: .refuse)
            temporary = folder
            paths = [file.path]
        }
        defer { if let temporary { try? FileManager.default.removeItem(at: temporary) } }
        let zone = example.timeZone ?? "UTC"
        let options = LogOptions(zone: LogTimeZone(zone) ?? .utc)
        let inventory = try example.inventory.map { try Inventory(path: $0) }
        let context = EventContext(inventory: inventory, timeZone: zone)
        var events: [Event] = []
        let (_, errors) = try Audit.events(paths, logOptions: options) { event in
            context.enriched(event) { events.append($0) }
        }
        if let error = errors.first { throw error }
        return events
    }
}

/// The rule engine's own throughput, apart from reading: the events of the inputs are read into
/// memory first, then timed through the audit's context and the whole rule set on one core.
public enum RuleEngineBench {
    /// What one measurement found.
    public struct Measure: Sendable {
        public var events: Int
        /// The best of the runs.
        public var seconds: Double
        public var findings: Int
        public var eventsPerSecond: Int { seconds > 0 ? Int(Double(events) / seconds) : 0 }
    }

    /// Reads `paths`, then runs their events through `set` `runs` times; the best run.
    public static func measure(
        _ paths: [String], set: RuleSet, runs: Int, limits: CaptureLimits, logOptions: LogOptions, timeZone: String?
    ) throws -> Measure {
        var events: [Event] = []
        _ = try Audit.events(paths, limits: limits, logOptions: logOptions) { events.append($0) }
        var best = Double.infinity
        var findings = 0
        for _ in 0..<max(1, runs) {
            let engine = RuleEngine(rules: set.rules, correlations: set.correlations)
            let context = EventContext(timeZone: timeZone)
            let start = ContinuousClock.now
            for event in events {
                context.enriched(event) { engine.process($0) }
            }
            let elapsed = ContinuousClock.now - start
            best = min(best, Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18)
            findings = try engine.findings().count
        }
        return Measure(events: events.count, seconds: best, findings: findings)
    }
}
