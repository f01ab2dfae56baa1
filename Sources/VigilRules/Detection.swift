internal import VigilCore

/// A compiled Sigma `detection`: named selections and the condition over them.
struct Detection: Sendable {
    var selections: [Selection]
    var condition: ConditionNode

    func matches(_ event: Event) -> Bool {
        condition.evaluate { selections[$0].matches(event) }
    }
}

/// One named selection: a list of alternatives (Sigma lists are OR), each a set of field tests
/// that must all hold (Sigma maps are AND), or a list of keywords.
struct Selection: Sendable {
    var name: String
    var alternatives: [[FieldTest]]
    var keywords: [ValueMatcher]

    func matches(_ event: Event) -> Bool {
        if !keywords.isEmpty {
            // Keywords search the raw record (a log line's message) and every field value.
            return keywords.contains { $0.matchesAnywhere(in: event) }
        }
        return alternatives.contains { tests in tests.allSatisfy { $0.matches(event) } }
    }
}

/// A field and its values: any value may match, or all must with `|all`.
struct FieldTest: Sendable {
    /// `nil` for a field no Vigil source produces: it is always absent.
    var field: Field?
    var values: [ValueMatcher]
    var requireAll: Bool
    /// A keyword test with modifiers (`'|all': [a, b]`): each value is searched in every field.
    var anyField = false
    /// Some value reads other fields or the event's time (`fieldref`, `hour`…).
    var readsEvent = false

    init(field: Field?, values: [ValueMatcher], requireAll: Bool, anyField: Bool = false) {
        self.field = field
        self.values = values
        self.requireAll = requireAll
        self.anyField = anyField
        readsEvent = values.contains(where: \.readsEvent)
    }

    func matches(_ event: Event) -> Bool {
        if anyField {
            return requireAll
                ? values.allSatisfy { $0.matchesAnywhere(in: event) }
                : values.contains { $0.matchesAnywhere(in: event) }
        }
        if readsEvent {
            if requireAll { return values.allSatisfy { $0.matches(field, in: event) } }
            return values.contains { $0.matches(field, in: event) }
        }
        let value = field.flatMap { event[$0] }
        if requireAll { return values.allSatisfy { $0.matches(value) } }
        return values.contains { $0.matches(value) }
    }
}

/// A parsed Sigma condition.
indirect enum ConditionNode: Sendable {
    case selection(Int)
    case not(ConditionNode)
    case and([ConditionNode])
    case or([ConditionNode])
    /// `N of pattern`: at least N of these selections.
    case atLeast(Int, [Int])
    /// `all of pattern`.
    case all([Int])

    func evaluate(_ selection: (Int) -> Bool) -> Bool {
        switch self {
        case .selection(let index): return selection(index)
        case .not(let inner): return !inner.evaluate(selection)
        case .and(let nodes): return nodes.allSatisfy { $0.evaluate(selection) }
        case .or(let nodes): return nodes.contains { $0.evaluate(selection) }
        case .atLeast(let count, let indices):
            var hits = 0
            for index in indices where selection(index) {
                hits += 1
                if hits >= count { return true }
            }
            return false
        case .all(let indices): return !indices.isEmpty && indices.allSatisfy(selection)
        }
    }
}

/// Parses Sigma condition strings: `and`, `or`, `not`, parentheses, `1 of sel*`, `all of them`.
///
/// Precedence, loosest first: `or`, `and`, `not`. Keywords are case-insensitive.
struct ConditionParser {
    enum Token: Equatable {
        case word(String)
        case open
        case close
    }

    private var tokens: [Token]
    private var position = 0
    private let names: [String]
    /// How deep the parentheses and `not`s around the current term go.
    private var depth = 0
    /// The deepest a condition may nest (parentheses and `not`): no real rule comes near it, and
    /// parsing and matching recurse once per level.
    static let maxDepth = 64

    /// - Parameter names: the selection names, in index order.
    init(_ text: String, names: [String]) throws(ConditionError) {
        self.names = names
        tokens = try Self.tokenize(text)
    }

    /// A problem in a condition, described for the rule author.
    struct ConditionError: Error { var message: String }

    mutating func parse() throws(ConditionError) -> ConditionNode {
        guard !tokens.isEmpty else { throw ConditionError(message: "the condition is empty") }
        let node = try parseOr()
        if position < tokens.count {
            throw ConditionError(message: "unexpected '\(describe(tokens[position]))' after a complete condition")
        }
        return node
    }

