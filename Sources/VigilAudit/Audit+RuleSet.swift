public import VigilReport
public import VigilRules

/// The rule set as reports describe it.
extension Audit {
    /// The rule set as reports name it.
    public static func identity(_ set: RuleSet) -> RuleSetIdentity? {
        guard !set.sources.isEmpty else { return nil }
        var identity = RuleSetIdentity(paths: set.sources, files: set.fileCount, sha256: set.sha256)
        identity.rules = set.rules.count
        identity.correlations = set.correlations.count
        identity.skipped =
            set.errors.map { error in
                RuleSetIdentity.Skipped(
                    file: error.path ?? "",
                    line: error.position.flatMap { if case .line(let n) = $0 { n } else { nil } },
                    reason: error.reason + (error.hint.map { " (\($0))" } ?? ""), isError: true)
            }
            + set.skipped.map {
                RuleSetIdentity.Skipped(file: $0.file, line: $0.line, reason: $0.reason, isError: false)
            }
        return identity
    }

    /// The rules that ran, as reports describe them (silent base rules left out).
    public static func descriptors(_ set: RuleSet) -> [RuleDescriptor] {
        let referenced = Set(set.correlations.flatMap(\.rules))
        let rules = set.rules.filter { !(referenced.contains($0.id) || $0.sigmaID.map(referenced.contains) == true) }
            .map {
                RuleDescriptor(
                    id: $0.id, title: $0.title, description: $0.description, severity: $0.severity,
                    category: $0.category, remediation: $0.remediation, tags: $0.tags)
            }
        let correlations = set.correlations.filter { $0.severity != .info }.map {
            RuleDescriptor(
                id: $0.id, title: $0.title, description: nil, severity: $0.severity, category: $0.category,
                remediation: $0.remediation, tags: [])
        }
        return rules + correlations
    }
}
