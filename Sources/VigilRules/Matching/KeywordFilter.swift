internal import VigilCore

/// The literals a rule needs: a rule can match an event only if one of them appears (ASCII case
/// folded) in the text its keywords search. Worked out from the condition: a keyword selection
/// needs one of its keywords' literals, `and` needs what its most selective part needs, `or`
/// what all its parts need; `not`, field tests and regular expressions need nothing nameable.
enum RequiredLiterals {
    /// The literals one of which must appear for `detection` to match; `nil` when none can be
    /// named.
    static func of(_ detection: Detection) -> [[UInt8]]? {
        of(detection.condition) { of(detection.selections[$0]) }
    }

    static func of(_ condition: ConditionNode, _ selection: (Int) -> [[UInt8]]?) -> [[UInt8]]? {
        switch condition {
        case .selection(let index): return selection(index)
        case .not: return nil
        case .and(let nodes): return best(nodes.map { of($0, selection) })
        case .all(let indices): return best(indices.map(selection))
        case .or(let nodes): return union(nodes.map { of($0, selection) })
        case .atLeast(let count, let indices):
            // At least `count` of them: any `indices.count - count + 1` hold one of them, so the
            // union of all is needed (and enough).
            return count >= 1 ? union(indices.map(selection)) : nil
        }
    }

    static func of(_ selection: Selection) -> [[UInt8]]? {
        if !selection.keywords.isEmpty { return union(selection.keywords.map(of)) }
        // Alternatives are OR; the tests of one are AND, and only keyword tests (`'|all': […]`)
        // name literals of the searched text.
        return union(
            selection.alternatives.map { tests in
                best(
                    tests.map { test -> [[UInt8]]? in
                        guard test.anyField else { return nil }
                        return test.requireAll ? best(test.values.map(of)) : union(test.values.map(of))
                    })
            })
    }

    /// The literals a keyword matcher needs, case folded.
    static func of(_ matcher: ValueMatcher) -> [[UInt8]]? {
        switch matcher {
        case .contains(let pattern, _), .equals(let pattern, _), .startsWith(let pattern, _),
            .endsWith(let pattern, _):
            return pattern.isEmpty ? nil : [pattern.map(ValueMatcher.fold)]
        case .wildcard(let tokens, _):
            // The longest run of literal bytes between wildcards.
            var longest: [UInt8] = []
            var run: [UInt8] = []
            for token in tokens + [.any] {
                if case .literal(let byte) = token {
                    run.append(ValueMatcher.fold(byte))
                } else {
                    if run.count > longest.count { longest = run }
                    run = []
                }
            }
            return longest.isEmpty ? nil : [longest]
        case .anyOf(let matchers): return union(matchers.map(of))
        default: return nil
        }
    }

    /// All of them, when each names some.
    private static func union(_ sets: [[[UInt8]]?]) -> [[UInt8]]? {
        guard !sets.isEmpty else { return nil }
        var all: [[UInt8]] = []
        for set in sets {
            guard let set else { return nil }
            all += set
        }
        return all
    }

    /// The most selective of those that name some: the longest shortest literal, then the fewest.
    private static func best(_ sets: [[[UInt8]]?]) -> [[UInt8]]? {
        sets.compactMap { $0 }.max { a, b in
            let shortA = a.map(\.count).min() ?? 0
            let shortB = b.map(\.count).min() ?? 0
            return shortA != shortB ? shortA < shortB : a.count > b.count
        }
    }
}

/// Finds, in one pass over an event's text, which keyword rules can match it: an Aho-Corasick
/// automaton over every rule's required literals (``RequiredLiterals``), as a table on byte
/// classes with ASCII case folded into them. A rule none of whose literals appear is not
/// evaluated at all.
///
/// Built once per rule set, read-only afterwards: one filter may serve several engines.
final class KeywordFilter: @unchecked Sendable {
    /// Rules the filter knows (their indices in the engine), and how many words their bits take.
    let words: Int
    private let classCount: Int
    private let classOf: UnsafeMutablePointer<UInt16>
    /// Per state and class, the next state as the offset of its row (state × classes: no
    /// multiplication on the scan's critical path); its top bit set when that state reports
    /// rules.
    private let table: UnsafeMutablePointer<UInt32>
    private let stateCount: Int
    /// Per state, its rules (indices into ``outputs``).
    private let outputStart: [Int32]
    private let outputs: [Int32]
    static let outputBit: UInt32 = 1 << 31

