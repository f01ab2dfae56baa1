internal import VigilCore

extension RuleSet {
    /// How many correlations may be chained on one another (a correlation of a correlation of a
    /// rule is a chain of two): Sigma's own examples chain two; the engine follows a chain by
    /// recursion, one level per link.
    public static let maxCorrelationChain = 16

    /// Keeps only the correlations that can be evaluated; each other one becomes an error (or a
    /// skip, when what it needs was itself skipped as not applying here) naming why:
    /// - a reference to no loaded rule or correlation (resolved to a fixed point: a correlation
    ///   on a correlation that was dropped is dropped too, not left waiting for matches that
    ///   cannot come);
    /// - correlations that refer to each other in a cycle (itself included): each would count
    ///   the other's matches as its own, without end;
    /// - a chain longer than ``maxCorrelationChain``.
    mutating func dropUnresolvedCorrelations() {
        let ruleNames = Set(rules.flatMap { [$0.id] + ($0.sigmaID.map { [$0] } ?? []) })
        var skippedNames = Set(skipped.flatMap(\.references))
        var refusedNames: Set<String> = []
        var valid = correlations
        var changed = true
        while changed {
            changed = false
            let names = ruleNames.union(valid.flatMap { [$0.id] + ($0.sigmaID.map { [$0] } ?? []) })
            var kept: [CorrelationRule] = []
            for correlation in valid {
                let missing = correlation.rules.filter { !names.contains($0) }
                if missing.isEmpty {
                    kept.append(correlation)
                    continue
                }
                changed = true
                if missing.allSatisfy(skippedNames.contains) {
                    var skip = SkippedRule(
                        file: correlation.file, line: correlation.line, rule: correlation.id,
                        reason:
                            "correlation '\(correlation.id)' refers to \(missing.joined(separator: ", ")), which cannot apply"
                    )
                    skip.references = [correlation.id] + (correlation.sigmaID.map { [$0] } ?? [])
                    skippedNames.formUnion(skip.references)
                    skipped.append(skip)
                } else {
                    let absent = missing.filter { !refusedNames.contains($0) && !skippedNames.contains($0) }
                    let reason =
                        absent.isEmpty
                        ? "correlation '\(correlation.id)' refers to "
                            + "\(missing.filter(refusedNames.contains).map { "'\($0)'" }.joined(separator: ", ")), "
                            + "which was refused"
                        : "correlation '\(correlation.id)' refers to no rule named \(absent.joined(separator: ", "))"
                    errors.append(
                        VigilError(
                            .invalidRule, path: correlation.file, position: .line(correlation.line), reason: reason))
                    refusedNames.formUnion([correlation.id] + (correlation.sigmaID.map { [$0] } ?? []))
                }
            }
            valid = kept
        }
        correlations = Self.withoutCycles(valid, ruleNames: ruleNames, errors: &errors)
    }

    /// `correlations` (every reference resolved) less those on a cycle of references or at the
    /// end of a chain longer than ``maxCorrelationChain``, each of those an error.
    private static func withoutCycles(
        _ correlations: [CorrelationRule], ruleNames: Set<String>, errors: inout [VigilError]
    ) -> [CorrelationRule] {
        // A reference names a rule first (as the engine resolves it), else a correlation.
        var index: [String: Int] = [:]
        for (position, correlation) in correlations.enumerated() {
            for name in [correlation.id] + (correlation.sigmaID.map { [$0] } ?? []) where index[name] == nil {
                index[name] = position
            }
        }
        let edges = correlations.map { correlation in
            correlation.rules.compactMap { ruleNames.contains($0) ? nil : index[$0] }
        }
        // Depth-first, iteratively (a hostile rule set must not overflow the stack here either):
        // 0 unvisited, 1 on the current path, 2 done; `length` is the longest chain below.
        var state = [UInt8](repeating: 0, count: correlations.count)
        var length = [Int](repeating: 1, count: correlations.count)
        var refused = [String?](repeating: nil, count: correlations.count)
        for root in correlations.indices where state[root] == 0 {
            var path: [(node: Int, next: Int)] = [(root, 0)]
            state[root] = 1
            while let (node, next) = path.last {
                guard next < edges[node].count else {
                    path.removeLast()
                    state[node] = 2
                    if refused[node] == nil, length[node] > maxCorrelationChain {
                        refused[node] =
                            "correlation '\(correlations[node].id)' ends a chain of \(length[node]) correlations, "
                            + "more than the \(maxCorrelationChain) Vigil follows"
                    }
                    if let parent = path.last?.node {
                        length[parent] = max(length[parent], length[node] + 1)
                        if refused[node] != nil, refused[parent] == nil {
                            refused[parent] =
                                "correlation '\(correlations[parent].id)' refers to '\(correlations[node].id)', "
                                + "which was refused"
                        }
                    }
                    continue
                }
                path[path.count - 1].next += 1
                let target = edges[node][next]
                switch state[target] {
                case 0:
                    state[target] = 1
                    path.append((target, 0))
                case 1:
                    let start = path.firstIndex { $0.node == target }!
                    let cycle = path[start...].map { correlations[$0.node].id } + [correlations[target].id]
                    for member in path[start...] where refused[member.node] == nil {
                        refused[member.node] =
                            "correlations \(cycle.map { "'\($0)'" }.joined(separator: " → ")) refer to each other "
                            + "in a cycle: each would count the other's matches without end"
                    }
                default:
                    length[node] = max(length[node], length[target] + 1)
                    if refused[target] != nil, refused[node] == nil {
                        refused[node] =
                            "correlation '\(correlations[node].id)' refers to '\(correlations[target].id)', "
                            + "which was refused"
                    }
                }
            }
        }
        var kept: [CorrelationRule] = []
        for (position, correlation) in correlations.enumerated() {
            if let reason = refused[position] {
                errors.append(
                    VigilError(.invalidRule, path: correlation.file, position: .line(correlation.line), reason: reason))
            } else {
                kept.append(correlation)
            }
        }
        return kept
    }
}
