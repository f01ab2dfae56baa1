internal import Foundation
public import VigilCore

#if canImport(Glibc)
    import Glibc
#endif

/// How much of the medium to read.
public enum VerificationScope: Sendable, Equatable {
    /// Every byte.
    case full
    /// A representative sample (``SamplePlan``).
    case sample(percent: Double, seed: UInt64)
}

/// The outcome of a verification, as the report and the certificate give it.
public struct VerificationResult: Sendable {
    /// One place that does not hold what it should.
    public struct Failure: Sendable, Equatable {
        public var offset: Int64
        /// Up to 16 bytes found there, in hex.
        public var found: String
        /// Why, for `random` (`an ext2/3/4 superblock ...`); `nil` for a fill.
        public var reason: String?
    }

    /// A read the medium refused: it fails the verification.
    public struct ReadError: Sendable, Equatable {
        public var offset: Int64
        public var reason: String
    }

    public var identity: WipeTarget.Identity
    public var expectation: ExpectedContent
    public var scope: VerificationScope
    /// Sampled: the number of subsections and of ranges read.
    public var subsections: Int?
    public var samples: Int
    public var bytesVerified: Int64
    /// Bytes verified over the medium's size, 0 to 1.
    public var coverage: Double
    /// The first failures (at most ``WipeVerifier/failureLimit``).
    public var failures: [Failure]
    /// Every byte that differed (fills) or block that failed (random), counted.
    public var mismatches: Int64
    public var readErrors: [ReadError]
    /// `--fail-fast` stopped at the first failure.
    public var stoppedEarly: Bool
    public var seconds: Double
    public var started: Timestamp
    public var finished: Timestamp

    public var passed: Bool { failures.isEmpty && readErrors.isEmpty && mismatches == 0 && !stoppedEarly }

    /// Bytes per second.
    public var throughput: Double { seconds > 0 ? Double(bytesVerified) / seconds : 0 }

    /// The chance that this sample missed a single bad byte anywhere on the medium: the part
    /// not read. (For a defect spread over many bytes the chance shrinks with each of them.)
    public var missProbability: Double { max(0, 1 - coverage) }
}

/// Reads a target and checks it against an expectation, on two threads: one reads ahead into
/// a ring of buffers, the caller's thread checks them, so checking costs no time on top of
/// reading.
public struct WipeVerifier: Sendable {
    public static let failureLimit = 32
    public static let chunk = 4 << 20

    public var expectation: ExpectedContent
    public var scope: VerificationScope
    public var failFast: Bool

    /// A verifier expecting `expectation` over `scope`; `failFast` stops at the first difference.
    public init(expectation: ExpectedContent, scope: VerificationScope, failFast: Bool = false) {
        self.expectation = expectation
        self.scope = scope
        self.failFast = failFast
    }

