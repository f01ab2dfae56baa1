import ArgumentParser
import Foundation
import VigilCore
import VigilCrypto
import VigilDisposal
import VigilReport

#if canImport(Glibc)
    import Glibc
#endif

/// `vigil wipe verify TARGET`
struct WipeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wipe",
        abstract: "Verify that a drive or image was sanitized (Vigil verifies wipes; it does not wipe).",
        subcommands: [Verify.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Read a block device or image back and check it holds only the expected content.",
            discussion: """
                Exit codes: 0 the medium holds what was expected; 1 it does not (or a read failed); \
                2 usage or input error.
                """)

        enum Format: String, ExpressibleByArgument { case text, json }

        @Argument(help: "A block device (/dev/sdX, /dev/nvmeXnY, /dev/loopN) or an image file.")
        var target: String

        @Option(name: .long, help: "zero, ones, byte:HH, pattern:HEX or random (the weaker, statistical check).")
        var expect: String

        @Flag(name: .long, help: "Read every byte.")
        var full = false

        @Option(
            name: .long,
            help:
                "Read a NIST SP 800-88 representative sample: PERCENT of each of 1,000+ subsections, plus the first and last MiB (default 10)."
        )
        var sample: Double?

        @Option(name: .long, help: "The sample's seed (default: a random one, reported), to re-read the same sample.")
        var seed: UInt64?

        @Flag(name: .customLong("fail-fast"), help: "Stop at the first difference or read error.")
        var failFast = false

        @Option(name: .long, help: "text (default) or json.")
        var format: Format = .text

        @Option(name: .long, help: "Write the result to this file instead of standard output.")
        var output: String?

        @Flag(name: .long, help: "No progress bar.")
        var quiet = false

        @Option(
            name: .long,
            help: "Certificate: write CERT.json (and its signature CERT.json.p7s) when the verification passes.")
        var out: String?

        @Option(name: .long, help: "Certificate: the asset's tag (NIST's media property number).")
        var asset: String?

        @Option(
            name: .long,
            help: "Certificate: your name as your certificate states it (checked; the certificate's name is written).")
        var technician: String?

        @Option(name: .long, help: "Certificate: the organisation.")
        var organisation: String?

        @Option(name: .long, help: "Certificate: clear, purge or destroy (NIST SP 800-88).")
        var category = "clear"

        @Option(name: .long, help: "Certificate: how it was sanitized (e.g. '1 pass of zeros').")
        var method: String?

        @Option(name: .long, help: "Certificate: the tool and its version (e.g. 'nwipe 0.33').")
        var tool: String?

        @Option(
            name: .customLong("media-type"), help: "Certificate: hdd, ssd, nvme, usb, ... (default: from the device).")
        var mediaType: String?

        @Option(name: .long, help: "Certificate: where the medium goes (reuse, recycling, destruction, ...).")
        var destination: String?

        @Option(name: .long, help: "Certificate: the computer or system it came from.")
        var source: String?

        @Option(name: .long, help: "Certificate: your private key (PEM, mode 0600, yours).")
        var key: String?

        @Option(name: .long, help: "Certificate: your certificate, with the technician role (vigil keys issue).")
        var cert: String?

        @Option(name: .long, help: "Certificate: the organisation's CA, needed once to pin it in a new ledger.")
        var ca: String?

        @Option(
            name: .long,
            help: "The ledger the certificate is appended to (default: ~/.local/share/vigil/ledger.sqlite).")
        var store: String?

        @Option(
            name: .customLong("nwipe-log"),
            help: "Certificate: nwipe's log of this wipe (--logfile), imported and checked.")
        var nwipeLog: String?

        @Option(
            name: .customLong("nwipe-max-age"),
            help: "Certificate: how many hours before the verification the nwipe run may have ended (default 72).")
        var nwipeMaxAge: Int = 72

        @Option(
            name: .customLong("tsa-url"),
            help:
                "Certificate: an RFC 3161 time-stamping authority; its token over the signature is written to CERT.json.p7s.tsr."
        )
        var tsaURL: String?

        func run() throws {
            guard let expectation = ExpectedContent(expect) else {
                throw ValidationError("--expect: '\(expect)' is none of zero, ones, byte:HH, pattern:HEX, random")
            }
            if full && sample != nil { throw ValidationError("--full and --sample exclude each other") }
            if let sample, !(sample > 0 && sample <= 100) {
                throw ValidationError("--sample takes a percentage, above 0 up to 100")
            }
            let scope: VerificationScope =
                full ? .full : .sample(percent: sample ?? 10, seed: seed ?? UInt64.random(in: 1...UInt64.max))
            // Everything that would stop the certificate is checked before the medium is read.
            var certification: WipeCertification?
            if let out {
                guard let key, let cert else {
                    throw ValidationError("--out needs --key and --cert to sign the certificate")
                }
                guard asset != nil, (method != nil && tool != nil) || nwipeLog != nil else {
                    throw ValidationError("--out needs --asset, and --method and --tool (or --nwipe-log)")
                }
                guard SanitizationCertificate.categories.contains(category) else {
                    throw ValidationError("--category takes clear, purge or destroy")
                }
                guard (1...8760).contains(nwipeMaxAge) else {
                    throw ValidationError("--nwipe-max-age takes 1 to 8760 hours")
                }
                certification = try WipeCertification(
                    key: key, certificate: cert, technician: technician, ledgerPath: store ?? Ledger.defaultPath,
                    authorityPath: ca, toolLogPath: nwipeLog, output: out)
            }
            let medium = try WipeTarget(path: target)
            try certification?.check(
                medium: medium.identity, expectation: expectation, method: method, category: category,
                toolLogPath: nwipeLog, maxAge: Int64(nwipeMaxAge) * 3600)
            let showProgress = !quiet && isatty(2) == 1
            let bar = ProgressBar()
            let result = WipeVerifier(expectation: expectation, scope: scope, failFast: failFast).verify(medium) {
                done, total in
                if showProgress { bar.draw(done: done, total: total) }
            }
            if showProgress { bar.finish() }
            let text = format == .json ? VerificationReport.json(result) : VerificationReport.text(result)
            try Output.write(text, to: output)
            if !result.passed {
                if out != nil { Terminal.error("no certificate written: the verification failed") }
                throw ExitCode(1)
            }
            if let out, let certification {
                let signer = certification.signer
                var details = SanitizationDetails(
                    assetTag: asset ?? "", technician: signer.identity,
                    organisation: organisation ?? signer.certificate.organisation ?? signer.certificate.subject,
                    category: category, method: method ?? certification.toolLogMethod ?? "",
                    tool: tool ?? certification.toolLog?.version ?? "", mediaType: mediaType, destination: destination,
                    source: source)
                details.toolLog = certification.toolLog
                details.toolLogMaxAge = Int64(nwipeMaxAge) * 3600
                let entry = try certification.certify(
                    result, details: details,
                    timestamp: tsaURL.map { url in { try TimestampClient.stamp($0, url: url) } })
                Terminal.note("ledger entry \(entry.id) appended to \(certification.ledger.path)")
                Terminal.note(
                    "certificate written: \(out) and \(out).p7s (check: openssl cms -verify -binary -inform DER -content \(out) -in \(out).p7s -CAfile CA.pem)"
                )
            }
        }
    }
}

/// A one-line progress bar on standard error: bytes, rate, time left.
final class ProgressBar {
    private let start = ContinuousClock.now

    func draw(done: Int64, total: Int64) {
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let fraction = total > 0 ? Double(done) / Double(total) : 1
        let rate = seconds > 0 ? Double(done) / seconds : 0
        let left = rate > 0 ? Double(total - done) / rate : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let line =
            "\r[" + String(repeating: "#", count: filled) + String(repeating: " ", count: width - filled) + "] "
            + "\(Int(fraction * 100))%  \(ByteCount.text(done)) of \(ByteCount.text(total))  "
            + "\(ByteCount.text(Int64(rate)))/s  \(Int(left.rounded())) s left  "
        FileHandleWriter.standardError.write(line)
    }

    func finish() { FileHandleWriter.standardError.write("\n") }
}
