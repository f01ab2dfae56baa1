import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

@Suite("Field values and modifiers")
struct ModifierTests {
    static let alice = event([
        .userName: .string("Alice.Smith"), .hostName: .string("files.example.org"), .dstPort: .int(2121),
    ])

    @Test(arguments: [
        ("user.name: alice.smith", true),  // case-insensitive by default
        ("user.name|cased: alice.smith", false),
        ("user.name|cased: Alice.Smith", true),
        ("user.name: alice*", true),
        ("user.name: '*smith'", true),
        ("user.name: 'a?ice.smith'", true),
        ("user.name: 'a?ce.smith'", false),
        ("user.name|contains: ce.sm", true),
        ("user.name|startswith: ali", true),
        ("user.name|endswith: smith", true),
        ("user.name|endswith: alice", false),
        ("user.name|contains|all: [alice, smith]", true),
        ("user.name|contains|all: [alice, jones]", false),
        ("user.name|contains: [jones, smith]", true),
        ("user.name|re: '^A[a-z]+\\.S'", true),
        ("user.name|re: '^a[a-z]+\\.s'", false),
        ("user.name|re|i: '^a[a-z]+\\.s'", true),
        ("host.name|exists: true", true),
        ("src.ip|exists: true", false),
        ("src.ip|exists: false", true),
        ("src.ip: null", true),
        ("user.name: null", false),
        ("dst.port: 2121", true),
        ("dst.port|gte: 1024", true),
        ("dst.port|lt: 1024", false),
        ("dst.port|neq: 21", true),
        ("user.name|neq: alice.smith", false),
        ("user.name: 'alice\\*'", false),
    ])
    func selection(_ text: String, expected: Bool) throws {
        let compiled = try rule("selection:\n    \(text)\ncondition: selection")
        #expect(RuleEngine.matches(compiled, Self.alice) == expected)
    }

    /// A field an event does not carry is absent: it never matches, `|exists: false` always
    /// does (here in rules over audit records, whose fields are their own key=value names).
    @Test func fieldsAnEventLacksAreAbsent() throws {
        let auditd = "product: linux\n    service: auditd"
        let record = event([.logFormat: .string("audit"), .userName: .string("root")], kind: .logLine, fromLog: true)
        let absent = try rule("selection:\n    Provider_Name: x\ncondition: selection", logsource: auditd)
        #expect(absent.selection.admits(record))
        #expect(!RuleEngine.matches(absent, record))
        let missing = try rule("selection:\n    Provider_Name|exists: false\ncondition: selection", logsource: auditd)
        #expect(RuleEngine.matches(missing, record))
        let present = try rule("selection:\n    user.name|exists: false\ncondition: selection", logsource: auditd)
        #expect(!RuleEngine.matches(present, record))
    }

    @Test func listsOfMapsAreAlternatives() throws {
        let compiled = try rule(
            """
            selection:
                - user.name: bob
                - user.name: alice.smith
                  dst.port: 2121
            condition: selection
            """)
        #expect(RuleEngine.matches(compiled, Self.alice))
    }

    @Test func keywordsSearchFieldValues() throws {
        let compiled = try rule("keywords:\n    - example.org\ncondition: keywords")
        #expect(RuleEngine.matches(compiled, Self.alice))
        let miss = try rule("keywords:\n    - example.com\ncondition: keywords")
        #expect(!RuleEngine.matches(miss, Self.alice))
    }

