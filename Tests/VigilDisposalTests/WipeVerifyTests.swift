import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilDisposal

/// A temporary image of `size` bytes filled by `fill` (offset, buffer), removed by the caller.
private func image(_ folder: URL, _ name: String, size: Int, fill: (Int, inout [UInt8]) -> Void = { _, _ in }) throws
    -> String
{
    let path = folder.appendingPathComponent(name).path
    _ = FileManager.default.createFile(atPath: path, contents: nil)
    let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    let chunk = 1 << 20
    var offset = 0
    while offset < size {
        var buffer = [UInt8](repeating: 0, count: min(chunk, size - offset))
        fill(offset, &buffer)
        try handle.write(contentsOf: buffer)
        offset += buffer.count
    }
    return path
}

private func put(_ bytes: [UInt8], at offset: Int, in path: String) throws {
    let handle = try FileHandle(forUpdating: URL(fileURLWithPath: path))
    defer { try? handle.close() }
    try handle.seek(toOffset: UInt64(offset))
    try handle.write(contentsOf: bytes)
}

private func verify(
    _ path: String, _ expect: ExpectedContent, _ scope: VerificationScope = .full, failFast: Bool = false
)
    throws -> VerificationResult
{
    WipeVerifier(expectation: expect, scope: scope, failFast: failFast).verify(try WipeTarget(path: path))
}

@Suite("Wipe verification on images")
struct WipeImageTests {
    @Test func expectationsParse() {
        #expect(ExpectedContent("zero") == .zero)
        #expect(ExpectedContent("ONES") == .ones)
        #expect(ExpectedContent("byte:5a") == .byte(0x5A))
        #expect(ExpectedContent("byte:00") == .zero)
        #expect(ExpectedContent("pattern:DEADbeef") == .pattern([0xDE, 0xAD, 0xBE, 0xEF]))
        #expect(ExpectedContent("pattern:ffff") == .byte(0xFF))
        #expect(ExpectedContent("random") == .random)
        for bad in ["", "byte:", "byte:1ff", "pattern:abc", "pattern:zz", "noise"] {
            #expect(ExpectedContent(bad) == nil, "\(bad)")
        }
    }

