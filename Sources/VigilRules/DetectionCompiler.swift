internal import VigilCore
internal import Yams

/// Compiles a Sigma `detection` mapping into a ``Detection``: field names to ``Field``
/// identifiers, values and modifiers to ``ValueMatcher``s, the condition to a tree.
struct DetectionCompiler {
    let reader: NodeReader
    /// The rule's log source is one Vigil reads: a field no source produces is then a mistake
    /// (an error), not a field of another product's events (a note).
    var strictFields = false

    /// The known field closest to `name` (edit distance at most 2), for a typo's hint.
    static func suggestion(for name: String) -> String? {
        func distance(_ a: [Character], _ b: [Character]) -> Int {
            var row = Array(0...b.count)
            for i in 1...max(1, a.count) where !a.isEmpty {
                var previous = row[0]
                row[0] = i
                for j in stride(from: 1, through: b.count, by: 1) {
                    let saved = row[j]
                    row[j] = min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                    previous = saved
                }
            }
            return a.isEmpty ? b.count : row[b.count]
        }
        let wanted = Array(name)
        let scored = Field.all.map { ($0.name, distance(wanted, Array($0.name))) }.filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Modifiers Sigma defines that Vigil does not implement (yet), with the reason.
    private static let unsupported: [String: String] = [
        "windash": "Windows command-line dashes do not occur in Vigil's events",
        "wide": "UTF-16 encodings do not occur in Vigil's events",
        "utf16": "UTF-16 encodings do not occur in Vigil's events",
        "utf16le": "UTF-16 encodings do not occur in Vigil's events",
        "utf16be": "UTF-16 encodings do not occur in Vigil's events",
        "expand": "placeholders are not supported",
        "fieldref": "not implemented yet",
    ]

    func compile(_ node: Node, notes: inout [String], ruleID: String) throws(VigilError) -> Detection {
        guard case .mapping(let mapping) = node else {
            throw reader.error(node, "'detection' must be a mapping of selections and a condition")
        }
        var selections: [Selection] = []
        var conditionNode: Node?
        for (key, value) in mapping {
            guard let name = key.string else { throw reader.error(key, "a selection name must be text") }
            if name == "condition" {
                conditionNode = value
                continue
            }
            if name == "timeframe" { continue }
            selections.append(try selection(name: name, value, notes: &notes, ruleID: ruleID))
        }
        guard let conditionNode else { throw reader.error(node, "'detection' has no 'condition'") }
        let texts: [String]
        switch conditionNode {
        case .scalar(let scalar): texts = [scalar.string]
        case .sequence:
            texts = try reader.strings(conditionNode, "condition")
        default:
            throw reader.error(conditionNode, "'condition' must be a string or a list of strings")
        }
        var conditions: [ConditionNode] = []
        for text in texts {
            do {
                var parser = try ConditionParser(text, names: selections.map(\.name))
                conditions.append(try parser.parse())
            } catch {
                let quoted = text.count > 80 ? text.prefix(60) + "… (\(text.count) characters)" : Substring(text)
                throw reader.error(conditionNode, "condition '\(quoted)': \(error.message)")
            }
        }
        return Detection(selections: selections, condition: conditions.count == 1 ? conditions[0] : .or(conditions))
    }

    private func selection(name: String, _ node: Node, notes: inout [String], ruleID: String) throws(VigilError)
        -> Selection
    {
        switch node {
        case .mapping:
            return Selection(
                name: name, alternatives: [try fieldTests(node, notes: &notes, ruleID: ruleID)], keywords: [])
        case .sequence(let items):
            if items.allSatisfy({ if case .mapping = $0 { true } else { false } }) {
                var alternatives: [[FieldTest]] = []
                for item in items { alternatives.append(try fieldTests(item, notes: &notes, ruleID: ruleID)) }
                return Selection(name: name, alternatives: alternatives, keywords: [])
            }
            var keywords: [ValueMatcher] = []
            for item in items {
                guard case .scalar = item else {
                    throw reader.error(item, "selection '\(name)' mixes keywords with field mappings")
                }
                keywords.append(try matcher(item, modifiers: ["contains"], field: name))
            }
            return Selection(name: name, alternatives: [], keywords: keywords)
        case .scalar:
            return Selection(
                name: name, alternatives: [], keywords: [try matcher(node, modifiers: ["contains"], field: name)])
        case .alias:
            throw reader.error(node, "YAML aliases are not supported in selections")
        }
    }

    private func fieldTests(_ node: Node, notes: inout [String], ruleID: String) throws(VigilError) -> [FieldTest] {
        guard case .mapping(let mapping) = node else { throw reader.error(node, "expected a mapping of fields") }
        var tests: [FieldTest] = []
        for (key, value) in mapping {
            guard let spec = key.string else { throw reader.error(key, "a field name must be text") }
            let parts = spec.split(separator: "|", omittingEmptySubsequences: false).map(String.init)
            let fieldName = parts[0]
            let modifiers = Array(parts.dropFirst())
            for modifier in modifiers {
                if let reason = Self.unsupported[modifier] {
                    throw reader.error(key, "unsupported modifier '\(modifier)' on '\(fieldName)': \(reason)")
                }
                let known = [
                    "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "exists", "cased", "lt", "lte",
                    "gt", "gte", "neq", "cidr", "base64", "base64offset",
                ]
                guard known.contains(modifier) else {
                    throw reader.error(key, "unknown modifier '\(modifier)' on '\(fieldName)'")
                }
            }
            if fieldName.isEmpty {
                // Keywords with modifiers (`'|all': [a, b]`): searched in every field value.
                guard case .sequence(let items) = value else {
                    throw reader.error(key, "'\(spec)' takes a list of keywords")
                }
                let searched =
                    modifiers.contains(where: { ["contains", "startswith", "endswith", "re"].contains($0) })
                    ? modifiers : modifiers + ["contains"]
                var values: [ValueMatcher] = []
                for item in items { values.append(try matcher(item, modifiers: searched, field: "keywords")) }
                tests.append(
                    FieldTest(field: nil, values: values, requireAll: modifiers.contains("all"), anyField: true))
                continue
            }
            let field = Field.named(fieldName)
            if field == nil && strictFields {
                throw reader.error(
                    key, "unknown field '\(fieldName)': no Vigil source produces it",
                    hint: Self.suggestion(for: fieldName).map { "did you mean '\($0)'?" })
            }
            if field == nil {
                notes.append("rule '\(ruleID)': no Vigil source produces field '\(fieldName)'; it is always absent")
            }
            var values: [ValueMatcher] = []
            switch value {
            case .sequence(let items):
                for item in items { values.append(try matcher(item, modifiers: modifiers, field: fieldName)) }
                if items.count > 1, let null = items.first(where: Self.isNull) {
                    throw reader.error(
                        null,
                        "null cannot be one of a list of values for '\(fieldName)' (Sigma: it is a type of its own)",
                        hint: "test it in a selection of its own: FIELD: null")
                }
            default:
                values.append(try matcher(value, modifiers: modifiers, field: fieldName))
            }
            tests.append(FieldTest(field: field, values: values, requireAll: modifiers.contains("all")))
        }
        return tests
    }

    /// YAML's null: `null`, `~`, or nothing at all (not `''`, the empty text).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.tag == Tag(.null) || (scalar.style == .plain && ["null", "~", ""].contains(scalar.string))
    }