    @Test(arguments: [
        ("user.name|windish: x", "unknown modifier 'windish'"),
        ("user.name|hour: noon", "takes a number"),
        ("user.name|frobnicate: x", "unknown modifier 'frobnicate'"),
        ("user.name|re: '(unclosed'", "invalid regular expression"),
        ("dst.port|gt: many", "needs a number"),
    ])
    func badModifiersAreErrors(_ text: String, message: String) throws {
        let error = try #require(throws: VigilError.self) { try rule("selection:\n    \(text)\ncondition: selection") }
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func logsourceSelectsEvents() throws {
        let compiled = try rule(
            "selection:\n    user.name: alice.smith\ncondition: selection", logsource: "product: network")
        #expect(RuleEngine.matches(compiled, Self.alice))
        var fromLog = Self.alice
        fromLog.source.position = .line(4)
        #expect(!RuleEngine.matches(compiled, fromLog))
        let auth = try rule(
            "selection:\n    user.name: alice.smith\ncondition: selection", logsource: "category: authentication")
        #expect(!RuleEngine.matches(auth, Self.alice))
    }
}

@Suite("Modifiers: cidr, base64, base64offset")
struct EncodingModifierTests {
    private func rule(_ detection: String) throws -> Rule {
        let text = """
            title: t
            name: t.modifier
            logsource: {product: linux}
            detection:
            \(detection.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                condition: selection
            """
        return try #require(try RuleLoader.load(yaml: text, file: "t.yml").rules.first)
    }

    private func event(_ field: Field, _ value: String, binary: Bool = false) -> Event {
        var event = Event(
            kind: .authFailure, time: Timestamp(seconds: 0), source: SourceLocation(path: "a", position: .line(1)))
        if binary { event.set(field, address: value) } else { event.set(field, value) }
        return event
    }

    /// The same on addresses in binary form (as sources give them) and as text (another
    /// spelling); equality and `contains` on a binary address see its text.
    @Test(arguments: [false, true])
    func cidrOnBothForms(binary: Bool) throws {
        let rule = try rule("selection:\n    src.ip|cidr:\n        - 10.0.0.0/8\n        - 2001:db8::/32")
        #expect(RuleEngine.matches(rule, event(.srcIP, "10.200.3.4", binary: binary)))
        #expect(!RuleEngine.matches(rule, event(.srcIP, "11.0.0.1", binary: binary)))
        #expect(RuleEngine.matches(rule, event(.srcIP, "2001:db8:a::1", binary: binary)))
        #expect(!RuleEngine.matches(rule, event(.srcIP, "2001:db9::1", binary: binary)))
        let equal = try self.rule("selection:\n    src.ip: 10.200.3.4")
        #expect(RuleEngine.matches(equal, event(.srcIP, "10.200.3.4", binary: binary)))
        let contains = try self.rule("selection:\n    src.ip|startswith: '10.200.'")
        #expect(RuleEngine.matches(contains, event(.srcIP, "10.200.3.4", binary: binary)))
    }

    @Test func cidr() throws {
        let v4 = try rule("selection:\n    src.ip|cidr: 10.0.0.0/8")
        #expect(RuleEngine.matches(v4, event(.srcIP, "10.200.3.4")))
        #expect(!RuleEngine.matches(v4, event(.srcIP, "11.0.0.1")))
        #expect(!RuleEngine.matches(v4, event(.srcIP, "not an address")))
        let v6 = try rule("selection:\n    src.ip|cidr:\n        - fe80::/10\n        - 192.168.0.0/16")
        #expect(RuleEngine.matches(v6, event(.srcIP, "fe80::1")))
        #expect(RuleEngine.matches(v6, event(.srcIP, "192.168.7.7")))
        #expect(!RuleEngine.matches(v6, event(.srcIP, "2001:db8::1")))
        #expect(throws: VigilError.self) { try rule("selection:\n    src.ip|cidr: 10.0.0.0/40") }
    }

    /// Sigma's documented encodings: `http://` at the three alignments.
    @Test func base64offsetVariants() {
        #expect(DetectionCompiler.base64Offsets(Array("http://".utf8)) == ["aHR0cDovL", "h0dHA6Ly", "odHRwOi8v"])
        #expect(DetectionCompiler.base64(Array("cmd".utf8)) == "Y21k")
    }

