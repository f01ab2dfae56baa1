import Foundation
import Testing
import VigilTestSupport

#if canImport(Glibc)
    import Glibc
#endif

/// Secrets found are evidence, not output: with known secrets seeded in captures and logs, none
/// may appear in any report format, warning, error message or crash report without
/// `--reveal-secrets`, even when the input breaks off in the middle.
@Suite("secrets stay masked", .serialized, .timeLimit(.minutes(2)))
struct SecretLeakTests {
    /// A log whose failed logins name passwords as user names (`leakedPassword`), then a line
    /// cut off in the middle.
    static let logSecrets = ["Tr0ub4dor&3x", "Winter2025!x", "correct-h0rse-Staple"]
    static var log: String {
        logSecrets.enumerated().map { index, secret in
            "Nov 24 10:00:0\(index) srv sshd[1\(index)]: Failed password for invalid user \(secret) from "
                + "203.0.113.5 port 40\(index)2 ssh2\n"
        }.joined()
    }

    static func everything(in folder: URL) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
        return try names.map { try String(contentsOf: folder.appendingPathComponent($0), encoding: .utf8) }
            .joined(separator: "\n")
    }

    /// Every capture fixture cut in two places (mid-file and inside its last record) and a log
    /// compressed then cut: the reports in every format, stdout and stderr hold no secret, and the
    /// warnings about the cuts are there.
    @Test func truncatedInputsLeakNothing() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let inputs = folder.appendingPathComponent("inputs")
        try FileManager.default.createDirectory(at: inputs, withIntermediateDirectories: true)
        let fixtures = TestPaths.root.appendingPathComponent("Tests/VigilCaptureTests/Fixtures")
        for name in try FileManager.default.contentsOfDirectory(atPath: fixtures.path) where name.hasSuffix(".pcap") {
            let bytes = try Data(contentsOf: fixtures.appendingPathComponent(name))
            guard bytes.count > 100 else { continue }
            try bytes.prefix(bytes.count * 6 / 10).write(to: inputs.appendingPathComponent("cut-" + name))
            try bytes.prefix(bytes.count - 5).write(to: inputs.appendingPathComponent("end-" + name))
        }
        let plain = inputs.appendingPathComponent("auth.log")
        try Data(Self.log.utf8).write(to: plain)
        let zipped = try Command.run(try #require(Command.find("gzip")), ["-9", "-n", "-k", plain.path])
        #expect(zipped.status == 0)
        let gz = try Data(contentsOf: URL(fileURLWithPath: plain.path + ".gz"))
        try gz.prefix(gz.count - 12).write(to: URL(fileURLWithPath: plain.path + ".gz"))
        try FileManager.default.moveItem(
            at: URL(fileURLWithPath: plain.path + ".gz"), to: inputs.appendingPathComponent("auth.log.1.gz"))

        let reports = folder.appendingPathComponent("reports")
        let result = try VigilBinary.run(["audit", inputs.path, "--output-dir", reports.path, "--fail-on", "none"])
        // Exit 2: two of the fixtures are corrupt on purpose, and are named.
        #expect(result.status == 2)
        #expect(result.stderr.contains("corrupt record after packet"))
        #expect(result.stderr.contains("truncated gzip"), "the cuts are reported")
        let written = try Self.everything(in: reports)
        #expect(written.contains("credential"), "the cut inputs still hold credentials")
        for secret in CLITests.fixtureSecrets + Self.logSecrets {
            #expect(!written.contains(secret), "\(secret) in a report")
            #expect(!result.stdout.contains(secret), "\(secret) on stdout")
            #expect(!result.stderr.contains(secret), "\(secret) in a warning or error")
        }
        // The same inputs with --reveal-secrets: the secrets were found, so their absence above
        // is masking, not blindness.
        let revealed = try VigilBinary.run([
            "audit", inputs.path, "--format", "json", "--fail-on", "none", "--reveal-secrets",
        ])
        for secret in ["hunter2", "Tr0ub4dor&3x", "Winter2025!x"] {
            #expect(revealed.stdout.contains(secret), "\(secret) not found at all")
        }
    }

    /// A crash while secrets are in memory: the crash report names frames, never data, and
    /// Vigil has turned off core files (a core would hold every secret).
    @Test func aCrashReportHoldsNoSecretAndNoCoreIsWritten() throws {
        let input = Pipe()
        let vigil = try RunningVigil(["audit", "-", "--fail-on", "none"], input: input, crashSignals: true)
        // More than a pipe holds, and the input left open: the analysis is under way, waiting for more.
        for _ in 0..<400 { try input.fileHandleForWriting.write(contentsOf: Data(Self.log.utf8)) }
        Thread.sleep(forTimeInterval: 0.5)
        let limits = try String(contentsOfFile: "/proc/\(vigil.pid)/limits", encoding: .utf8)
        let core = try #require(limits.split(separator: "\n").first { $0.hasPrefix("Max core file size") })
        #expect(
            core.split(separator: " ", omittingEmptySubsequences: true).dropFirst(4).prefix(2) == ["0", "0"], "\(core)")
        vigil.signal(SIGABRT)
        Thread.sleep(forTimeInterval: 0.5)
        try input.fileHandleForWriting.close()
        let result = vigil.finish()
        // Swift's backtracer reports the crash (then, for a signal sent from outside, lets the
        // process go on); without it the process dies of the signal.
        #expect(result.stderr.contains("Program crashed") || result.status == SIGABRT, "\(result.stderr)")
        for secret in Self.logSecrets {
            #expect(!result.stderr.contains(secret), "\(secret) in the crash report")
            #expect(!result.stdout.contains(secret), "\(secret) on stdout")
        }
    }
}
