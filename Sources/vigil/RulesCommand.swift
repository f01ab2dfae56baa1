import ArgumentParser
import VigilAudit
import VigilCore
import VigilReport
import VigilRules

/// `vigil rules list|validate|test`
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "List, validate and test detection rules.",
        subcommands: [List.self, Validate.self, Test.self, Bench.self])

    /// `vigil rules list`
    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the rules that would run.")

        enum Format: String, ExpressibleByArgument { case text, json }

        @OptionGroup var rules: RuleSourceOptions

        @Option(name: .long, help: "text (default) or json.")
        var format: Format = .text

        /// The rule's log source as `product/category/service`, `any` for each part not given.
        static func source(_ logsource: Logsource) -> String { logsource.description }

        func run() throws {
            let set = try rules.load(quiet: false)
            switch format {
            case .text:
                let lines =
                    set.rules.map {
                        "\($0.id)\t\($0.severity.rawValue)\t\($0.category.rawValue)\t\(Self.source($0.logsource))\t\($0.title)"
                    }
                    + set.correlations.map {
                        "\($0.id)\t\($0.severity.rawValue)\t\($0.category.rawValue)\tcorrelation:\($0.type.rawValue)\t\($0.title)"
                    }
                FileHandleWriter.standardOutput.write(lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n"))
            case .json:
                let value = JSONValue.array(
                    set.rules.map { rule in
                        .object([
                            ("id", .string(rule.id)), ("title", .string(rule.title)),
                            ("severity", .string(rule.severity.rawValue)),
                            ("category", .string(rule.category.rawValue)),
                            ("source", .string(Self.source(rule.logsource))), ("file", .string(rule.file)),
                        ])
                    }
                        + set.correlations.map { rule in
                            .object([
                                ("id", .string(rule.id)), ("title", .string(rule.title)),
                                ("severity", .string(rule.severity.rawValue)),
                                ("category", .string(rule.category.rawValue)),
                                ("source", .string("correlation:\(rule.type.rawValue)")), ("file", .string(rule.file)),
                                ("correlation", .string(rule.type.rawValue)),
                            ])
                        })
                FileHandleWriter.standardOutput.write(value.serialized(pretty: true) + "\n")
            }
        }
    }

    /// `vigil rules validate [DIR…]`
    struct Validate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check that every rule loads; report each bad one with its file, line and reason.")

        @Argument(help: "Rule folders or files (default: the shipped rules/).")
        var paths: [String] = []

        @OptionGroup var options: RuleSourceOptions

        func run() throws {
            let set = RuleSet.load(from: try options.folders(paths), options: try options.loadOptions())
            set.notes.forEach(Terminal.warn)
            for error in set.errors { Terminal.error(error) }
            for skipped in set.skipped { print("\(skipped.file): line \(skipped.line): skipped: \(skipped.reason)") }
            print(
                "\(set.rules.count) rules, \(set.correlations.count) correlations loaded; \(set.skipped.count) skipped "
                    + "(cannot apply here), \(set.errors.count) errors")
            if !set.errors.isEmpty || (options.strict && !set.skipped.isEmpty) { throw ExitCode(2) }
        }
    }

    /// `vigil rules test [DIR…]`
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run each rule's examples (vigil: tests:) and report any that disagree.")

        @Argument(help: "Rule folders or files (default: the shipped rules/).")
        var paths: [String] = []

        @OptionGroup var options: RuleSourceOptions

        func run() throws {
            let set = try options.load(quiet: false, from: paths)
            let outcomes = RuleExamples.run(set)
            for outcome in outcomes where !outcome.passed {
                Terminal.error(
                    "\(outcome.file): \(outcome.isCorrelation ? "correlation" : "rule") '\(outcome.rule)', test '\(outcome.example)': \(outcome.problem ?? "failed")"
                )
            }
            let failed = outcomes.filter { !$0.passed }.count
            let inputs = outcomes.filter(\.readsInput).count
            print(
                "rule tests: \(outcomes.count - failed) passed, \(failed) failed (\(inputs) read real logs or captures)"
            )
            if failed > 0 { throw ExitCode(1) }
        }
    }

    /// `vigil rules bench PATH…`: the rule engine's own throughput, for `bench/logs.sh`. The
    /// inputs are read into memory first; then their events go through the audit's context
    /// (strength, inventory, login history) and the whole rule set, correlations included, on
    /// one core, timed apart from the reading.
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Time the rule engine alone over the events of the inputs (for bench/logs.sh).",
            shouldDisplay: false)

        @Argument(help: "Captures and logs.")
        var paths: [String]

        @OptionGroup var rules: RuleSourceOptions

        @Option(name: .long, help: "Runs; the best is printed.")
        var runs = 3

        @OptionGroup var analysis: AnalysisOptions

        func run() throws {
            try analysis.validate()
            let measure = try RuleEngineBench.measure(
                paths, set: try rules.load(quiet: true), runs: runs, limits: analysis.limits,
                logOptions: analysis.logOptions, timeZone: analysis.timezone)
            print(
                "events \(measure.events) seconds \(measure.seconds) events/s \(measure.eventsPerSecond) findings \(measure.findings)"
            )
        }
    }
}
