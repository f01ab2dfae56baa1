#if canImport(Glibc)
    internal import Glibc
#endif

/// A Sigma `|re` pattern, run by the C library's POSIX extended regular expressions in time
/// linear in the value's length, whatever the pattern.
///
/// Sigma's regular expressions are PCRE-flavoured, and a backtracking engine (Swift's `Regex`,
/// PCRE) takes seconds on a few kilobytes with patterns as plain as `.*a.*b`, and forever with
/// `(a+)+$`: a rule must not let a crafted log line stall the audit. So the pattern is translated
/// to POSIX ERE (`\d` `\w` `\s` and their negations, `(?:…)`, named groups, lazy quantifiers,
/// `(?i)`, escapes inside brackets) and searched as `^.*(PATTERN)`, one pass of glibc's DFA.
/// What a DFA cannot do is refused when the rule loads, by name: backreferences, lookaround,
/// atomic groups, possessive quantifiers; so are repetition counts above 1000 and patterns longer
/// than 4096 characters. Greediness does not matter: a rule only asks whether the value matches.
///
/// Differences from PCRE that remain: without `|m`, `.` also matches a line feed (`|s`'s
/// behaviour); case folding is ASCII, as in the rest of Vigil's matching.
final class PosixRegex: @unchecked Sendable {
    // @unchecked: the compiled pattern is never changed after init, and glibc's regexec is
    // thread-safe (POSIX requires it; glibc guards its DFA cache with a lock).
    private let compiled: UnsafeMutablePointer<regex_t>

    /// The ERE the pattern became (without the `^.*(…)` search wrapper), for messages and tests.
    let translated: String

    static let maxPatternLength = 4096
    static let maxRepetition = 1000

    /// Why a pattern was refused.
    struct Problem: Error, CustomStringConvertible {
        var description: String
    }

    init(_ pattern: String, caseInsensitive: Bool = false, multiline: Bool = false) throws(Problem) {
        guard pattern.utf8.count <= Self.maxPatternLength else {
            throw Problem(description: "longer than \(Self.maxPatternLength) characters")
        }
        let (ere, inlineCase) = try Self.translate(Array(pattern.utf8))
        var flags = REG_EXTENDED | REG_NOSUB
        if caseInsensitive || inlineCase { flags |= REG_ICASE }
        if multiline { flags |= REG_NEWLINE }
        // Compiled into a local first: a class whose init throws after its properties are set
        // runs its deinit, which must not free what regcomp did not make.
        let pattern = UnsafeMutablePointer<regex_t>.allocate(capacity: 1)
        let status = regcomp(pattern, "^.*(" + ere + ")", flags)
        guard status == 0 else {
            var message = [CChar](repeating: 0, count: 256)
            regerror(status, pattern, &message, message.count)
            pattern.deallocate()
            let text = message.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw Problem(description: text.lowercased())
        }
        compiled = pattern
        translated = ere
    }

    deinit {
        regfree(compiled)
        compiled.deallocate()
    }

    /// Whether the pattern occurs anywhere in `bytes`.
    ///
    /// The value is copied with a NUL after it: `REG_STARTEND` bounds glibc's search, but other
    /// readers of the string (AddressSanitizer's interceptor) look for the NUL. POSIX `.` never
    /// matches a NUL byte, so NULs inside the value are read as 0x01 (a pattern can name neither).
    /// Regular expressions are rare in rules; the copy is linear like the search.
    func matches(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var text = [CChar](repeating: 0, count: bytes.count + 1)
        for index in 0..<bytes.count {
            let byte = bytes[index]
            text[index] = CChar(bitPattern: byte == 0 ? 1 : byte)
        }
        var range = regmatch_t(rm_so: 0, rm_eo: regoff_t(bytes.count))
        return regexec(compiled, text, 1, &range, REG_STARTEND) == 0
    }

    // MARK: Translation

    private static let metacharacters = Set(".[]()*+?{}|^$\\".utf8)

