internal import VigilCore
internal import Yams

/// Compiles a Sigma `detection` mapping into a ``Detection``: field names to ``Field``
/// identifiers, values and modifiers to ``ValueMatcher``s, the condition to a tree.
struct DetectionCompiler {
    let reader: NodeReader
    /// The rule's field names as Vigil's (the log source mapping's `fields`).
    var fieldNames: [String: String] = [:]
    /// The rule's source names its own fields (audit records): any name is one.
    var openFields = false
    /// The kinds of events the rule reads (`nil`: any), whose fields it may name.
    var kinds: Set<EventKind>?
    /// Whether a field no source of those events produces makes the rule one that cannot apply
    /// (off when the rule cannot apply anyway).
    var checkFields = false

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
        let scored = Field.all.filter { FieldSchema.isKnown($0.name) }.map {
            ($0.name, distance(wanted, Array($0.name)))
        }
        .filter { $0.1 <= 2 }
        return scored.min { $0.1 < $1.1 }?.0
    }

    /// Every modifier of the Sigma specification (v2.1) but the deprecated ones.
    static let modifiers: Set<String> = [
        "contains", "startswith", "endswith", "all", "re", "i", "m", "s", "exists", "cased", "lt", "lte", "gt", "gte",
        "neq", "cidr", "base64", "base64offset", "windash", "wide", "utf16", "utf16le", "utf16be", "expand",
        "fieldref", "minute", "hour", "day", "week", "month", "year",
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
            for modifier in modifiers where !Self.modifiers.contains(modifier) {
                throw reader.error(key, "unknown modifier '\(modifier)' on '\(fieldName)'")
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
            let field = try resolve(fieldName, key: key, ruleID: ruleID)
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

    /// The field a rule's `name` stands for: translated by the log source mapping, interned for
    /// a source that names its own fields. A field no source of the rule's events produces
    /// makes the rule one that cannot apply (with the nearest known name, for a typo).
    func resolve(_ name: String, key: Node, ruleID: String) throws(VigilError) -> Field? {
        let translated = fieldNames[name] ?? (name == "@timestamp" ? "timestamp" : name)
        if openFields || !checkFields { return Field.intern(translated) }
        if FieldSchema.produces(translated, kinds: kinds) { return Field.intern(translated) }
        let known = FieldSchema.isKnown(translated)
        var reason = "no source of its events produces field '\(name)'"
        if known, let kinds {
            reason +=
                " (Vigil has it on \(FieldSchema.kinds(producing: translated).joined(separator: ", ")) events, "
                + "not on \(kinds.map(\.rawValue).sorted().joined(separator: ", ")))"
        }
        throw VigilError(
            .cannotApply, path: reader.file, position: key.mark.map { .line($0.line) },
            reason: "rule '\(ruleID)': \(reason)",
            hint: known ? nil : Self.suggestion(for: translated).map { "did you mean '\($0)'?" })
    }

    /// YAML's null: `null`, `~`, or nothing at all (not `''`, the empty text).
    static func isNull(_ node: Node) -> Bool {
        guard case .scalar(let scalar) = node else { return false }
        return scalar.tag == Tag(.null)
            || (scalar.style == .plain && ["null", "Null", "NULL", "~", ""].contains(scalar.string))
    }

    private func matcher(_ node: Node, modifiers: [String], field: String) throws(VigilError) -> ValueMatcher {
        guard case .scalar(let scalar) = node else {
            throw reader.error(node, "the value of '\(field)' must be a plain value or a list of them")
        }
        if Self.isNull(node) { return .absent }
        let cased = modifiers.contains("cased")
        if modifiers.contains("fieldref") {
            // The value names another field of the same event, compared with this one.
            guard let other = try resolve(scalar.string, key: node, ruleID: field) else { return .anyOf([]) }
            let test: ValueMatcher.ReferenceTest =
                modifiers.contains("contains")
                ? .contains
                : modifiers.contains("startswith") ? .startsWith : modifiers.contains("endswith") ? .endsWith : .equals
            return .reference(other, test, negated: modifiers.contains("neq"), cased: cased)
        }
        var texts = [scalar.string]
        if modifiers.contains("expand") {
            var expanded: [String] = []
            for text in texts { expanded += try expand(text, node: node, field: field) }
            texts = expanded
        }
        if modifiers.contains("windash") { texts = texts.flatMap(Self.windashVariants) }
        let rest = modifiers.filter { $0 != "expand" && $0 != "windash" }
        var matchers: [ValueMatcher] = []
        for text in texts { matchers.append(try single(text, node: node, modifiers: rest, field: field)) }
        return matchers.count == 1 ? matchers[0] : .anyOf(matchers)
    }

    /// `%name%` placeholders replaced by each of their values (every combination); a placeholder
    /// with no values makes the rule one that cannot apply here.
    private func expand(_ text: String, node: Node, field: String) throws(VigilError) -> [String] {
        guard let open = text.range(of: "%"), let close = text.range(of: "%", range: open.upperBound..<text.endIndex)
        else { return [text] }
        let name = String(text[open.upperBound..<close.lowerBound])
        guard !name.isEmpty, name.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" }) else { return [text] }
        guard let values = reader.options.placeholders[name], !values.isEmpty else {
            throw VigilError(
                .cannotApply, path: reader.file, position: node.mark.map { .line($0.line) },
                reason: "'\(field)|expand' names the placeholder %\(name)%, which has no values",
                hint: "give its values with --placeholders FILE")
        }
        let head = String(text[..<open.lowerBound])
        let tails = try expand(String(text[close.upperBound...]), node: node, field: field)
        return values.flatMap { value in tails.map { head + value + $0 } }
    }

    /// Every spelling of a command-line flag's dash (`-`, `/`, en dash, em dash, horizontal bar)
    /// where a dash or slash starts a flag (after a non-word character, before a word one), as
    /// Sigma's `windash` makes them: each such place independently.
    static func windashVariants(_ text: String) -> [String] {
        let dashes = ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"]
        let characters = Array(text)
        func isWord(_ character: Character?) -> Bool {
            guard let character else { return false }
            return character.isLetter || character.isNumber || character == "_"
        }
        var places: [Int] = []
        for (index, character) in characters.enumerated() where character == "-" || character == "/" {
            let before = index > 0 ? characters[index - 1] : nil
            if !isWord(before) && isWord(index + 1 < characters.count ? characters[index + 1] : nil) {
                places.append(index)
            }
        }
        guard !places.isEmpty else { return [text] }
        var variants: [[Character]] = [characters]
        for place in places.prefix(4) {  // at most 5^4 = 625 spellings
            variants = variants.flatMap { variant in
                dashes.map { dash in
                    var copy = variant
                    copy[place] = Character(dash)
                    return copy
                }
            }
        }
        return variants.map { String($0) }
    }

    /// One value with its modifiers (the expanding ones applied already).
    private func single(_ text: String, node: Node, modifiers: [String], field: String) throws(VigilError)
        -> ValueMatcher
    {
        let cased = modifiers.contains("cased")
        if modifiers.contains("cidr") {
            guard let network = CIDR(text) else {
                throw reader.error(node, "'\(field)|cidr' needs a network such as 10.0.0.0/8 or fe80::/10")
            }
            return .cidr(network)
        }
        if let part = ValueMatcher.TimePart.allCases.first(where: { modifiers.contains($0.rawValue) }) {
            // A number of the field's date: `|hour: 3`, `|hour|gte: 22`.
            let rest = modifiers.filter { $0 != part.rawValue }
            let inner = try single(text, node: node, modifiers: rest.isEmpty ? [] : rest, field: field)
            guard Int(text) != nil else { throw reader.error(node, "'\(field)|\(part.rawValue)' takes a number") }
            return .time(part, inner)
        }
        var bytes = Array(text.utf8)
        let encoding = ["wide", "utf16le", "utf16be", "utf16"].first(where: modifiers.contains)
        if let encoding { bytes = Self.utf16(text, encoding) }
        if modifiers.contains("base64offset") {
            // The value as it appears base64-encoded at any of the three alignments in a longer
            // encoded text (Sigma's definition): a match of any of the three.
            let variants = Self.base64Offsets(bytes)
            let rest = modifiers.filter { !["base64offset", "wide", "utf16le", "utf16be", "utf16"].contains($0) }
            var matchers: [ValueMatcher] = []
            for variant in variants { matchers.append(try single(variant, node: node, modifiers: rest, field: field)) }
            return .anyOf(matchers)
        }
        if modifiers.contains("base64") {
            bytes = Array(Self.base64(bytes).utf8)
        }
        if modifiers.contains("exists") {
            guard let flag = node.flag else { throw reader.error(node, "'\(field)|exists' takes true or false") }
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
        // Wildcards are read in the text before it is encoded in UTF-16 (base64 has none).
        let tokens =
            encoding != nil && !modifiers.contains("base64")
            ? Self.wildcardTokens(text, cased: cased, encoding: encoding)
            : Self.wildcardTokens(bytes, cased: cased)
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

    /// `text` in UTF-16: little-endian (`wide`, `utf16le`), big-endian (`utf16be`), or
    /// little-endian after a byte order mark (`utf16`).
    static func utf16(_ text: String, _ encoding: String) -> [UInt8] {
        var bytes: [UInt8] = encoding == "utf16" ? [0xFF, 0xFE] : []
        for unit in text.utf16 {
            let low = UInt8(unit & 0xFF)
            let high = UInt8(unit >> 8)
            bytes += encoding == "utf16be" ? [high, low] : [low, high]
        }
        return bytes
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

    /// Sigma value syntax: `*` any run, `?` one character, `\*` `\?` `\\` literal; the literal
    /// characters in UTF-8, or in UTF-16 for `encoding` (`wide`, `utf16le`, `utf16be`, `utf16`).
    static func wildcardTokens(_ text: String, cased: Bool, encoding: String? = nil) -> [ValueMatcher.WildcardToken] {
        guard let encoding else { return wildcardTokens(Array(text.utf8), cased: cased) }
        var tokens: [ValueMatcher.WildcardToken] = []
        func literal(_ character: Character) {
            for byte in utf16(String(character), encoding == "utf16" ? "utf16le" : encoding) {
                tokens.append(.literal(cased ? byte : ValueMatcher.fold(byte)))
            }
        }
        if encoding == "utf16" { tokens = [.literal(0xFF), .literal(0xFE)] }
        var characters = text.makeIterator()
        while let character = characters.next() {
            switch character {
            case "*": tokens.append(.any)
            case "?": tokens += [.one, .one]  // one UTF-16 unit
            case "\\":
                guard let next = characters.next() else {
                    literal(character)
                    break
                }
                if "*?\\".contains(next) {
                    literal(next)
                } else {
                    literal(character)
                    literal(next)
                }
            default: literal(character)
            }
        }
        return tokens
    }

    /// The same over a value's bytes (UTF-8, or UTF-16 for `wide`).
    static func wildcardTokens(_ bytes: [UInt8], cased: Bool) -> [ValueMatcher.WildcardToken] {
        var tokens: [ValueMatcher.WildcardToken] = []
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