    private static func tokenize(_ text: String) throws(ConditionError) -> [Token] {
        var tokens: [Token] = []
        var word = ""
        func flush() {
            if !word.isEmpty { tokens.append(.word(word)) }
            word = ""
        }
        for character in text {
            switch character {
            case "(":
                flush()
                tokens.append(.open)
            case ")":
                flush()
                tokens.append(.close)
            case " ", "\t", "\n", "\r":
                flush()
            case "|":
                throw ConditionError(
                    message: "aggregation expressions ('|') are deprecated in Sigma; use a correlation rule")
            default:
                word.append(character)
            }
        }
        flush()
        return tokens
    }

    private func describe(_ token: Token) -> String {
        switch token {
        case .word(let word): word
        case .open: "("
        case .close: ")"
        }
    }

    private func keyword(_ token: Token?, _ expected: String) -> Bool {
        guard case .word(let word) = token else { return false }
        return word.lowercased() == expected
    }

    private var current: Token? { position < tokens.count ? tokens[position] : nil }

    private mutating func parseOr() throws(ConditionError) -> ConditionNode {
        var nodes = [try parseAnd()]
        while keyword(current, "or") {
            position += 1
            nodes.append(try parseAnd())
        }
        return nodes.count == 1 ? nodes[0] : .or(nodes)
    }

    private mutating func parseAnd() throws(ConditionError) -> ConditionNode {
        var nodes = [try parseNot()]
        while keyword(current, "and") {
            position += 1
            nodes.append(try parseNot())
        }
        return nodes.count == 1 ? nodes[0] : .and(nodes)
    }

    private mutating func parseNot() throws(ConditionError) -> ConditionNode {
        if keyword(current, "not") {
            position += 1
            try enter()
            defer { depth -= 1 }
            return .not(try parseNot())
        }
        return try parsePrimary()
    }

    private mutating func enter() throws(ConditionError) {
        depth += 1
        if depth > Self.maxDepth {
            throw ConditionError(
                message: "the condition nests deeper than \(Self.maxDepth) levels of parentheses and 'not'")
        }
    }

    private mutating func parsePrimary() throws(ConditionError) -> ConditionNode {
        guard let token = current else { throw ConditionError(message: "the condition ends where a term was expected") }
        position += 1
        switch token {
        case .open:
            try enter()
            defer { depth -= 1 }
            let inner = try parseOr()
            guard current == .close else { throw ConditionError(message: "a '(' is not closed") }
            position += 1
            return inner
        case .close:
            throw ConditionError(message: "unexpected ')'")
        case .word(let word):
            let lower = word.lowercased()
            if ["and", "or", "of"].contains(lower) {
                throw ConditionError(message: "'\(word)' where a selection name was expected")
            }
            if keyword(current, "of") {
                position += 1
                guard case .word(let pattern) = current else {
                    throw ConditionError(message: "'\(word) of' needs a selection name, a pattern or 'them'")
                }
                position += 1
                let indices = try resolve(pattern)
                if lower == "all" { return .all(indices) }
                if lower == "any" { return .atLeast(1, indices) }
                guard let count = Int(word), count >= 1 else {
                    throw ConditionError(message: "'\(word) of': expected '1 of', 'all of' or a count")
                }
                return .atLeast(count, indices)
            }
            guard let index = names.firstIndex(of: word) else {
                throw ConditionError(
                    message: "'\(word)' is not a selection of this rule (selections: \(names.joined(separator: ", ")))")
            }
            return .selection(index)
        }
    }

    /// The selections named by `them` (all but those starting with `_`) or a `*` pattern.
    private func resolve(_ pattern: String) throws(ConditionError) -> [Int] {
        if pattern.lowercased() == "them" {
            return names.indices.filter { !names[$0].hasPrefix("_") }
        }
        let indices = names.indices.filter { Self.glob(pattern, names[$0]) }
        guard !indices.isEmpty else {
            throw ConditionError(message: "'\(pattern)' names no selection of this rule")
        }
        return indices
    }

    /// `*` matches any run of characters: the usual greedy match with one point to go back to,
    /// linear in the name for any number of stars.
    static func glob(_ pattern: String, _ name: String) -> Bool {
        let pattern = Array(pattern)
        let name = Array(name)
        var p = 0
        var n = 0
        var star: Int?
        var resume = 0
        while n < name.count {
            if p < pattern.count && pattern[p] != "*" && pattern[p] == name[n] {
                p += 1
                n += 1
            } else if p < pattern.count && pattern[p] == "*" {
                star = p
                resume = n
                p += 1
            } else if let star {
                p = star + 1
                resume += 1
                n = resume
            } else {
                return false
            }
        }
        while p < pattern.count && pattern[p] == "*" { p += 1 }
        return p == pattern.count
    }
}
