import FuzzSupport
import VigilCore
import VigilLogs

/// A gzip log through the streaming reader (zlib, concatenated members, trailing padding,
/// truncation) and on into the log parsers, with small decompression limits. Inputs that do
/// not start with the gzip magic get it, so every run reaches zlib.
enum Harness {
    static let file = ScratchFile("log.gz")

    static func run(_ input: FuzzBytes) {
        var bytes = input.array
        if !bytes.starts(with: [0x1F, 0x8B]) { bytes.insert(contentsOf: [0x1F, 0x8B], at: 0) }
        bytes.withUnsafeBytes { file.write($0) }
        var options = LogOptions(zone: .utc, reference: Timestamp(seconds: 1_700_000_000))
        options.limits = LogLimits(maxDecompressedBytes: 16 << 20, maxCompressionRatio: 200, ratioGrace: 1 << 20)
        _ = try? LogReader(options: options).read(path: file.path) { _ in }
    }
}
