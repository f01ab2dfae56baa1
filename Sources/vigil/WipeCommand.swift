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
            // Everything that would stop the certificate is checked before the medium is read
            // for minutes: the signer and the ledger's CA, the files, nwipe's log of this target.
            var certifying: (signer: Signer, ledger: Ledger, authority: Certificate?)?
            var toolLog: NwipeLog?
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
                let signer = try Signer(key: key, certificate: cert)
                if let technician, PersonName.skeleton(technician) != PersonName.skeleton(signer.identity.name) {
                    throw VigilError(
                        .usage,
                        reason:
                            "--technician names \(PersonName.display(technician)), but the certificate is \(signer.identity.displayName)'s"
                    )
                }
                let ledger = try Ledger(path: store ?? Ledger.defaultPath)
                let given = try ca.flatMap { try PEMFile.certificates(path: $0).first }
                guard let authority = LedgerHistory(entries: try ledger.entries()).authority ?? given else {
                    throw VigilError(
                        .usage, path: ledger.path, reason: "the ledger pins no CA yet",
                        hint: "name the organisation's CA once with --ca ca.pem")
                }
                try signer.check(role: .technician, authority: authority)
                certifying = (signer, ledger, given)
                if let nwipeLog { toolLog = try NwipeLog(path: nwipeLog) }
                for path in [out, out + ".p7s"] where FileManager.default.fileExists(atPath: path) {
                    throw VigilError(.usage, path: path, reason: "already exists: certificates are never overwritten")
                }
            }
            let medium = try WipeTarget(path: target)
            if out != nil {
                if let method, let problem = MethodCheck.problem(method: method, category: category) {
                    throw VigilError(.usage, reason: "--method '\(method)': \(problem)")
                }
                if let toolLog {
                    let problems = toolLog.problems(
                        for: medium.identity, expected: expectation, verificationStart: Timestamp.now(),
                        maxAge: Int64(nwipeMaxAge) * 3600)
                    if !problems.isEmpty {
                        throw VigilError(
                            .usage, path: nwipeLog,
                            reason: "the nwipe log cannot back this certificate: " + problems.joined(separator: "; "))
                    }
                }
            }
            let showProgress = !quiet && isatty(2) == 1
            let bar = ProgressBar()
            let result = WipeVerifier(expectation: expectation, scope: scope, failFast: failFast).verify(medium) {
                done, total in
                if showProgress { bar.draw(done: done, total: total) }
            }
            if showProgress { bar.finish() }
            let text = format == .json ? WipeReport.json(result) : WipeReport.text(result)
            try Output.write(text, to: output)
            if !result.passed {
                if out != nil { Terminal.error("no certificate written: the verification failed") }
                throw ExitCode(1)
            }
            if let out, let certifying {
                let logMethod = toolLog.map { log in
                    [log.method, log.rounds.map { "\($0) round(s)" }, log.verify.map { "nwipe verify \($0)" }]
                        .compactMap { $0 }.joined(separator: ", ")
                }
                let signer = certifying.signer
                var details = SanitizationDetails(
                    assetTag: asset ?? "", technician: signer.identity,
                    organisation: organisation ?? signer.certificate.organisation ?? signer.certificate.subject,
                    category: category, method: method ?? logMethod ?? "", tool: tool ?? toolLog?.version ?? "",
                    mediaType: mediaType, destination: destination, source: source)
                details.toolLog = toolLog
                details.toolLogMaxAge = Int64(nwipeMaxAge) * 3600
                let entry = try certifying.ledger.appendCertificate(
                    asset: details.assetTag, signer: signer, authority: certifying.authority
                ) { previous in
                    let document = try SanitizationCertificate.document(
                        result: result, details: details, previousEntry: previous
                    ).bytes
                    let signature = try CMS.sign(document, certificate: signer.certificate, key: signer.key)
                    let signed = LedgerTransaction.Signed(
                        document: document, signature: signature,
                        timestamp: try tsaURL.map { try TimestampClient.stamp(signature, url: $0) })
                    try SanitizationCertificate.write(signed, to: out)
                    return signed
                }
                Terminal.note("ledger entry \(entry.id) appended to \(certifying.ledger.path)")
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
            + "\(Int(fraction * 100))%  \(WipeReport.bytes(done)) of \(WipeReport.bytes(total))  "
            + "\(WipeReport.bytes(Int64(rate)))/s  \(Int(left.rounded())) s left  "
        FileHandleWriter.standardError.write(line)
    }

    func finish() { FileHandleWriter.standardError.write("\n") }
}