    /// Verifies `target`; `progress` is called on the caller's thread with the bytes done and
    /// the bytes planned, at most a few times a second.
    public func verify(_ target: WipeTarget, progress: ((Int64, Int64) -> Void)? = nil) -> VerificationResult {
        let size = target.identity.size
        var ranges: [Range<Int64>] = [0..<size]
        var subsections: Int?
        if case .sample(let percent, let seed) = scope {
            let plan = SamplePlan(
                size: size, percent: percent, seed: seed, alignment: target.identity.logicalBlockSize)
            ranges = plan.ranges
            subsections = plan.subsections
        }
        let planned = ranges.reduce(Int64(0)) { $0 + Int64($1.count) }
        // Random data is judged in blocks of 64 KiB (statistics need some bytes); fills byte by byte.
        let granule = expectation == .random ? 65536 : 1
        var pieces: [Range<Int64>] = []
        for range in ranges {
            var start = range.lowerBound
            while start < range.upperBound {
                var end = min(range.upperBound, start + Int64(Self.chunk))
                if granule > 1 && end < range.upperBound {
                    end = start + (end - start) / Int64(granule) * Int64(granule)
                }
                pieces.append(start..<end)
                start = end
            }
        }
        let started = Timestamp.now()
        let clock = ContinuousClock.now
        target.adviseSequential()
        let ring = ReadRing(target: target, pieces: pieces, depth: 4)
        ring.start()
        defer { ring.stop() }

        var failures: [VerificationResult.Failure] = []
        var mismatches: Int64 = 0
        var readErrors: [VerificationResult.ReadError] = []
        var verified: Int64 = 0
        var stoppedEarly = false
        var lastReport = ContinuousClock.now
        let checker = expectation.fill.map(FillChecker.init(pattern:))
        while let slot = ring.next() {
            defer { ring.release(slot) }
            let piece = slot.piece
            if let error = slot.error {
                readErrors.append(.init(offset: error.offset, reason: error.reason))
                if failFast { stoppedEarly = true }
                if stoppedEarly || readErrors.count >= Self.failureLimit { break }
                continue
            }
            let block = UnsafeRawBufferPointer(start: slot.buffer, count: slot.count)
            if let checker {
                let found = checker.mismatches(block, at: piece.lowerBound, limit: Self.failureLimit - failures.count)
                if found.count > 0 {
                    mismatches += Int64(found.count)
                    for index in found.first {
                        let end = min(block.count, index + 16)
                        failures.append(
                            .init(
                                offset: piece.lowerBound + Int64(index),
                                found: ExpectedContent.hexString(UnsafeRawBufferPointer(rebasing: block[index..<end])),
                                reason: nil))
                    }
                }
            } else {
                var index = 0
                while index < block.count {
                    let end = min(block.count, index + granule)
                    let part = UnsafeRawBufferPointer(rebasing: block[index..<end])
                    if let problem = RandomnessCheck.problem(part, at: piece.lowerBound + Int64(index)) {
                        mismatches += 1
                        if failures.count < Self.failureLimit {
                            failures.append(
                                .init(
                                    offset: piece.lowerBound + Int64(index),
                                    found: ExpectedContent.hexString(part.prefix(16)), reason: problem))
                        }
                    }
                    index = end
                }
            }
            verified += Int64(slot.count)
            if slot.count < piece.count {
                readErrors.append(.init(offset: piece.lowerBound + Int64(slot.count), reason: "the medium ended early"))
            }
            if failFast && (mismatches > 0 || !readErrors.isEmpty) {
                stoppedEarly = true
                break
            }
            if let progress, ContinuousClock.now - lastReport > .milliseconds(200) {
                lastReport = ContinuousClock.now
                progress(verified, planned)
            }
        }
        progress?(verified, planned)
        let elapsed = ContinuousClock.now - clock
        return VerificationResult(
            identity: target.identity, expectation: expectation, scope: scope, subsections: subsections,
            samples: ranges.count, bytesVerified: verified, coverage: size > 0 ? Double(verified) / Double(size) : 0,
            failures: failures, mismatches: mismatches, readErrors: readErrors, stoppedEarly: stoppedEarly,
            seconds: Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18,
            started: started, finished: Timestamp.now())
    }
}

/// A ring of read buffers filled ahead by a thread of its own.
final class ReadRing: @unchecked Sendable {
    struct Slot {
        var index: Int
        var buffer: UnsafeMutableRawPointer
        var piece: Range<Int64>
        var count: Int
        var error: WipeTarget.ReadFailure?
    }

    private let target: WipeTarget
    private let pieces: [Range<Int64>]
    private let buffers: [UnsafeMutableRawPointer]
    private let condition = NSCondition()
    private var free: [Int]
    private var filled: [Slot] = []
    private var finished = false
    private var stopped = false
    private var thread: Thread?
    private let done = DispatchSemaphore(value: 0)

    init(target: WipeTarget, pieces: [Range<Int64>], depth: Int) {
        self.target = target
        self.pieces = pieces
        buffers = (0..<depth).map { _ in
            var pointer: UnsafeMutableRawPointer?
            // Page-aligned, as direct and device reads want.
            posix_memalign(&pointer, 4096, WipeVerifier.chunk)
            return pointer!
        }
        free = Array(0..<depth)
    }

    deinit { for buffer in buffers { Glibc.free(buffer) } }

    func start() {
        let thread = Thread { [self] in
            defer { done.signal() }
            for piece in pieces {
                condition.lock()
                while free.isEmpty && !stopped { condition.wait() }
                if stopped {
                    condition.unlock()
                    return
                }
                let index = free.removeFirst()
                condition.unlock()
                var slot = Slot(index: index, buffer: buffers[index], piece: piece, count: 0, error: nil)
                switch target.read(into: buffers[index], count: piece.count, at: piece.lowerBound) {
                case .success(let count): slot.count = count
                case .failure(let failure): slot.error = failure
                }
                condition.lock()
                filled.append(slot)
                condition.broadcast()
                condition.unlock()
            }
            condition.lock()
            finished = true
            condition.broadcast()
            condition.unlock()
        }
        thread.name = "vigil-wipe-read"
        self.thread = thread
        thread.start()
    }

    /// The next filled buffer in order, or `nil` when all were read.
    func next() -> Slot? {
        condition.lock()
        defer { condition.unlock() }
        while filled.isEmpty && !finished { condition.wait() }
        return filled.isEmpty ? nil : filled.removeFirst()
    }

    func release(_ slot: Slot) {
        condition.lock()
        free.append(slot.index)
        condition.broadcast()
        condition.unlock()
    }

    /// Stops the reader (early end) and waits for it.
    func stop() {
        condition.lock()
        stopped = true
        condition.broadcast()
        condition.unlock()
        if thread != nil {
            done.wait()
            thread = nil
        }
    }
}
