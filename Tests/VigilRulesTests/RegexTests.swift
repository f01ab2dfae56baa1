import Testing
import VigilCore

@testable import VigilRules

/// `|re` patterns: PCRE-style syntax Sigma rules use, translated to POSIX ERE and searched in
/// linear time; constructs a DFA cannot run are refused when the rule loads.
@Suite struct RegexTests {
    static func matches(_ pattern: String, _ value: String, caseInsensitive: Bool = false) throws -> Bool {
        let regex = try PosixRegex(pattern, caseInsensitive: caseInsensitive)
        return Array(value.utf8).withUnsafeBufferPointer { regex.matches($0) }
    }

    static let cases: [(String, String, Bool)] = [
        (#"\d+\.\d+"#, "version 10.4 here", true),
        (#"^\d+$"#, "12a", false),
        (#"\w+@\w+\.org"#, "mail alice@example.org now", true),
        (#"a\sb"#, "a\tb", true),
        (#"a\Sb"#, "a b", false),
        (#"[\d.]+:\d{2,5}"#, "to 10.0.0.1:8080", true),
        (#"[\w-]+\.exe"#, "C:/x/my-tool.exe", true),
        (#"[a\-z]"#, "-", true),
        (#"[a\-z]"#, "m", false),
        (#"[\]x]"#, "]", true),
        (#"[^\s]+"#, "   ", false),
        (#"(?:cmd|powershell)\.exe"#, "POWERSHELL.EXE", false),
        (#"(?i)(?:cmd|powershell)\.exe"#, "POWERSHELL.EXE", true),
        (#"(?<tool>nc|ncat) -e"#, "ncat -e /bin/sh", true),
        (#"(?P<tool>nc) -e"#, "nc -e /bin/sh", true),
        (#"a.*?b"#, "a---b", true),
        (#"ab{2}c"#, "abbc", true),
        (#"ab{2}c"#, "abbbc", false),
        (#"a{x"#, "a{x", true),
        (#"}"#, "}", true),
        (#"\bsu\b"#, "sudo", false),
        (#"\bsu\b"#, "run su now", true),
        (#"\/etc\/shadow"#, "cat /etc/shadow", true),
        (#"^root$|^admin$"#, "admin", true),
        (#"^root$|^admin$"#, "administrator", false),
        (#"\x"#, "x", false),
    ]

    @Test(arguments: cases)
    func translates(_ pattern: String, _ value: String, _ expected: Bool) throws {
        if pattern == #"\x"# {
            // \x (without hex digits) is refused rather than guessed.
            #expect(throws: PosixRegex.Problem.self) { try PosixRegex(pattern) }
            return
        }
        #expect(try Self.matches(pattern, value) == expected, "\(pattern) on \(value)")
    }

    @Test func caseFoldingIsAsciiAndOptional() throws {
        #expect(try !Self.matches("^admin", "ADMIN"))
        #expect(try Self.matches("^admin", "ADMIN", caseInsensitive: true))
    }

    @Test func valuesWithNulBytesAreSearchedWhole() throws {
        let regex = try PosixRegex("secret$")
        let value: [UInt8] = Array("a".utf8) + [0] + Array("secret".utf8)
        #expect(value.withUnsafeBufferPointer { regex.matches($0) })
    }

    static let refusals: [(String, String)] = [
        (#"(a)\1"#, "backreferences"),
        (#"(?<n>a)\k<n>"#, "backreferences"),
        (#"foo(?=bar)"#, "lookaround"),
        (#"(?<!x)foo"#, "lookaround"),
        (#"(?>a+)b"#, "atomic groups"),
        (#"a*+b"#, "possessive"),
        (#"a{1001}"#, "repetition count above 1000"),
        (#"\p{L}"#, #"the escape \p is not supported"#),
        (#"[\W]"#, "not supported inside [ ]"),
        (#"(unclosed"#, "unmatched ("),
        (String(repeating: "a", count: 5000), "longer than 4096"),
    ]

    @Test(arguments: refusals)
    func refuses(_ pattern: String, _ reason: String) throws {
        let problem = try #require(throws: PosixRegex.Problem.self) { try PosixRegex(pattern) }
        #expect(problem.description.contains(reason), "\(problem)")
    }

    /// Patterns that take a backtracking engine exponential or cubic time, on a 64 KiB value (the
    /// longest line a log may give): each is one linear pass here, so the suite would stall if
    /// that ever changed.
    @Test(arguments: [#"(a+)+$"#, #"(a|aa)+$"#, #".*a.*b.*c"#, #"(\w+\s?)+X"#, #"^(a|a?)+$"#])
    func hostilePatternsRunInOnePass(_ pattern: String) throws {
        let value = String(repeating: "a", count: 65_536) + "!"
        #expect(try !Self.matches(pattern, value))
        #expect(try Self.matches(pattern, String(repeating: "a", count: 65_536)) == pattern.hasSuffix("+$"))
    }

    @Test func aRuleWithAnUnsupportedPatternNamesIt() throws {
        let error = try #require(throws: VigilError.self) {
            try rule("selection:\n    user.name|re: '(?=admin)'\ncondition: selection")
        }
        #expect(error.description.contains("lookaround"))
        #expect(error.description.contains("linear time"))
    }
}
