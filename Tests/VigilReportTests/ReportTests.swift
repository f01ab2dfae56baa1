import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilReport

private func sampleReport(reveal: Bool) throws -> Report {
    let secret = Secret(clear: Array("Summer2026!".utf8))
    let credential = Credential(
        protocolName: "ftp", username: "alice", secret: secret, client: Endpoint(ip: "10.0.0.5", port: 51514),
        server: Endpoint(ip: "10.0.0.9", port: 21), outcome: .success(reply: "230"), packets: [67, 71, 73])
    let finding = Finding(
        id: "0123456789abcdef0123456789abcdef", rule: "net.cleartext-credential.ftp", title: "FTP login in clear text",
        severity: .high, category: .weakCredential, firstSeen: Timestamp(seconds: 1_763_715_602),
        lastSeen: Timestamp(seconds: 1_763_715_602), count: 1, subject: Subject(ip: "10.0.0.5", user: "alice"),
        credential: credential,
        evidence: [Evidence(source: "samples/office.pcapng", locator: "packet 71", summary: "FTP login as 'alice'")],
        remediation: "Rotate it.", checklist: ["contain.rotate-credential"])
    return Report(
        toolVersion: "0.1.0", generatedAt: Timestamp(seconds: 1_763_892_000),
        inputs: [InputReport(path: "samples/office.pcapng", kind: "pcapng", packets: 86, warnings: ["w \"quoted\""])],
        findings: [finding], devices: [], revealSecrets: reveal)
}

@Suite("JSON report contract")
struct JSONReportTests {
    @Test func topLevelAndFindingKeysFollowTheContract() throws {
        let text = JSONReport.render(try sampleReport(reveal: false))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(
            Set(json.keys) == [
                "tool", "generated_at", "inputs", "rule_set", "secret_digest", "summary", "findings", "devices",
            ])
        #expect((json["tool"] as? [String: String]) == ["name": "vigil", "version": "0.1.0"])
        #expect(json["generated_at"] as? String == "2025-11-23T10:00:00Z")
        let input = try #require((json["inputs"] as? [[String: Any]])?.first)
        #expect(Set(input.keys) == ["path", "kind", "status", "reason", "packets", "warnings"])
        #expect(input["status"] as? String == "read-with-warnings")
        let summary = try #require(json["summary"] as? [String: Any])
        #expect(summary["findings"] as? Int == 1)
        #expect(
            (summary["by_severity"] as? [String: Int]) == ["critical": 0, "high": 1, "medium": 0, "low": 0, "info": 0])
        let finding = try #require((json["findings"] as? [[String: Any]])?.first)
        #expect(
            Set(finding.keys) == [
                "id", "rule", "title", "severity", "category", "first_seen", "last_seen", "count", "subject",
                "credential", "evidence", "remediation", "checklist",
            ])
        #expect(Set((finding["subject"] as? [String: Any])?.keys ?? [:].keys) == ["ip", "mac", "host", "user"])
        let credential = try #require(finding["credential"] as? [String: Any])
        for key in ["protocol", "username", "secret_masked", "secret_digest", "strength", "client", "server"] {
            #expect(credential.keys.contains(key), "credential.\(key)")
        }
        #expect(credential["secret_masked"] as? String == "S*********!")
        #expect(credential["secret"] == nil)
        let evidence = try #require((finding["evidence"] as? [[String: String]])?.first)
        #expect(Set(evidence.keys) == ["source", "locator", "summary"])
        #expect(!text.contains("Summer2026!"))
    }

    @Test func revealAddsTheClearSecret() throws {
        let text = JSONReport.render(try sampleReport(reveal: true))
        #expect(text.contains("\"secret\": \"Summer2026!\""))
    }

    @Test func stringsAreEscaped() {
        let value = JSONValue.object([("k", .string("a\"b\\c\nd\u{01}é"))])
        #expect(value.serialized() == #"{"k":"a\"b\\c\nd\u0001é"}"#)
        #expect(JSONValue.array([]).serialized(pretty: true) == "[]")
    }
}

@Suite("Text report")
struct TextReportTests {
    @Test func plainWithoutColourAndMasked() throws {
        let text = TextReport(colour: false).render(try sampleReport(reveal: false))
        #expect(!text.contains("\u{1B}["))
        #expect(text.contains("[HIGH] FTP login in clear text"))
        #expect(text.contains("S*********!"))
        #expect(!text.contains("Summer2026!"))
        #expect(text.contains("samples/office.pcapng packet 71"))
        #expect(text.contains("Findings: 1 (0 critical, 1 high"))
    }

    @Test func colourMarksSeverityOnly() throws {
        let text = TextReport(colour: true).render(try sampleReport(reveal: false))
        #expect(text.contains("\u{1B}[1;31m[HIGH]\u{1B}[0m"))
    }

    @Test func revealShowsTheSecret() throws {
        #expect(TextReport(colour: false).render(try sampleReport(reveal: true)).contains("Summer2026!"))
    }
}

@Suite("Event lines")
struct EventWriterTests {
    @Test func jsonLineShape() throws {
        let secret = Secret(clear: Array("hunter2".utf8))
        var event = Event(
            kind: .credentialObserved, time: Timestamp(seconds: 1_700_000_000),
            source: SourceLocation(path: "a.pcap", position: .packet(12)),
            credential: Credential(
                protocolName: "ftp", username: "bob", secret: secret, client: nil, server: nil, outcome: .unknown,
                packets: [12]))
        event.set(.userName, "bob")
        event.set(.dstPort, 21)
        let line = EventWriter(format: .jsonl, revealSecrets: false).line(event)
        #expect(!line.contains("\n"))
        #expect(!line.contains("hunter2"))
        let json = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
        #expect(json["kind"] as? String == "credential.observed")
        #expect(json["time"] as? String == "2023-11-14T22:13:20Z")
        #expect((json["source"] as? [String: Any])?["packet"] as? Int == 12)
        let fields = try #require(json["fields"] as? [String: Any])
        #expect(fields["user.name"] as? String == "bob")
        #expect(fields["dst.port"] as? Int == 21)
        #expect(fields["credential.secret_masked"] as? String == "h*****2")
        #expect(EventWriter(format: .jsonl, revealSecrets: true).line(event).contains("hunter2"))
    }
}
