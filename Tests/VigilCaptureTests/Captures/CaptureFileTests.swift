import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

/// Every capture FuzzCaptureFile found crashing (Fuzz/Regressions/FuzzCaptureFile/) is now read
/// or refused with an error, never a trap.
@Test func fuzzRegressionCapturesAreReadOrRefused() throws {
    let folder = TestPaths.root.appendingPathComponent("Fuzz/Regressions/FuzzCaptureFile")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(!names.isEmpty)
    for name in names {
        var limits = CaptureLimits(maxFlows: 64, maxHeldBytesPerDirection: 4096, probeBytes: 512)
        limits.analysisThreads = 2
        _ = try? CaptureReader(limits: limits).read(path: folder.appendingPathComponent(name).path) { _ in }
    }
}

@Suite("Capture files: corrupt, mixed and empty records")
struct CaptureFileTests {
    @Test(arguments: ["absurd-caplen.pcap", "garbage-after-header.pcap"])
    func corruptRecordsStopWithAnErrorAndKeepWhatCameBefore(_ file: String) throws {
        let (outcome, _) = try read(TestPaths.fixture(file))
        let error = try #require(outcome.error)
        #expect(error.code == .corrupt)
        #expect(error.description.contains(file))
        #expect(error.description.contains("the packets before it were analysed"))
        #expect(outcome.input.packets == (file == "absurd-caplen.pcap" ? 4 : 0))
    }

    @Test func pcapngWithSeveralLinkTypesIsReadWhole() throws {
        let (outcome, events) = try read(TestPaths.fixture("mixed-link-types.pcapng"))
        #expect(outcome.error == nil)
        #expect(outcome.input.packets == 32)
        #expect(outcome.input.warnings.contains { $0.contains("different link types (1, 101)") })
        let logins = events.compactMap(\.credential).map { "\($0.username):\($0.secret.reveal())" }
        #expect(logins == ["nina:on-ethernet", "omar:on-raw-ip"])
    }

    @Test func zeroLengthRecordsAreSkipped() throws {
        let (outcome, events) = try read(TestPaths.fixture("zero-length-records.pcap"))
        #expect(outcome.error == nil)
        #expect(outcome.input.packets == 56)
        #expect(events.compactMap(\.credential).count == 2)
    }
}
