import FuzzSupport

@testable import VigilCapture

/// A whole capture file, pcap or pcapng, through libpcap (or Vigil's pcapng reader), the
/// decoders, reassembly and every dissector, on two analysis threads, with small limits.
enum Harness {
    static let file = ScratchFile("capture")

    static func run(_ input: FuzzBytes) {
        file.write(input.bytes)
        var limits = CaptureLimits(maxFlows: 64, maxHeldBytesPerDirection: 4096, probeBytes: 512)
        limits.analysisThreads = 2
        _ = try? CaptureReader(limits: limits).read(path: file.path) { _ in }
    }
}