    @Test func zeroImagePassesAndAStrayByteFailsWithItsOffset() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let size = 24 << 20
        let path = try image(folder, "zero.img", size: size)
        let clean = try verify(path, .zero)
        #expect(clean.passed)
        #expect(clean.bytesVerified == Int64(size))
        #expect(clean.coverage == 1)
        #expect(clean.identity.kind == "image-file")
        // One stray byte 3 MiB before the end: outside the last megabyte a sample always reads.
        let stray = size - (3 << 20) + 12_345
        try put([0x41], at: stray, in: path)
        let dirty = try verify(path, .zero)
        #expect(!dirty.passed)
        #expect(dirty.mismatches == 1)
        #expect(dirty.failures.map(\.offset) == [Int64(stray)])
        #expect(dirty.failures.first?.found.hasPrefix("4100") == true)
    }

    /// A sample finds the stray byte exactly when its ranges cover it, and says how likely it
    /// was to miss it; the same seed reads the same ranges.
    @Test(arguments: [1, 2, 3, 4, 5, 6, 7, 8] as [UInt64]) func sampleMissesWithTheProbabilityItReports(seed: UInt64)
        throws
    {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let size = 16 << 20
        let path = try image(folder, "stray.img", size: size)
        let stray = Int64(size / 2 + 777)
        try put([0x01], at: Int(stray), in: path)
        let result = try verify(path, .zero, .sample(percent: 10, seed: seed))
        let plan = SamplePlan(size: Int64(size), percent: 10, seed: seed)
        #expect(plan == SamplePlan(size: Int64(size), percent: 10, seed: seed))
        #expect(plan.subsections == 1000)
        let covered = plan.ranges.contains { $0.contains(stray) }
        #expect(result.passed == !covered)
        #expect(result.bytesVerified == plan.bytes)
        #expect(abs(result.missProbability - (1 - Double(plan.bytes) / Double(size))) < 1e-12)
        // 10% of each subsection plus the two edge megabytes.
        #expect(result.coverage > 0.10 && result.coverage < 0.25)
        #expect(plan.ranges.first?.lowerBound == 0)
        #expect(plan.ranges.last?.upperBound == Int64(size))
    }

    @Test func aFileSystemLeftOnTheMediumFails() throws {
        guard let mkfs = Command.find("mkfs.ext4") else { return }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try image(folder, "ext4.img", size: 16 << 20)
        let made = try Command.run(mkfs, ["-q", "-F", "-L", "payroll", path])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(!(try verify(path, .zero)).passed)
        #expect(!(try verify(path, .zero, .sample(percent: 1, seed: 9))).passed, "the superblock is in the first MiB")
        let random = try verify(path, .random)
        #expect(!random.passed)
        #expect(random.failures.contains { $0.reason?.contains("ext2/3/4 superblock") == true })
    }

    @Test func fillsAndPatternsKeepTheirPhase() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let pattern: [UInt8] = [0xDE, 0xAD, 0xBE, 0xEF, 0x01]
        let size = 5 << 20 + 3
        let path = try image(folder, "pattern.img", size: size) { offset, buffer in
            for index in buffer.indices { buffer[index] = pattern[(offset + index) % pattern.count] }
        }
        #expect(try verify(path, .pattern(pattern)).passed)
        #expect(try verify(path, .pattern(pattern), .sample(percent: 3, seed: 77)).passed)
        let shifted = try verify(path, .pattern([0xAD, 0xBE, 0xEF, 0x01, 0xDE]))
        #expect(!shifted.passed)
        #expect(shifted.failures.first?.offset == 0)
        let ones = try image(folder, "ones.img", size: 2 << 20) { _, buffer in
            for index in buffer.indices { buffer[index] = 0xFF }
        }
        #expect(try verify(ones, .ones).passed)
        #expect(try verify(ones, ExpectedContent("byte:ff")!).passed)
        #expect(!(try verify(ones, .zero)).passed)
    }

    @Test func randomDataPassesTheRandomCheckAndZerosDoNot() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SplitMix64(seed: 2024)
        let path = try image(folder, "random.img", size: 8 << 20) { _, buffer in
            for index in stride(from: 0, to: buffer.count, by: 8) {
                withUnsafeBytes(of: generator.next()) { word in
                    for step in 0..<min(8, buffer.count - index) { buffer[index + step] = word[step] }
                }
            }
        }
        let random = try verify(path, .random)
        #expect(random.passed, "\(random.failures)")
        let zero = try image(folder, "zero.img", size: 1 << 20)
        let notRandom = try verify(zero, .random)
        #expect(!notRandom.passed)
        #expect(notRandom.failures.first?.reason?.hasPrefix("entropy 0") == true)
        // Text left in the middle of random data.
        try put(Array(String(repeating: "CONFIDENTIAL payroll 2025 ", count: 4).utf8), at: 3 << 20, in: path)
        let text = try verify(path, .random)
        #expect(!text.passed)
        #expect(text.failures.map(\.offset) == [Int64(3 << 20)])
        #expect(text.failures.first?.reason?.contains("printable") == true)
    }

    @Test func failFastStopsAtTheFirstDifference() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try image(folder, "dirty.img", size: 32 << 20) { _, buffer in
            for index in stride(from: 0, to: buffer.count, by: 4096) { buffer[index] = 1 }
        }
        let all = try verify(path, .zero)
        #expect(all.mismatches == Int64((32 << 20) / 4096))
        #expect(all.failures.count == WipeVerifier.failureLimit)
        let fast = try verify(path, .zero, failFast: true)
        #expect(!fast.passed)
        #expect(fast.stoppedEarly)
        #expect(fast.bytesVerified <= Int64(WipeVerifier.chunk))
    }

    @Test func targetsThatCannotBeVerifiedAreErrors() throws {
        #expect(throws: VigilError.self) { try WipeTarget(path: "/nonexistent/disk.img") }
        #expect(throws: VigilError.self) { try WipeTarget(path: "/tmp") }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let empty = try image(folder, "empty.img", size: 0)
        let error = try #require(throws: VigilError.self) { try WipeTarget(path: empty) }
        #expect(error.description.contains("empty"))
    }
}