/// The result of `vigil wipe verify` for a person (text) or a script (JSON).
enum WipeReport {
    static func text(_ result: VerificationResult) -> String {
        let identity = result.identity
        var out = "Vigil \(VigilVersion.current) wipe verification, \(result.finished.wholeSeconds.iso8601)\n\n"
        out += "target:      \(identity.path) (\(identity.kind), \(bytes(identity.size)), \(identity.size) bytes)\n"
        let details = [
            identity.vendor, identity.model, identity.serial.map { "serial \($0)" },
            identity.firmware.map { "firmware \($0)" },
            identity.rotational.map { $0 ? "rotational" : "solid state" },
            identity.removable == true ? "removable" : nil, identity.backingFile.map { "backed by \($0)" },
        ].compactMap { $0 }
        if !details.isEmpty { out += "device:      " + details.joined(separator: ", ") + "\n" }
        out += "expected:    \(result.expectation)"
        if result.expectation == .random {
            out +=
                " (the weaker check: no structure left, each 64 KiB block statistically random; it does not prove every byte was overwritten)"
        }
        out += "\n"
        switch result.scope {
        case .full: out += "scope:       full (every byte)\n"
        case .sample(let percent, let seed):
            out +=
                "scope:       sample of \(percent)% of each of \(result.subsections ?? 0) subsections plus the first and last MiB; "
            out += "seed \(seed); \(result.samples) ranges read\n"
        }
        let percent = (result.coverage * 10000).rounded() / 100
        out += "verified:    \(bytes(result.bytesVerified)) (\(result.bytesVerified) bytes, \(percent)% of the medium)"
        out += " in \(String(format: "%.2f", result.seconds)) s, \(bytes(Int64(result.throughput)))/s\n"
        if case .sample = result.scope {
            out += "sampling:    a single bad byte anywhere would be missed with probability "
            out += "\(String(format: "%.4f", result.missProbability)); use --full to read every byte\n"
        }
        out += "result:      " + (result.passed ? "PASS" : "FAIL") + "\n"
        if result.mismatches > 0 {
            let unit = result.expectation == .random ? "block(s) of 64 KiB" : "byte(s)"
            out += "\n\(result.mismatches) \(unit) not as expected; the first:\n"
            for failure in result.failures {
                out += "  offset \(failure.offset) (0x\(String(failure.offset, radix: 16))): found \(failure.found)"
                if let reason = failure.reason { out += " — \(reason)" }
                out += "\n"
            }
        }
        for error in result.readErrors { out += "read error at offset \(error.offset): \(error.reason)\n" }
        if result.stoppedEarly { out += "stopped at the first failure (--fail-fast)\n" }
        return out
    }

    static func json(_ result: VerificationResult) -> String {
        let identity = result.identity
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        var scope: [(String, JSONValue)] = []
        switch result.scope {
        case .full: scope = [("mode", .string("full"))]
        case .sample(let percent, let seed):
            scope = [
                ("mode", .string("sample")), ("percent", .double(percent)), ("seed", .string(String(seed))),
                ("subsections", .int(Int64(result.subsections ?? 0))), ("ranges", .int(Int64(result.samples))),
                ("miss_probability", .double(result.missProbability)),
            ]
        }
        let value = JSONValue.object([
            ("tool", .string("vigil \(VigilVersion.current)")),
            (
                "target",
                .object([
                    ("path", .string(identity.path)), ("kind", .string(identity.kind)), ("size", .int(identity.size)),
                    ("logical_block_size", .int(Int64(identity.logicalBlockSize))),
                    ("vendor", optional(identity.vendor)),
                    ("model", optional(identity.model)), ("serial", optional(identity.serial)),
                    ("firmware", optional(identity.firmware)),
                    ("rotational", identity.rotational.map(JSONValue.bool) ?? .null),
                    ("removable", identity.removable.map(JSONValue.bool) ?? .null),
                    ("backing_file", optional(identity.backingFile)),
                ])
            ),
            ("expect", .string(result.expectation.description)),
            ("scope", .object(scope)),
            ("result", .string(result.passed ? "pass" : "fail")),
            ("bytes_verified", .int(result.bytesVerified)),
            ("coverage", .double(result.coverage)),
            ("mismatches", .int(result.mismatches)),
            (
                "failures",
                .array(
                    result.failures.map {
                        .object([
                            ("offset", .int($0.offset)), ("found", .string($0.found)), ("reason", optional($0.reason)),
                        ])
                    })
            ),
            (
                "read_errors",
                .array(
                    result.readErrors.map { .object([("offset", .int($0.offset)), ("reason", .string($0.reason))]) })
            ),
            ("stopped_early", .bool(result.stoppedEarly)),
            ("started", .string(result.started.iso8601)), ("finished", .string(result.finished.iso8601)),
            ("seconds", .double(result.seconds)), ("bytes_per_second", .double(result.throughput)),
        ])
        return value.serialized(pretty: true) + "\n"
    }

    /// `4.00 GiB`, `512 KiB`, `17 B`.
    static func bytes(_ count: Int64) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var value = Double(count)
        var unit = 0
        while value >= 1024 && unit < units.count - 1 {
            value /= 1024
            unit += 1
        }
        return unit == 0 ? "\(count) B" : String(format: "%.2f", value) + " " + units[unit]
    }
}