    /// A filter over `literals` (per rule index: the literals one of which it needs; `nil` for
    /// a rule the filter does not judge); `nil` when no rule names literals or the automaton would
    /// exceed `maxStates` states.
    init?(literals: [[[UInt8]]?], maxStates: Int = 1 << 20) {
        // The trie.
        var children: [[UInt16: Int32]] = [[:]]
        var ruleOutputs: [[Int32]] = [[]]
        var classes: [UInt16] = Array(repeating: 0, count: 256)
        var nextClass: UInt16 = 1
        func classFor(_ byte: UInt8) -> UInt16 {
            let folded = Int(ValueMatcher.fold(byte))
            if classes[folded] == 0 {
                classes[folded] = nextClass
                nextClass += 1
            }
            return classes[folded]
        }
        var any = false
        for (rule, set) in literals.enumerated() {
            guard let set else { continue }
            for literal in set where !literal.isEmpty {
                any = true
                var state = 0
                for byte in literal {
                    let cls = classFor(byte)
                    if let next = children[state][cls] {
                        state = Int(next)
                    } else {
                        children.append([:])
                        ruleOutputs.append([])
                        children[state][cls] = Int32(children.count - 1)
                        state = children.count - 1
                    }
                }
                if ruleOutputs[state].last != Int32(rule) { ruleOutputs[state].append(Int32(rule)) }
            }
        }
        guard any, children.count <= maxStates else { return nil }
        // Upper case letters read as their lower case.
        for byte in 0x41...0x5A { classes[byte] = classes[byte | 0x20] }
        let classCount = Int(nextClass)
        let stateCount = children.count
        // Failure links breadth first, the table filled as a DFA, outputs merged along the links.
        var fail = [Int32](repeating: 0, count: stateCount)
        let table = UnsafeMutablePointer<UInt32>.allocate(capacity: stateCount * classCount)
        table.initialize(repeating: 0, count: stateCount * classCount)
        var queue: [Int] = []
        for cls in 0..<classCount {
            if let child = children[0][UInt16(cls)] {
                table[cls] = UInt32(child)
                queue.append(Int(child))
            }
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            let failure = Int(fail[state])
            if state != 0 {
                for rule in ruleOutputs[failure] where !ruleOutputs[state].contains(rule) {
                    ruleOutputs[state].append(rule)
                }
            }
            for cls in 0..<classCount {
                if let child = children[state][UInt16(cls)] {
                    fail[Int(child)] = Int32(table[failure * classCount + cls] & ~Self.outputBit)
                    if Int(fail[Int(child)]) == Int(child) { fail[Int(child)] = 0 }
                    table[state * classCount + cls] = UInt32(child)
                    queue.append(Int(child))
                } else if state != 0 {
                    table[state * classCount + cls] = table[failure * classCount + cls] & ~Self.outputBit
                }
            }
        }
        // The output bit on every transition into a state that reports rules.
        for index in 0..<(stateCount * classCount) {
            let state = Int(table[index])
            table[index] = UInt32(state * classCount) | (ruleOutputs[state].isEmpty ? 0 : Self.outputBit)
        }
        var starts: [Int32] = []
        var flat: [Int32] = []
        for list in ruleOutputs {
            starts.append(Int32(flat.count))
            flat += list.sorted()
        }
        starts.append(Int32(flat.count))
        self.table = table
        self.classCount = classCount
        self.stateCount = stateCount
        self.classOf = .allocate(capacity: 256)
        for byte in 0..<256 { self.classOf[byte] = classes[byte] }
        outputStart = starts
        outputs = flat
        words = (literals.count + 63) / 64
    }

    deinit {
        table.deallocate()
        classOf.deallocate()
    }

    /// Sets in `found` the bit of every rule one of whose literals is in `bytes`.
    @inline(__always)
    func scan(_ bytes: UnsafeRawBufferPointer, into found: UnsafeMutablePointer<UInt64>) {
        guard let base = bytes.baseAddress?.assumingMemoryBound(to: UInt8.self) else { return }
        var row: UInt32 = 0
        for index in 0..<bytes.count {
            let next = table[Int(row &+ UInt32(classOf[Int(base[index])]))]
            row = next & ~Self.outputBit
            if next & Self.outputBit != 0 {
                let state = Int(row) / classCount
                for output in Int(outputStart[state])..<Int(outputStart[state + 1]) {
                    let rule = Int(outputs[output])
                    found[rule >> 6] |= 1 << UInt64(rule & 63)
                }
            }
        }
    }
}
