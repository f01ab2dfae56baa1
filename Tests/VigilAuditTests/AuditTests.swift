import Foundation
import Testing
import VigilCore
import VigilRules
import VigilTestSupport

@testable import VigilAudit

@Suite("Finding inputs")
struct InputCollectorTests {
    @Test func foldersAreWalkedAndNonCapturesSkipped() throws {
        let collected = InputCollector().collect([TestPaths.root.appendingPathComponent("samples").path])
        #expect(collected.errors.isEmpty)
        #expect(collected.files.map { ($0.path as NSString).lastPathComponent } == ["office.pcapng"])
        #expect(collected.skipped.contains { $0.hasSuffix("make-samples.py") })
    }

    @Test func kindIsToldByContentNotExtension() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let disguised = folder.appendingPathComponent("notes.txt")
        try FileManager.default.copyItem(
            at: URL(fileURLWithPath: TestPaths.fixture("ftp-port-2121.pcap")), to: disguised)
        let hidden = folder.appendingPathComponent(".hidden.pcap")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: TestPaths.fixture("ftp-port-2121.pcap")), to: hidden)
        let collected = InputCollector().collect([folder.path])
        #expect(collected.files.map(\.path) == [disguised.path])
        #expect(collected.files.first?.kind == .pcap)
    }

    @Test func namedFilesMustExistAndBeCaptures() {
        let collected = InputCollector().collect(["/nonexistent/x.pcap", TestPaths.fixture("garbage.pcap")])
        #expect(collected.files.isEmpty)
        #expect(collected.errors.map(\.code) == [.unreadable, .unrecognised])
        #expect(collected.errors[0].description == "/nonexistent/x.pcap: no such file or folder")
    }

    @Test func aFileNamedTwiceIsReadOnce() {
        let path = TestPaths.fixture("ftp-port-2121.pcap")
        #expect(InputCollector().collect([path, path]).files.count == 1)
    }
}

@Suite("Audit runs")
struct AuditRunTests {
    @Test func samplesGiveTheFTPLoginAndTheServersWithoutTLS() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([
            TestPaths.root.appendingPathComponent("samples").path
        ])
        #expect(result.errors.isEmpty)
        let finding = try #require(result.report.findings.first)
        // The login (high), then the two FTP servers that offer no TLS (medium), by server.
        #expect(
            result.report.findings.map(\.rule) == [
                "net.cleartext-credential.ftp", "net.insecure-protocol.ftp", "net.insecure-protocol.ftp",
            ])
        #expect(Set(result.report.findings.dropFirst().compactMap(\.subject.ip)) == ["10.0.0.9", "10.0.0.12"])
        #expect(result.report.devices.count == 5)
        #expect(finding.rule == "net.cleartext-credential.ftp")
        #expect(finding.category == .weakCredential)
        #expect(finding.subject.user == "alice")
        #expect(finding.subject.ip == "10.0.0.5")
        #expect(finding.credential?.secret.masked == "S*********!")
        #expect(finding.evidence.first?.locator == "packet 71")
        #expect(finding.firstSeen.iso8601 == "2025-11-21T09:00:02.535Z")
    }

    @Test func aBadInputDoesNotLoseTheOthers() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([
            TestPaths.fixture("bad-header.pcap"), TestPaths.fixture("ftp-port-2121.pcap"),
        ])
        #expect(result.errors.count == 1)
        #expect(result.report.findings.filter { $0.credential != nil }.count == 2)
        #expect(result.report.inputs.count == 1)
    }

    @Test func twoPasswordsForOneAccountAreTwoFindings() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let result = try Audit(rules: rules, revealSecrets: false).run([TestPaths.fixture("ftp-port-2121.pcap")])
        let credentials = result.report.findings.filter { $0.credential != nil }
        #expect(Set(credentials.compactMap { $0.credential?.outcome.label }) == ["success", "failure"])
        #expect(Set(credentials.map(\.id)).count == 2)
    }
}
