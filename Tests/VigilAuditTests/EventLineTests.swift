import Foundation
import Testing
import VigilCore
import VigilReport
import VigilTestSupport

@testable import VigilAudit

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