    private func matcher(_ node: Node, modifiers: [String], field: String) throws(VigilError) -> ValueMatcher {
        guard case .scalar(let scalar) = node else {
            throw reader.error(node, "the value of '\(field)' must be a plain value or a list of them")
        }
        if Self.isNull(node) { return .absent }
        var text = scalar.string
        let cased = modifiers.contains("cased")
        if modifiers.contains("cidr") {
            guard let network = CIDR(text) else {
                throw reader.error(node, "'\(field)|cidr' needs a network such as 10.0.0.0/8 or fe80::/10")
            }
            return .cidr(network)
        }
        if modifiers.contains("base64offset") {
            // The value as it appears base64-encoded at any of the three alignments in a longer
            // encoded text (Sigma's definition): a match of any of the three.
            let variants = Self.base64Offsets(Array(text.utf8))
            let rest = modifiers.filter { $0 != "base64offset" }
            return .anyOf(
                try variants.map { variant throws(VigilError) in
                    try matcher(Node(variant), modifiers: rest, field: field)
                })
        }
        if modifiers.contains("base64") {
            text = Self.base64(Array(text.utf8))
        }
        if modifiers.contains("exists") {
            guard let flag = node.bool else { throw reader.error(node, "'\(field)|exists' takes true or false") }
            return .exists(flag)
        }
        for (name, comparison) in [("lt", ValueMatcher.Comparison.lt), ("lte", .lte), ("gt", .gt), ("gte", .gte)]
        where modifiers.contains(name) {
            guard let number = Double(text) else { throw reader.error(node, "'\(field)|\(name)' needs a number") }
            return .compare(comparison, number)
        }
        if modifiers.contains("re") {
            do throws(PosixRegex.Problem) {
                return .regex(
                    try PosixRegex(text, caseInsensitive: modifiers.contains("i"), multiline: modifiers.contains("m")))
            } catch {
                throw reader.error(
                    node, "'\(field)|re': invalid regular expression: \(error)",
                    hint: "Vigil runs regular expressions in linear time (POSIX ERE with \\d \\w \\s): "
                        + "no backreferences, lookaround or possessive quantifiers")
            }
        }
        let tokens = Self.wildcardTokens(text, cased: cased)
        let hasWildcard = tokens.contains { !Self.isLiteral($0) }
        let literal = tokens.compactMap { if case .literal(let byte) = $0 { byte } else { nil } }
        if modifiers.contains("neq") { return .notEqual(literal, cased: cased) }
        let contains = modifiers.contains("contains")
        let starts = modifiers.contains("startswith")
        let ends = modifiers.contains("endswith")
        if hasWildcard {
            var pattern = tokens
            if contains || ends { pattern.insert(.any, at: 0) }
            if contains || starts { pattern.append(.any) }
            return .wildcard(pattern, cased: cased)
        }
        if contains { return .contains(literal, cased: cased) }
        if starts { return .startsWith(literal, cased: cased) }
        if ends { return .endsWith(literal, cased: cased) }
        return .equals(literal, cased: cased)
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    /// Standard base64 with padding (RFC 4648).
    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            let chunk = Array(bytes[index..<min(index + 3, bytes.count)])
            let value = chunk.enumerated().reduce(0) { $0 | Int($1.element) << (16 - 8 * $1.offset) }
            for position in 0..<4 {
                out.append(position <= chunk.count ? alphabet[(value >> (18 - 6 * position)) & 63] : 0x3D)
            }
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The three encodings of `bytes` at offsets 0, 1 and 2 inside a longer text, trimmed of the
    /// characters that depend on the neighbours (the way Sigma's reference implementation does).
    static func base64Offsets(_ bytes: [UInt8]) -> [String] {
        let starts = [0, 2, 3]
        let ends: [Int?] = [nil, -3, -2]
        return (0..<3).map { shift in
            let encoded = Array(base64(Array(repeating: 0x20, count: shift) + bytes).utf8)
            let end = ends[(bytes.count + shift) % 3].map { encoded.count + $0 } ?? encoded.count
            return String(decoding: encoded[starts[shift]..<max(starts[shift], end)], as: UTF8.self)
        }
    }

    private static func isLiteral(_ token: ValueMatcher.WildcardToken) -> Bool {
        if case .literal = token { return true }
        return false
    }

    /// Sigma value syntax: `*` any run, `?` one character, `\*` `\?` `\\` literal.
    static func wildcardTokens(_ text: String, cased: Bool) -> [ValueMatcher.WildcardToken] {
        var tokens: [ValueMatcher.WildcardToken] = []
        let bytes = Array(text.utf8)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x5C, index + 1 < bytes.count, [0x2A, 0x3F, 0x5C].contains(bytes[index + 1]) {
                tokens.append(.literal(bytes[index + 1]))
                index += 2
                continue
            }
            switch byte {
            case 0x2A: tokens.append(.any)
            case 0x3F: tokens.append(.one)
            default: tokens.append(.literal(cased ? byte : ValueMatcher.fold(byte)))
            }
            index += 1
        }
        return tokens
    }
}