    /// The ERE for a PCRE-style `pattern`, and whether it began with `(?i)`.
    static func translate(_ pattern: [UInt8]) throws(Problem) -> (String, Bool) {
        var out: [UInt8] = []
        var index = 0
        var caseInsensitive = false
        // Leading inline flags: (?i), (?s), (?m), (?is)…
        if pattern.starts(with: Array("(?".utf8)) {
            var end = 2
            while end < pattern.count, [UInt8(ascii: "i"), UInt8(ascii: "s"), UInt8(ascii: "m")].contains(pattern[end])
            {
                end += 1
            }
            if end > 2, end < pattern.count, pattern[end] == UInt8(ascii: ")") {
                caseInsensitive = pattern[2..<end].contains(UInt8(ascii: "i"))
                index = end + 1
            }
        }
        /// Whether the last thing written can take a quantifier (so a `?` after a quantifier is
        /// PCRE's lazy mark).
        var afterQuantifier = false
        while index < pattern.count {
            let byte = pattern[index]
            switch byte {
            case UInt8(ascii: "\\"):
                guard index + 1 < pattern.count else { throw Problem(description: "ends with a lone backslash") }
                out += try escape(pattern[index + 1], inBracket: false)
                index += 2
                afterQuantifier = false
            case UInt8(ascii: "["):
                let (bracket, next) = try Self.bracket(pattern, from: index)
                out += bracket
                index = next
                afterQuantifier = false
            case UInt8(ascii: "("):
                index += 1
                out.append(byte)
                afterQuantifier = false
                guard index < pattern.count, pattern[index] == UInt8(ascii: "?") else { continue }
                let rest = pattern[(index + 1)...]
                if rest.first == UInt8(ascii: ":") {
                    index += 2
                } else if rest.starts(with: Array("P<".utf8))
                    || (rest.first == UInt8(ascii: "<")
                        && rest.dropFirst().first.map({ $0 != UInt8(ascii: "=") && $0 != UInt8(ascii: "!") }) == true)
                {
                    // A named group: the name does not matter to a match.
                    guard let close = rest.firstIndex(of: UInt8(ascii: ">")) else {
                        throw Problem(description: "unterminated group name")
                    }
                    index = close + 1
                } else if rest.first == UInt8(ascii: "=") || rest.first == UInt8(ascii: "!")
                    || rest.starts(with: Array("<=".utf8)) || rest.starts(with: Array("<!".utf8))
                {
                    throw Problem(description: "lookaround ((?=, (?!, (?<=, (?<!) is not supported")
                } else if rest.first == UInt8(ascii: ">") {
                    throw Problem(description: "atomic groups ((?>) are not supported")
                } else {
                    throw Problem(description: "inline flags are only supported at the start, as (?i)")
                }
            case UInt8(ascii: "{"):
                // PCRE reads `{` literally unless it starts a valid repetition.
                if let (minimum, maximum, end) = repetition(pattern, from: index) {
                    guard minimum <= maxRepetition, (maximum ?? 0) <= maxRepetition else {
                        throw Problem(description: "a repetition count above \(maxRepetition)")
                    }
                    out += pattern[index...end]
                    index = end + 1
                    afterQuantifier = true
                    try skipLazyMark(pattern, &index)
                } else {
                    out += Array("\\{".utf8)
                    index += 1
                    afterQuantifier = false
                }
            case UInt8(ascii: "}"):
                out += Array("\\}".utf8)
                index += 1
                afterQuantifier = false
            case UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "?"):
                if afterQuantifier { throw Problem(description: "a quantifier follows another quantifier") }
                out.append(byte)
                index += 1
                afterQuantifier = true
                try skipLazyMark(pattern, &index)
            default:
                out.append(byte)
                index += 1
                afterQuantifier = false
            }
        }
        return (String(decoding: out, as: UTF8.self), caseInsensitive)
    }

    /// Skips PCRE's lazy `?` after a quantifier; refuses the possessive `+`.
    private static func skipLazyMark(_ pattern: [UInt8], _ index: inout Int) throws(Problem) {
        guard index < pattern.count else { return }
        if pattern[index] == UInt8(ascii: "?") {
            index += 1
        } else if pattern[index] == UInt8(ascii: "+") {
            throw Problem(description: "possessive quantifiers (*+, ++, ?+) are not supported")
        }
    }

    /// `{n}`, `{n,}` or `{n,m}` at `start`: its bounds and the index of its `}`.
    private static func repetition(_ pattern: [UInt8], from start: Int) -> (Int, Int?, Int)? {
        var index = start + 1
        func number() -> Int? {
            var value = 0
            var digits = 0
            while index < pattern.count, pattern[index] >= 0x30, pattern[index] <= 0x39 {
                if digits < 6 { value = value * 10 + Int(pattern[index] - 0x30) }
                digits += 1
                index += 1
            }
            return digits == 0 ? nil : (digits > 6 ? Int.max : value)
        }
        guard let minimum = number() else { return nil }
        var maximum: Int? = minimum
        if index < pattern.count, pattern[index] == UInt8(ascii: ",") {
            index += 1
            maximum = number()
            if let maximum, maximum < minimum { return nil }
        }
        guard index < pattern.count, pattern[index] == UInt8(ascii: "}") else { return nil }
        return (minimum, maximum, index)
    }

    /// A backslash escape outside a bracket expression, as ERE.
    private static func escape(_ byte: UInt8, inBracket: Bool) throws(Problem) -> [UInt8] {
        switch byte {
        case UInt8(ascii: "d"): return Array("[0-9]".utf8)
        case UInt8(ascii: "D"): return Array("[^0-9]".utf8)
        case UInt8(ascii: "w"): return Array("[[:alnum:]_]".utf8)
        case UInt8(ascii: "W"): return Array("[^[:alnum:]_]".utf8)
        case UInt8(ascii: "s"): return Array("[[:space:]]".utf8)
        case UInt8(ascii: "S"): return Array("[^[:space:]]".utf8)
        case UInt8(ascii: "b"), UInt8(ascii: "B"): return [0x5C, byte]  // glibc's word boundaries
        case UInt8(ascii: "A"): return Array("^".utf8)
        case UInt8(ascii: "z"), UInt8(ascii: "Z"): return Array("$".utf8)
        case UInt8(ascii: "t"): return [0x09]
        case UInt8(ascii: "n"): return [0x0A]
        case UInt8(ascii: "r"): return [0x0D]
        case UInt8(ascii: "1")...UInt8(ascii: "9"), UInt8(ascii: "k"), UInt8(ascii: "g"):
            throw Problem(description: "backreferences (\\1, \\k<name>) are not supported")
        case _ where metacharacters.contains(byte): return [0x5C, byte]
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0"):
            throw Problem(description: "the escape \\\(Character(Unicode.Scalar(byte))) is not supported")
        default: return [byte]  // \/ \- \" \' \# …: the character itself
        }
    }

    /// A bracket expression starting at `start` (`[`), rewritten for POSIX: escapes resolved
    /// (`\d` `\w` `\s` become classes, `\]` `\-` `\\` literals), `]` put first, `-` last.
    private static func bracket(_ pattern: [UInt8], from start: Int) throws(Problem) -> ([UInt8], Int) {
        var index = start + 1
        var negated = false
        if index < pattern.count, pattern[index] == UInt8(ascii: "^") {
            negated = true
            index += 1
        }
        var items: [UInt8] = []
        var closing = false, dash = false, caret = false
        var first = true
        while true {
            guard index < pattern.count else { throw Problem(description: "unterminated [ bracket expression") }
            let byte = pattern[index]
            if byte == UInt8(ascii: "]") && !first { break }
            first = false
            if byte == UInt8(ascii: "[") && index + 1 < pattern.count && pattern[index + 1] == UInt8(ascii: ":") {
                // A POSIX class such as [:alpha:], kept as it is.
                guard let end = pattern[(index + 2)...].firstIndex(of: UInt8(ascii: "]")) else {
                    throw Problem(description: "unterminated [: class")
                }
                items += pattern[index...end]
                index = end + 1
                continue
            }
            var literal: UInt8
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < pattern.count else { throw Problem(description: "unterminated [ bracket expression") }
                let escaped = pattern[index + 1]
                index += 2
                switch escaped {
                case UInt8(ascii: "d"): items += Array("0-9".utf8); continue
                case UInt8(ascii: "w"): items += Array("[:alnum:]_".utf8); continue
                case UInt8(ascii: "s"): items += Array("[:space:]".utf8); continue
                case UInt8(ascii: "D"), UInt8(ascii: "W"), UInt8(ascii: "S"):
                    throw Problem(description: "\\D, \\W and \\S are not supported inside [ ]")
                case UInt8(ascii: "t"): literal = 0x09
                case UInt8(ascii: "n"): literal = 0x0A
                case UInt8(ascii: "r"): literal = 0x0D
                case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                    UInt8(ascii: "0")...UInt8(ascii: "9"):
                    throw Problem(
                        description: "the escape \\\(Character(Unicode.Scalar(escaped))) is not supported inside [ ]")
                default: literal = escaped
                }
            } else {
                literal = byte
                index += 1
            }
            // A range a-z (the dash not last, the end not an escape we expanded).
            if index + 1 < pattern.count, pattern[index] == UInt8(ascii: "-"), pattern[index + 1] != UInt8(ascii: "]") {
                var end = pattern[index + 1]
                var next = index + 2
                if end == UInt8(ascii: "\\"), index + 2 < pattern.count {
                    end = pattern[index + 2]
                    next = index + 3
                    guard !(end >= 0x30 && end <= 0x39) && !((end | 0x20) >= 0x61 && (end | 0x20) <= 0x7A) else {
                        throw Problem(description: "a range ending in a class escape inside [ ]")
                    }
                }
                guard end >= literal else { throw Problem(description: "a range out of order inside [ ]") }
                items += [literal, UInt8(ascii: "-"), end]
                index = next
                continue
            }
            switch literal {
            case UInt8(ascii: "]"): closing = true
            case UInt8(ascii: "-"): dash = true
            case UInt8(ascii: "^"): caret = true
            default: items.append(literal)
            }
        }
        var out: [UInt8] = [UInt8(ascii: "[")]
        if negated { out.append(UInt8(ascii: "^")) }
        if closing { out.append(UInt8(ascii: "]")) }
        out += items
        if caret { out.append(UInt8(ascii: "^")) }
        if dash { out.append(UInt8(ascii: "-")) }
        if out.count == (negated ? 2 : 1) {
            throw Problem(description: "an empty [ ] bracket expression")
        }
        // `[^]`-only or `[^]` with a lone caret: a caret must not come first unless negating.
        if !negated && !closing && items.isEmpty && caret && !dash {
            return (Array("\\^".utf8), index + 1)
        }
        out.append(UInt8(ascii: "]"))
        return (out, index + 1)
    }
}
