import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// `vigil capture` on the real loopback interface: as root (CI), a login made during the
/// capture must be found; without the privilege, the error must say which capability is missing.
@Suite("vigil capture on loopback", .serialized, .timeLimit(.minutes(1)))
struct CaptureCommandTests {
    static let isRoot = getuid() == 0

    @Test(.enabled(if: isRoot, "needs CAP_NET_RAW: run as root"))
    func loginDuringTheCaptureIsFound() throws {
        let port = try LoopbackFTP.serveOnce()
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let written = folder.appendingPathComponent("sample.pcapng").path
        let vigil = try RunningVigil([
            "capture", "--interface", "lo", "--filter", "tcp port \(port)", "--duration", "4", "--format", "json",
            "--write", written, "--fail-on", "none",
        ])
        #expect(vigil.waitForStderr("listening on lo", seconds: 10), "\(vigil.stderr)")
        try LoopbackFTP.login(port: port, user: "looper", password: "live-wire-42")
        let result = vigil.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let json = try #require(try JSONSerialization.jsonObject(with: Data(result.stdout.utf8)) as? [String: Any])
        let findings = try #require(json["findings"] as? [[String: Any]])
        let credential = try #require(findings.first?["credential"] as? [String: Any])
        #expect(credential["username"] as? String == "looper")
        #expect(credential["server"] as? String == "127.0.0.1:\(port)")
        #expect(credential["outcome"] as? String == "success (230)")
        #expect(!result.stdout.contains("live-wire-42"))
        let input = try #require((json["inputs"] as? [[String: Any]])?.first)
        #expect(input["kind"] as? String == "live")
        let sample = try #require((input["samples"] as? [[String: Any]])?.first)
        #expect((sample["packets"] as? Int ?? 0) >= 8)
        // What was written reads back as a capture with the same login.
        let audit = try VigilBinary.run(["audit", written, "--format", "json", "--fail-on", "none"])
        #expect(audit.status == 0)
        #expect(audit.stdout.contains("\"username\": \"looper\""))
    }

    @Test(.enabled(if: isRoot, "needs CAP_NET_RAW: run as root"))
    func interruptEndsTheSampleCleanly() throws {
        let vigil = try RunningVigil(["capture", "--interface", "lo", "--filter", "tcp port 9", "--fail-on", "none"])
        #expect(vigil.waitForStderr("listening on lo", seconds: 10))
        vigil.signal(SIGINT)
        let result = vigil.finish()
        #expect(result.status == 0)
        #expect(result.stdout.contains("lo (live)"))
        #expect(result.stdout.contains("sample 1:"))
    }

    /// Started as root, the capture becomes `nobody` once the interface is open (checked in the
    /// kernel's view of the running process), and still writes its report into a folder only
    /// root may enter: the files were opened before the drop.
    @Test(.enabled(if: isRoot, "dropping root needs root"))
    func rootIsDroppedOnceTheInterfaceIsOpen() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let closed = folder.appendingPathComponent("root-only")
        try FileManager.default.createDirectory(at: closed, withIntermediateDirectories: false)
        chmod(closed.path, 0o700)
        let reports = closed.appendingPathComponent("reports").path
        let vigil = try RunningVigil([
            "capture", "--interface", "lo", "--duration", "3", "--output-dir", reports, "--fail-on", "none",
        ])
        #expect(vigil.waitForStderr("running as nobody (uid 65534, gid 65534) from here on", seconds: 10))
        let status = try String(contentsOfFile: "/proc/\(vigil.pid)/status", encoding: .utf8)
        #expect(status.contains("Uid:\t65534\t65534\t65534\t65534"), "\(status)")
        #expect(status.contains("Gid:\t65534\t65534\t65534\t65534"), "\(status)")
        #expect(status.contains("Groups:\t65534 "), "\(status)")
        let result = vigil.finish()
        #expect(result.status == 0, "\(result.stderr)")
        let json = try String(contentsOfFile: reports + "/report.json", encoding: .utf8)
        #expect(json.contains("\"lo (live)\""))
    }

    @Test(.enabled(if: isRoot, "dropping root needs root"))
    func anUnknownUserStopsTheCaptureBeforeAnyPacket() throws {
        let result = try VigilBinary.run(["capture", "--interface", "lo", "--duration", "1", "--user", "nosuchuser"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("no user named 'nosuchuser' to run as"))
        #expect(!result.stdout.contains("sample 1:"))
    }

    @Test(.enabled(if: !isRoot, "running as root: the privilege error cannot happen"))
    func withoutPrivilegeTheMissingCapabilityIsNamed() throws {
        let result = try VigilBinary.run(["capture", "--interface", "lo", "--duration", "1"])
        #expect(result.status == 2)
        #expect(result.stderr.contains("CAP_NET_RAW"))
    }

    @Test func badInterfaceAndFilterAreClearErrors() throws {
        let noSuch = try VigilBinary.run(["capture", "--interface", "nosuch0", "--duration", "1"])
        #expect(noSuch.status == 2)
        #expect(noSuch.stderr.contains("capture on nosuch0"))
        if Self.isRoot {
            let badFilter = try VigilBinary.run(["capture", "--interface", "lo", "--filter", "tcp port banana"])
            #expect(badFilter.status == 2)
            #expect(badFilter.stderr.contains("bad filter 'tcp port banana'"))
        }
        let badSamples = try VigilBinary.run(["capture", "--interface", "lo", "--samples", "3"])
        #expect(badSamples.status == 2)
        #expect(badSamples.stderr.contains("--samples needs --every"))
    }
}