    @Test func base64Matching() throws {
        let exact = try rule("selection:\n    process.command_line|base64: whoami")
        #expect(RuleEngine.matches(exact, event(.processCommandLine, "d2hvYW1p")))
        let offset = try rule("selection:\n    process.command_line|base64offset|contains: http://")
        // `curl http://x` base64-encoded: the value sits at an offset inside it.
        #expect(RuleEngine.matches(offset, event(.processCommandLine, "powershell -enc Y3VybCBodHRwOi8veA==")))
        #expect(!RuleEngine.matches(offset, event(.processCommandLine, "powershell -enc d2hvYW1p")))
    }
}

/// The modifiers of Sigma v2.1 that SigmaHQ's rules use beyond the basic ones, each as the
/// specification's appendix (`../shared/conformance/sigma/specification/sigma-appendix-modifiers.md`)
/// defines it.
@Suite("Modifiers: windash, utf16, expand, fieldref, time")
struct SigmaTwoModifierTests {
    private func rule(_ detection: String, options: RuleLoadOptions = RuleLoadOptions()) throws -> Rule {
        let text = """
            title: t
            name: t.modifier
            logsource: {product: linux}
            detection:
            \(detection.split(separator: "\n").map { "    " + $0 }.joined(separator: "\n"))
                condition: selection
            """
        return try #require(try RuleLoader.load(yaml: text, file: "t.yml", options: options).rules.first)
    }

    private func event(_ fields: [Field: String], at seconds: Int64 = 0) -> Event {
        var event = Event(
            kind: .privilegeUse, time: Timestamp(seconds: seconds),
            source: SourceLocation(path: "a", position: .line(1)))
        for (field, value) in fields.sorted(by: { $0.key.index < $1.key.index }) { event.set(field, .string(value)) }
        return event
    }

    /// "all possible permutations of the -, /, – (en dash), — (em dash), and ― (horizontal bar)"
    /// where a flag starts; a dash inside a word is left alone.
    @Test func windash() throws {
        let compiled = try rule("selection:\n    process.command_line|windash|contains: ' -enc '")
        for dash in ["-", "/", "\u{2013}", "\u{2014}", "\u{2015}"] {
            #expect(
                RuleEngine.matches(compiled, event([.processCommandLine: "powershell \(dash)enc SQBFAFgA"])), "\(dash)")
        }
        #expect(!RuleEngine.matches(compiled, event([.processCommandLine: "powershell +enc SQBFAFgA"])))
        #expect(DetectionCompiler.windashVariants("a-b").count == 1, "a dash inside a word is no flag")
        #expect(DetectionCompiler.windashVariants("-a /b").count == 25, "each flag independently")
    }