/// Loop devices over image files: real block devices, as the kernel presents them. They need
/// root and `losetup`; the tests say so and return where either is missing.
@Suite("Wipe verification on loop devices", .serialized)
struct WipeLoopDeviceTests {
    private func attach(_ path: String) throws -> String? {
        guard getuid() == 0, let losetup = Command.find("losetup") else {
            print("skipped: loop devices need root and losetup")
            return nil
        }
        let result = try Command.run(losetup, ["--find", "--show", path])
        guard result.status == 0 else {
            print("skipped: losetup could not attach a loop device: \(result.stderr)")
            return nil
        }
        return result.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    private func detach(_ device: String) {
        if let losetup = Command.find("losetup") { _ = try? Command.run(losetup, ["--detach", device]) }
    }

    /// A device nwipe zeroed passes; the kernel's size and the backing file are reported.
    @Test func deviceWipedByNwipePasses() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SplitMix64(seed: 7)
        let path = try image(folder, "disk.img", size: 16 << 20) { _, buffer in
            for index in buffer.indices { buffer[index] = UInt8(truncatingIfNeeded: generator.next()) }
        }
        guard let device = try attach(path) else { return }
        defer { detach(device) }
        let before = try verify(device, .zero)
        #expect(!before.passed)
        #expect(before.identity.kind == "block-device")
        #expect(before.identity.size == 16 << 20)
        #expect(before.identity.backingFile == path)
        guard let nwipe = Command.find("nwipe") else {
            print("skipped: nwipe is not installed (apt-get install nwipe)")
            return
        }
        let logPath = folder.appendingPathComponent("nwipe.log").path
        let wiped = try Command.run(
            nwipe,
            ["--autonuke", "--nogui", "--nowait", "--method=zero", "--verify=last", "--logfile=" + logPath, device])
        #expect(wiped.status == 0, "\(wiped.stderr)")
        // nwipe's own log of this very wipe backs a certificate for this device, not another.
        let log = try NwipeLog(path: logPath)
        let after = try verify(device, .zero)
        #expect(log.problems(for: after.identity, expected: .zero, verificationStart: after.started) == [])
        var other = after.identity
        other.path = "/dev/sdz"
        #expect(log.problems(for: other, expected: .zero, verificationStart: after.started).count == 1)
        #expect(after.passed, "\(after.failures)")
        #expect(after.bytesVerified == 16 << 20)
    }

    @Test func deviceWithAFileSystemFails() throws {
        guard let mkfs = Command.find("mkfs.ext4") else { return }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = try image(folder, "fs.img", size: 16 << 20)
        guard let device = try attach(path) else { return }
        defer { detach(device) }
        #expect(try Command.run(mkfs, ["-q", "-F", device]).status == 0)
        let result = try verify(device, .zero, .sample(percent: 10, seed: 1))
        #expect(!result.passed)
        #expect(result.failures.first!.offset < 1 << 20)
    }

    /// A stray byte near the end: the full read finds it; a sample reports the chance it had
    /// of missing it.
    @Test func strayByteNearTheEnd() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let size = 16 << 20
        let path = try image(folder, "stray.img", size: size)
        let stray = size - (2 << 20) - 4_000
        try put([0x80], at: stray, in: path)
        guard let device = try attach(path) else { return }
        defer { detach(device) }
        let full = try verify(device, .zero)
        #expect(!full.passed)
        #expect(full.failures.map(\.offset) == [Int64(stray)])
        let sample = try verify(device, .zero, .sample(percent: 10, seed: 5))
        let covered = SamplePlan(size: Int64(size), percent: 10, seed: 5).ranges.contains { $0.contains(Int64(stray)) }
        #expect(sample.passed == !covered)
        #expect(sample.missProbability > 0.75 && sample.missProbability < 0.9)
    }
}
