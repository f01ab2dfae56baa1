import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilDisposal

@Suite("nwipe logs")
struct NwipeLogTests {
    static func fixture(_ name: String) -> String { TestPaths.fixture(name, target: "VigilDisposalTests") }

    /// What stops `log` from backing a certificate of the loop device nwipe wiped (or of
    /// `device`; `nil`: an image file of that size), verified a minute after the wipe ended.
    static func problems(_ log: NwipeLog, device: String? = "/dev/loop0", expected: ExpectedContent) -> [String] {
        let identity = WipeTarget.Identity(
            path: device ?? "/srv/disk.img", kind: device == nil ? "image-file" : "block-device",
            size: log.devices.first?.size ?? 33_554_432, logicalBlockSize: 512)
        let start = log.endedAt.map { Timestamp(seconds: $0.seconds + 60) } ?? Timestamp.now()
        return log.problems(for: identity, expected: expected, verificationStart: start)
    }

    /// nwipe's real log with its times moved to two minutes ago (in this machine's zone, as
    /// nwipe writes them), for tests of the command, which compares them with now.
    static func freshLog(_ name: String, in folder: URL) throws -> String {
        var text = String(decoding: try Data(contentsOf: URL(fileURLWithPath: fixture(name))), as: UTF8.self)
        var now = time(nil) - 120
        var parts = tm()
        localtime_r(&now, &parts)
        let stamp = String(
            format: "[%04d/%02d/%02d %02d:%02d:%02d]", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
            Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
        text = text.replacingOccurrences(
            of: #"\[\d{4}/\d{2}/\d{2} \d{2}:\d{2}:\d{2}\]"#, with: stamp, options: .regularExpression)
        let path = folder.appendingPathComponent(name).path
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func zeroWipeWithVerification() throws {
        let log = try NwipeLog(path: Self.fixture("nwipe-zero.log"))
        #expect(log.version == "nwipe 0.33")
        #expect(log.method == "Fill With Zeros")
        #expect(log.rounds == 1)
        #expect(log.verify == "last pass")
        #expect(log.prng == "Isaac64")
        #expect(log.started == "2026/11/24 00:03:42")
        #expect(log.ended == "2026/11/24 00:03:43")
        let device = try #require(log.devices.first)
        #expect(log.devices.count == 1)
        #expect(device.path == "/dev/loop0")
        #expect(device.status == "Erased")
        #expect(device.verified && device.blanked && device.finished)
        #expect(device.passErrors + device.verificationErrors + device.syncErrors == 0)
        #expect(log.leaves == .zero)
        #expect(Self.problems(log, expected: .zero) == [])
        #expect(Self.problems(log, device: nil, expected: .zero) == [])
        #expect(Self.problems(log, device: "/dev/sdb", expected: .zero) == ["the log is of /dev/loop0, not /dev/sdb"])
        #expect(
            Self.problems(log, expected: .ones) == [
                "nwipe's method 'Fill With Zeros' leaves zero on the medium, not ones"
            ])
    }

    /// DoD short writes random data, then nwipe's blanking pass zeros the device.
    @Test func multiPassWithBlanking() throws {
        let log = try NwipeLog(path: Self.fixture("nwipe-dodshort.log"))
        #expect(log.method == "DoD Short")
        #expect(log.devices.first?.blanked == true)
        #expect(log.leaves == .zero)
        #expect(Self.problems(log, expected: .zero) == [])
    }

    @Test func verifyOnlyMethodsEraseNothing() throws {
        let log = try NwipeLog(path: Self.fixture("nwipe-verify-zero.log"))
        #expect(log.method == "Verify Zeros (0x00)")
        #expect(log.leaves == nil)
        #expect(log.devices.first?.status == "FAILED")
        #expect(log.devices.first?.verificationErrors == 16384)
        #expect(
            Self.problems(log, expected: .zero) == [
                "nwipe's method 'Verify Zeros (0x00)' only reads the device: it erases nothing"
            ])
    }

    /// Every input FuzzNwipe found crashing (Fuzz/Regressions/FuzzNwipe/: reversed brackets, a
    /// status table naming a device in invalid UTF-8, an end time with a day beyond 32 bits) is
    /// now read or refused, and judged against a drive, never a trap.
    @Test func fuzzRegressionsAreReadOrRefused() throws {
        let folder = TestPaths.root.appendingPathComponent("Fuzz/Regressions/FuzzNwipe")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        #expect(names.count >= 3)
        for name in names {
            let bytes = Array(try Data(contentsOf: folder.appendingPathComponent(name)))
            guard let log = try? NwipeLog(bytes: bytes, path: name) else { continue }
            _ = Self.problems(log, expected: .zero)
        }
    }

    /// Numbers in a log are input: a time whose fields are out of range (or beyond 32 bits, as
    /// FuzzNwipe found) is no time, and error counts too large to add are still errors.
    @Test func outOfRangeNumbersAreRefusedNotTrapped() throws {
        let text = String(
            decoding: try Data(contentsOf: URL(fileURLWithPath: Self.fixture("nwipe-zero.log"))), as: UTF8.self)
        func parsed(_ edited: String) throws -> NwipeLog { try NwipeLog(bytes: Array(edited.utf8), path: "edited.log") }
        for end in ["2026/11/99999999999 00:03:43", "2026/13/24 00:03:43", "-9223372036854775808/11/24 00:03:43"] {
            let log = try parsed(text.replacingOccurrences(of: "2026/11/24 00:03:43", with: end))
            #expect(log.ended == end)
            #expect(log.endedAt == nil)
            #expect(Self.problems(log, expected: .zero).contains("the log does not say when the wipe ended"))
        }
        #expect(NwipeLog.localTime("2026/11/24 00:03:43") != nil)
        #expect(NwipeLog.localTime("2026/11/24 24:00:00") == nil)
        let huge = text.replacingOccurrences(
            of: "     loop0 |           0 |                    0 |",
            with: "     loop0 | 9223372036854775807 | 9223372036854775807 |")
        let problems = Self.problems(try parsed(huge), expected: .zero)
        #expect(problems.contains { $0.hasPrefix("nwipe reports errors on /dev/loop0: 9223372036854775807 pass") })
    }

    /// Found by FuzzNwipe (Fuzz/Regressions/FuzzNwipe/): brackets the wrong way round in the
    /// verify line trapped; the value is now kept as written.
    @Test func aVerifyLineWithReversedBracketsIsKeptAsWritten() throws {
        let text = String(
            decoding: try Data(contentsOf: URL(fileURLWithPath: Self.fixture("nwipe-zero.log"))), as: UTF8.self)
        let edited = text.replacingOccurrences(of: "verify   = 1 (last pass)", with: "verify   = ) last pass (")
        let log = try NwipeLog(bytes: Array(edited.utf8), path: "edited.log")
        #expect(log.verify == ") last pass (")
    }

    /// Logs cut or edited from the real one: an unfinished wipe, a verification that never ran,
    /// errors in the summary.
    @Test func unfinishedUnverifiedOrFailedWipesAreRefused() throws {
        let text = String(
            decoding: try Data(contentsOf: URL(fileURLWithPath: Self.fixture("nwipe-zero.log"))), as: UTF8.self)
        func parsed(_ edited: String) throws -> NwipeLog { try NwipeLog(bytes: Array(edited.utf8), path: "edited.log") }
        let unfinished = text.components(separatedBy: "\n").prefix { !$0.contains("Finished pass 1/1") }.joined(
            separator: "\n")
        #expect(
            Self.problems(try parsed(unfinished), expected: .zero).contains(
                "nwipe did not finish its last round on /dev/loop0"))
        let unverified = text.components(separatedBy: "\n").filter { !$0.contains("[SUCCESS] Verified") }.joined(
            separator: "\n")
        #expect(
            Self.problems(try parsed(unverified), expected: .zero) == [
                "nwipe was set to verify (last pass) and its log shows no verification of /dev/loop0"
            ])
        let errors = text.replacingOccurrences(
            of: "     loop0 |           0 |                    0 |",
            with: "     loop0 |           2 |                    0 |")
        #expect(
            Self.problems(try parsed(errors), expected: .zero) == [
                "nwipe reports errors on /dev/loop0: 2 pass, 0 verification, 0 sync"
            ])
        #expect(throws: VigilError.self) { try parsed("hello\nworld\n") }
    }

    @Test func methodsThatDoNotErase() {
        #expect(MethodCheck.problem(method: "nvme format /dev/nvme0n1", category: "purge") != nil)
        #expect(MethodCheck.problem(method: "nvme format --ses=1 /dev/nvme0n1", category: "purge") == nil)
        #expect(MethodCheck.problem(method: "blkdiscard", category: "purge") != nil)
        #expect(MethodCheck.problem(method: "hdparm --sanitize-block-erase", category: "purge") == nil)
        #expect(MethodCheck.problem(method: "1 pass of zeros", category: "clear") == nil)
    }

    /// The log goes into the certificate; a log that cannot back it stops the command before
    /// the medium is read.
    @Test func certificateImportsTheLog() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let organisation = try TestOrganisation(in: folder)
        let sam = try organisation.person("Sam", roles: ["technician"])
        // The size of the device in nwipe's log: an image is compared by size.
        let image = folder.appendingPathComponent("disk.img").path
        try Data(count: 32 << 20).write(to: URL(fileURLWithPath: image))
        func certify(_ log: String, name: String) throws -> ProcessResult {
            try VigilBinary.run([
                "wipe", "verify", image, "--expect", "zero", "--full", "--out",
                folder.appendingPathComponent(name).path, "--asset", "LAP-1", "--nwipe-log", log, "--key", sam.key,
                "--cert", sam.cert, "--store", folder.appendingPathComponent("ledger.sqlite").path, "--ca",
                organisation.ca,
            ])
        }
        let good = try certify(try Self.freshLog("nwipe-zero.log", in: folder), name: "good.json")
        #expect(good.status == 0, "\(good.stderr)")
        let document = try #require(
            CanonicalJSON.parse(Array(try Data(contentsOf: folder.appendingPathComponent("good.json")))))
        #expect(document["sanitization"]?["tool"]?.string == "nwipe 0.33")
        #expect(document["sanitization"]?["method"]?.string == "Fill With Zeros, 1 round(s), nwipe verify last pass")
        #expect(document["tool_log"]?["status"]?.string == "Erased")
        #expect(document["tool_log"]?["verified_by_tool"] == .bool(true))
        #expect(document["tool_log"]?["log_sha256"]?.string?.count == 64)
        #expect(document["tool_log"]?["size_bytes"]?.int == 33_554_432)
        #expect(document["person"]?["name"]?.string == "Sam")
        let bad = try certify(try Self.freshLog("nwipe-verify-zero.log", in: folder), name: "bad.json")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("only reads the device: it erases nothing"))
        #expect(!bad.stdout.contains("result:"), "refused before reading the medium")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("bad.json").path))
    }
}
