/// Where a sampled verification reads, after NIST SP 800-88's representative sampling: the
/// range is split into at least 1,000 equal subsections, one pseudorandom location is read in
/// each (its size the chosen percentage of the subsection, aligned to the logical block), and
/// the first and last megabytes are always read. The locations come from a recorded seed, so
/// anyone can read the same sample again.
public struct SamplePlan: Sendable, Equatable {
    public var seed: UInt64
    public var percent: Double
    public var subsections: Int
    /// The ranges to read, sorted, not overlapping.
    public var ranges: [Range<Int64>]

    public var bytes: Int64 { ranges.reduce(0) { $0 + Int64($1.count) } }

    public static let edge: Int64 = 1 << 20

    /// - Parameters:
    ///   - size: the medium's size in bytes.
    ///   - percent: of each subsection to read, 0 (only the edges) to 100.
    ///   - alignment: the logical block size; reads start and end on it.
    public init(size: Int64, percent: Double, seed: UInt64, alignment: Int = 512, minimumSubsections: Int = 1000) {
        self.seed = seed
        self.percent = percent
        let align = Int64(max(1, alignment))
        let blocks = max(1, size / align)
        let count = Int(min(blocks, Int64(max(1, minimumSubsections))))
        subsections = count
        var random = SplitMix64(seed: seed)
        var ranges: [Range<Int64>] = [0..<min(size, Self.edge), max(0, size - Self.edge)..<size]
        if percent > 0 {
            for index in 0..<count {
                let start = Int64(index) * blocks / Int64(count) * align
                let end = index == count - 1 ? size : Int64(index + 1) * blocks / Int64(count) * align
                let span = end - start
                var length = Int64((Double(span) * min(percent, 100) / 100).rounded(.up))
                length = min(span, max(align, (length + align - 1) / align * align))
                let slots = (span - length) / align
                let offset = start + (slots > 0 ? Int64(random.next() % UInt64(slots + 1)) * align : 0)
                ranges.append(offset..<min(end, offset + length))
            }
        }
        self.ranges = Self.coalesced(ranges)
    }

    static func coalesced(_ ranges: [Range<Int64>]) -> [Range<Int64>] {
        var result: [Range<Int64>] = []
        for range in ranges.filter({ !$0.isEmpty }).sorted(by: { $0.lowerBound < $1.lowerBound }) {
            if let last = result.last, range.lowerBound <= last.upperBound {
                result[result.count - 1] = last.lowerBound..<max(last.upperBound, range.upperBound)
            } else {
                result.append(range)
            }
        }
        return result
    }
}

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fully specified generator, so a sample can be
/// re-derived from its seed by any implementation.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
