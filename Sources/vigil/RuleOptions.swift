import ArgumentParser
import VigilCore
import VigilRules

/// Which rules run, and how they are read (`audit`, `capture`, `rules`).
struct RuleSourceOptions: ParsableArguments {
    @Option(name: .long, help: "A rule folder or file; repeat for several (default: the shipped rules/).")
    var rules: [String] = []

    @Flag(
        name: .customLong("strict-rules"),
        help: "Stop (exit 2) on any rule that has an error or cannot apply here, instead of skipping it.")
    var strict = false

    @Option(
        name: .customLong("logsource-map"),
        help: "A log source mapping of your own (as rules/mappings/logsources.yml), read before the shipped one.")
    var logsourceMaps: [String] = []

    @Option(name: .long, help: "A YAML file of placeholder values for rules' |expand (name: [values]).")
    var placeholders: String?

    /// How rules are read: the shipped mapping with the user's added, and the placeholders.
    func loadOptions() throws -> RuleLoadOptions {
        var mappings = try ShippedRules.mapping.get()
        for path in logsourceMaps { mappings = mappings.adding(try LogsourceMap(path: path)) }
        return RuleLoadOptions(
            mappings: mappings, placeholders: try placeholders.map { try RuleLoadOptions.placeholders(file: $0) } ?? [:]
        )
    }

    /// The folders to load: those named (as arguments or with `--rules`), else the shipped rules.
    func folders(_ named: [String]? = nil) throws -> [String] {
        let given = (named ?? []) + rules
        let chosen = given.isEmpty ? ShippedRules.defaultRuleFolders() : given
        guard !chosen.isEmpty else {
            throw VigilError(.usage, reason: "no rule folder found", hint: "pass --rules DIR or set VIGIL_RULES")
        }
        return chosen
    }

    /// Loads the rules. Rules with an error and rules that cannot apply here are skipped, each
    /// error said (notes and a count of those that cannot apply, unless `quiet`); with
    /// `--strict-rules` any of them stops the command (exit 2).
    func load(quiet: Bool, from named: [String]? = nil) throws -> RuleSet {
        let set = RuleSet.load(from: try folders(named), options: try loadOptions())
        if strict && (!set.errors.isEmpty || !set.skipped.isEmpty) {
            for error in set.errors { Terminal.error(error) }
            for skipped in set.skipped {
                Terminal.error("\(skipped.file): line \(skipped.line): cannot apply: \(skipped.reason)")
            }
            throw ExitCode(2)
        }
        // A rule file or folder that cannot be read at all is no rule to skip.
        if let unreadable = set.errors.first(where: { $0.code == .unreadable }) { throw unreadable }
        // A rule with an error is said even with --quiet: the command ends with exit 2 for it.
        for error in set.errors { Terminal.error("rule not run: \(error.description)") }
        if !quiet {
            set.notes.forEach(Terminal.warn)
            if !set.skipped.isEmpty {
                Terminal.note(
                    "\(set.skipped.count) rule(s) cannot apply here and were skipped (their reasons: vigil rules validate)"
                )
            }
        }
        return set
    }
}
