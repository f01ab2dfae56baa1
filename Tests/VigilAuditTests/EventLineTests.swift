import Foundation
import Testing
import VigilCore
import VigilReport
import VigilTestSupport

@testable import VigilAudit
@testable import VigilRules

/// `vigil events` writes its JSON lines directly into bytes; they must be exactly what the
/// JSON value of each event serialises to, for every event real inputs give.
@Suite("Event lines written directly")
struct EventLineTests {
    static let inputs = [
        TestPaths.root.appendingPathComponent("samples").path,
        TestPaths.root.appendingPathComponent("Tests/VigilLogsTests/Fixtures").path,
        TestPaths.root.appendingPathComponent("Tests/VigilAuditTests/Fixtures/sigmahq").path,
        TestPaths.root.appendingPathComponent("rules/examples/network.pcapng").path,
    ]

    @Test(arguments: [false, true])
    func directBytesAreTheSerialisedValue(reveal: Bool) throws {
        let writer = EventWriter(format: .jsonl, revealSecrets: reveal, digest: testDigest)
        var count = 0
        var withCredential = 0
        var withSecretInText = 0
        var nonASCII = 0
        _ = try Audit.events(Self.inputs) { event in
            var direct: [UInt8] = []
            writer.appendJSON(event, to: &direct)
            let expected = writer.json(event).serialized()
            #expect(String(decoding: direct, as: UTF8.self) == expected, "\(event.source.path):\(event.source.locator)")
            count += 1
            if event.credential != nil { withCredential += 1 }
            if !event.secretsInText.isEmpty { withSecretInText += 1 }
            if let text = event.text, text.withBytes({ $0.contains { $0 >= 0x80 } }) { nonASCII += 1 }
        }
        // The inputs hold every case the writer tells apart.
        #expect(count > 500)
        #expect(withCredential > 10)
        #expect(withSecretInText > 0)
        #expect(nonASCII > 0)
    }
}

/// Sigma `keywords` search a log event's raw line (`log.message`, whose fields are read from
/// it), as SigmaHQ's backends search the message; an event without one (a capture's) is searched
/// in its field values.
@Suite("Where keywords search")
struct KeywordPlaceTests {
    static func keywordRule(_ word: String, product: String = "linux") throws -> Rule {
        let yaml = """
            title: keyword \(word)
            id: keyword-\(word)
            level: high
            logsource: {product: \(product)}
            detection:
              keywords:
                - '\(word)'
              condition: keywords
            """
        return try #require(try RuleLoader.load(yaml: yaml, file: "keyword.yml").rules.first)
    }

    @Test func logEventsAreSearchedInTheirLine() throws {
        var events: [Event] = []
        _ = try Audit.events([TestPaths.sample("logs/auth.log")]) { events.append($0) }
        var failure = try #require(events.first { $0.kind == .authFailure && $0[.srcIP] != nil })
        // In the line: found. Only in a field added after reading (enrichment's kind of field): not.
        #expect(RuleEngine.matches(try Self.keywordRule("Failed password"), failure))
        failure.set(.assetOwner, "R. Patel of Finance")
        #expect(!RuleEngine.matches(try Self.keywordRule("Patel of Finance"), failure))
    }

    @Test func captureEventsAreSearchedInTheirFields() throws {
        var events: [Event] = []
        _ = try Audit.events([TestPaths.sample("office.pcapng")]) { events.append($0) }
        let login = try #require(events.first { $0.credential?.username == "alice" && $0.text == nil })
        let user = try #require(login[.userName]?.description)
        #expect(RuleEngine.matches(try Self.keywordRule(user, product: "network"), login))
        #expect(!RuleEngine.matches(try Self.keywordRule("no-such-word-anywhere", product: "network"), login))
    }
}
