import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Analysis on several threads", .serialized)
struct ShardedAnalysisTests {
    static var captures: [String] {
        let fixtures = TestPaths.fixture("")
        var paths = (try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? []
        paths = paths.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map {
            URL(fileURLWithPath: fixtures).appendingPathComponent($0).path
        }
        paths.append(TestPaths.sample("office.pcapng"))
        if let net = TestPaths.conformance?.appendingPathComponent("net"),
            let traces = try? FileManager.default.contentsOfDirectory(atPath: net.path)
        {
            paths += traces.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map {
                net.appendingPathComponent($0).path
            }
        }
        return paths.sorted()
    }

    /// Every fixture and conformance trace gives the same events, warnings and packet count on
    /// one, two and three analysing threads, with batches small enough to cross boundaries.
    @Test func sameEventsWhateverTheThreadCount() throws {
        let saved = PacketBatch.maxRecords
        PacketBatch.maxRecords = 7
        defer { PacketBatch.maxRecords = saved }
        let paths = Self.captures
        #expect(paths.count > 20)
        for path in paths {
            var results: [(events: [String], warnings: [String], packets: Int?, error: String?)] = []
            for threads in 1...3 {
                var limits = CaptureLimits()
                limits.analysisThreads = threads
                let outcome: CaptureReader.Outcome
                let events: [Event]
                do {
                    (outcome, events) = try read(path, limits: limits)
                } catch {
                    results.append(([], [], nil, "\(error)"))
                    continue
                }
                results.append(
                    (
                        events.map(signature).sorted(), outcome.input.warnings.sorted(), outcome.input.packets,
                        outcome.error.map { "\($0)" }
                    ))
            }
            for other in results.dropFirst() {
                #expect(other.events == results[0].events, "\(path)")
                #expect(other.warnings == results[0].warnings, "\(path)")
                #expect(other.packets == results[0].packets, "\(path)")
                #expect(other.error == results[0].error, "\(path)")
            }
        }
    }

    /// On several threads, the order of the events is the same from run to run, as reports
    /// depend on it (which evidence is kept first).
    @Test func orderIsStableAcrossRuns() throws {
        let saved = PacketBatch.maxRecords
        PacketBatch.maxRecords = 5
        defer { PacketBatch.maxRecords = saved }
        var limits = CaptureLimits()
        limits.analysisThreads = 3
        let path = TestPaths.sample("office.pcapng")
        let first = try read(path, limits: limits).1.map(signature)
        #expect(first.count > 10)
        for _ in 0..<5 { #expect(try read(path, limits: limits).1.map(signature) == first) }
    }
}

/// The plain SHA-256 of a secret, as the conformance data gives it: for comparison in tests
/// only (Vigil itself never writes one).