    /// `cmd` > `63 00 6d 00 64 00` (utf16le, wide), `00 63 00 6d 00 64` (utf16be), with a byte
    /// order mark for utf16; SigmaHQ writes them under base64offset: PowerShell's -EncodedCommand.
    @Test func utf16() throws {
        #expect(DetectionCompiler.utf16("cmd", "utf16le") == [0x63, 0, 0x6D, 0, 0x64, 0])
        #expect(DetectionCompiler.utf16("cmd", "wide") == [0x63, 0, 0x6D, 0, 0x64, 0])
        #expect(DetectionCompiler.utf16("cmd", "utf16be") == [0, 0x63, 0, 0x6D, 0, 0x64])
        #expect(DetectionCompiler.utf16("cmd", "utf16") == [0xFF, 0xFE, 0x63, 0, 0x6D, 0, 0x64, 0])
        // `powershell -enc` of "IEX (New-Object Net.WebClient)" in UTF-16LE base64.
        let compiled = try rule("selection:\n    process.command_line|wide|base64offset|contains: 'New-Object'")
        let encoded = Data("IEX (New-Object Net.WebClient)".data(using: .utf16LittleEndian)!).base64EncodedString()
        #expect(RuleEngine.matches(compiled, event([.processCommandLine: "powershell -enc \(encoded)"])))
        let other = Data("IEX (Get-Item x)".data(using: .utf16LittleEndian)!).base64EncodedString()
        #expect(!RuleEngine.matches(compiled, event([.processCommandLine: "powershell -enc \(other)"])))
        let utf8 = Data("IEX (New-Object Net.WebClient)".utf8).base64EncodedString()
        #expect(
            !RuleEngine.matches(compiled, event([.processCommandLine: "powershell -enc \(utf8)"])), "UTF-8 is not wide")
    }

    /// Placeholders take their values from a file; one with no values makes the rule one that
    /// cannot apply here (the specification leaves it to the pipeline; pySigma fails it too).
    @Test func expand() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("placeholders.yml")
        try "admins: [root, toor]\nsuffixes: ['.sh']\n".write(to: file, atomically: true, encoding: .utf8)
        let options = RuleLoadOptions(placeholders: try RuleLoadOptions.placeholders(file: file.path))
        let compiled = try rule("selection:\n    user.name|expand: '%admins%'", options: options)
        #expect(RuleEngine.matches(compiled, event([.userName: "toor"])))
        #expect(!RuleEngine.matches(compiled, event([.userName: "alice"])))
        let both = try rule(
            "selection:\n    process.command_line|expand|endswith: '/tmp/x%suffixes%'", options: options)
        #expect(RuleEngine.matches(both, event([.processCommandLine: "bash /tmp/x.sh"])))
        let loaded = try RuleLoader.load(
            yaml: "title: t\nname: t\nlogsource: {product: linux}\ndetection:\n    selection:\n"
                + "        user.name|expand: '%nobody_defined%'\n    condition: selection\n", file: "e.yml",
            options: options)
        #expect(loaded.rules.isEmpty)
        #expect(loaded.skipped.first?.reason.contains("%nobody_defined%") == true)
    }

    /// "compare fields of matched events directly", alone or with `neq` (and the string modifiers).
    @Test func fieldref() throws {
        let same = try rule("selection:\n    user.name|fieldref: user.target")
        #expect(RuleEngine.matches(same, event([.userName: "alice", .userTarget: "Alice"])))
        #expect(!RuleEngine.matches(same, event([.userName: "alice", .userTarget: "root"])))
        #expect(!RuleEngine.matches(same, event([.userName: "alice"])), "no field to compare with")
        let other = try rule("selection:\n    user.name|fieldref|neq: user.target")
        #expect(RuleEngine.matches(other, event([.userName: "alice", .userTarget: "root"])))
        #expect(!RuleEngine.matches(other, event([.userName: "alice", .userTarget: "alice"])))
        let inside = try rule("selection:\n    process.command_line|fieldref|contains: user.target")
        #expect(RuleEngine.matches(inside, event([.processCommandLine: "passwd bob", .userTarget: "bob"])))
        let cased = try rule("selection:\n    user.name|fieldref|cased: user.target")
        #expect(!RuleEngine.matches(cased, event([.userName: "alice", .userTarget: "Alice"])))
    }

    /// `minute` … `year` extract a number from a date (the event's time for `timestamp`, UTC),
    /// compared as a number, alone or with lt/gte….
    @Test func timeParts() throws {
        // 2023-11-14T22:13:20Z, a Tuesday of ISO week 46.
        let late = Int64(1_700_000_000)
        let night = try rule("selection:\n    timestamp|hour|gte: 22")
        #expect(RuleEngine.matches(night, event([:], at: late)))
        #expect(!RuleEngine.matches(night, event([:], at: late - 3 * 3600)))
        let exact = try rule(
            "selection:\n    '@timestamp|minute': 13\n    timestamp|day: 14\n    timestamp|month: 11\n"
                + "    timestamp|year: 2023\n    timestamp|week: 46")
        #expect(RuleEngine.matches(exact, event([:], at: late)))
        #expect(!RuleEngine.matches(exact, event([:], at: late + 60)))
        // A field holding a date is read as ISO 8601.
        let field = try rule("selection:\n    event.reason|year|lt: 2000")
        #expect(RuleEngine.matches(field, event([.eventReason: "1999-12-31T23:59:59Z"])))
        #expect(!RuleEngine.matches(field, event([.eventReason: "2000-01-01T00:00:00Z"])))
        #expect(!RuleEngine.matches(field, event([.eventReason: "not a date"])))
        #expect(!RuleEngine.matches(field, event([:])))
    }
}
