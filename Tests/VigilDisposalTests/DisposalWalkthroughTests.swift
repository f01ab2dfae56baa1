import Foundation
import Testing
import VigilTestSupport

/// The README's disposal walkthrough, run as written on a loop device (the drive's two
/// site-specific values, `DISK` and `DRIVE`, set to it): it must end in a released asset and a
/// ledger that verifies. It needs root, `losetup` and `nwipe` (`make deps` installs nwipe).
@Suite("The README's disposal walkthrough", .serialized)
struct DisposalWalkthroughTests {
    /// The first `sh` block after the walkthrough's heading.
    static func walkthrough() throws -> String {
        let readme = try String(contentsOf: TestPaths.root.appendingPathComponent("README.md"), encoding: .utf8)
        let heading = try #require(readme.range(of: "## The disposal: from a wiped drive to a released asset"))
        let rest = readme[heading.upperBound...]
        let open = try #require(rest.range(of: "```sh\n"))
        let close = try #require(rest.range(of: "\n```", range: open.upperBound..<rest.endIndex))
        return String(rest[open.upperBound..<close.lowerBound])
    }

    @Test func theWalkthroughRunsAsWritten() throws {
        let script = try Self.walkthrough()
        #expect(script.contains("\nDISK=/dev/sdb\n") && script.contains("\nDRIVE=S4EWNX0R123456\n"))
        guard getuid() == 0, let losetup = Command.find("losetup"), Command.find("nwipe") != nil else {
            print("skipped: the walkthrough needs root, losetup and nwipe")
            return
        }
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A drive that held data.
        let image = folder.appendingPathComponent("ssd.img")
        var generator = SystemRandomNumberGenerator()
        try Data((0..<(16 << 20)).map { _ in UInt8.random(in: 0...255, using: &generator) }).write(to: image)
        let attached = try Command.run(losetup, ["--find", "--show", image.path])
        guard attached.status == 0 else {
            print("skipped: losetup could not attach a loop device: \(attached.stderr)")
            return
        }
        let device = attached.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Command.run(losetup, ["--detach", device]) }
        let local =
            script
            .replacingOccurrences(of: "\nDISK=/dev/sdb\n", with: "\nDISK=\(device)\n")
            .replacingOccurrences(of: "\nDRIVE=S4EWNX0R123456\n", with: "\nDRIVE=\(device)\n")
        let bash = try #require(Command.find("bash"))
        let path =
            VigilBinary.url.deletingLastPathComponent().path + ":"
            + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin")
        let run = try Command.run(
            bash, ["-euo", "pipefail", "-c", local],
            environment: [
                "PATH": path, "HOME": folder.path, "XDG_DATA_HOME": folder.appendingPathComponent("data").path,
            ],
            in: folder)
        #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
        let released = "RELEASED: LAP-0042, 1 certificate(s), approved by Ann Lee; ledger entry 4"
        #expect(run.stdout.contains(released))
        let readme = try String(contentsOf: TestPaths.root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(released), "the README shows what step 5 prints")
        #expect(run.stdout.contains("ledger intact: 4 entries"))
        #expect(run.stdout.contains("it holds the release(s) of the receipt(s)"))
        #expect(FileManager.default.fileExists(atPath: folder.appendingPathComponent("LAP-0042-sdb.html").path))
    }
}
