import ArgumentParser
import Foundation
import VigilCore
import VigilCrypto
import VigilDisposal

#if canImport(Glibc)
    import Glibc
#endif

/// `vigil keys init`: a local certificate authority and a signer for certificates of sanitization.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "Create the keys that sign certificates of sanitization.",
        subcommands: [Initialise.self])

    struct Initialise: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract:
                "Write ca.pem and ca.key (a local CA) and signer.pem and signer.key (ECDSA P-256, for CMS signatures); keys are 0600."
        )

        @Option(name: .long, help: "The folder to write them to (created 0700 if missing).")
        var dir = "."

        @Option(name: .long, help: "The organisation named in the certificates.")
        var organisation = "Vigil"

        @Option(name: .long, help: "The signer's name (a person or a role).")
        var signer = "Disposal signer"

        @Option(name: .long, help: "Validity of the signer certificate in days (the CA gets ten times as long).")
        var days = 825

        func run() throws {
            if !FileManager.default.fileExists(atPath: dir) {
                try FileManager.default.createDirectory(
                    atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            let names = ["ca.pem", "ca.key", "signer.pem", "signer.key"]
            for name in names where FileManager.default.fileExists(atPath: dir + "/" + name) {
                throw VigilError(
                    .usage, path: dir + "/" + name, reason: "already exists: keys are never overwritten",
                    hint: "choose another --dir or move the old keys away")
            }
            let caKey = try PrivateKey.generateP256()
            let ca = try Certificate.issue(
                commonName: "\(organisation) disposal CA", organisation: organisation, key: caKey, role: .authority,
                days: days * 10)
            let signerKey = try PrivateKey.generateP256()
            let signerCertificate = try Certificate.issue(
                commonName: signer, organisation: organisation, key: signerKey, role: .signer, days: days,
                issuer: (ca, caKey))
            try write(caKey.pem(), to: dir + "/ca.key", mode: 0o600)
            try write(signerKey.pem(), to: dir + "/signer.key", mode: 0o600)
            try write(ca.pem(), to: dir + "/ca.pem", mode: 0o644)
            try write(signerCertificate.pem(), to: dir + "/signer.pem", mode: 0o644)
            print("wrote \(dir)/ca.pem, \(dir)/ca.key, \(dir)/signer.pem, \(dir)/signer.key (keys 0600)")
            print("signer certificate SHA-256 fingerprint: \(try signerCertificate.fingerprint())")
            print("keep ca.key offline; give ca.pem to whoever must check certificates")
        }

        /// Creates `path` with `mode` from the start (never readable by others, even briefly).
        private func write(_ bytes: [UInt8], to path: String, mode: mode_t) throws {
            let fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode)
            guard fd >= 0 else { throw VigilError(.output, path: path, reason: String(cString: strerror(errno))) }
            defer { close(fd) }
            _ = fchmod(fd, mode)
            let written = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            guard written == bytes.count, fsync(fd) == 0 else {
                throw VigilError(.output, path: path, reason: String(cString: strerror(errno)))
            }
        }
    }
}

/// `vigil cert verify|show CERT.json`
struct CertCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cert", abstract: "Check or show a certificate of sanitization.",
        subcommands: [Verify.self, Show.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check a certificate's CMS signature (CERT.json.p7s beside it) and its chain to the CA.",
            discussion: "Exit codes: 0 valid; 1 the signature or chain does not verify; 2 usage or input error.")

        @Argument(help: "The certificate (CERT.json); its signature is CERT.json.p7s.")
        var certificate: String

        @Option(name: .long, help: "The CA certificate(s) to trust (PEM).")
        var ca: String

        @Option(name: .long, help: "The signature, if not CERT.json.p7s.")
        var signature: String?

        @Option(name: .customLong("tsa-ca"), help: "The CA of the time-stamping authority, to check CERT.json.p7s.tsr.")
        var tsaCA: String?

        @Option(
            name: .long,
            help: "The ledger to find the certificate in (default: ~/.local/share/vigil/ledger.sqlite, if present).")
        var store: String?

        func run() throws {
            let signaturePath = signature ?? certificate + ".p7s"
            guard let content = FileManager.default.contents(atPath: certificate) else {
                throw VigilError(.unreadable, path: certificate, reason: "cannot read the certificate")
            }
            guard let signed = FileManager.default.contents(atPath: signaturePath) else {
                throw VigilError(.unreadable, path: signaturePath, reason: "cannot read the signature")
            }
            let authorities = try SanitizationCertificate.certificates(path: ca)
            // A timestamp token beside the signature: checked first, and the signer's chain is
            // then checked at the time it vouches for (the signer certificate may have expired since).
            var stampedAt: Int64?
            var timestampLine = "timestamp:   none"
            if let token = FileManager.default.contents(atPath: signaturePath + ".tsr") {
                if let tsaCA {
                    do {
                        stampedAt = try RFC3161.verify(
                            Array(token), data: Array(signed),
                            authorities: SanitizationCertificate.certificates(path: tsaCA))
                        timestampLine =
                            "timestamp:   \(Timestamp(seconds: stampedAt!).iso8601) (RFC 3161, the TSA's token verifies)"
                    } catch {
                        print("INVALID: \(signaturePath).tsr: the timestamp does not verify: \(error)")
                        throw ExitCode(1)
                    }
                } else {
                    timestampLine = "timestamp:   present, not checked (pass --tsa-ca)"
                }
            }
            let verification: CMS.Verification
            do {
                verification = try CMS.verify(
                    Array(signed), content: Array(content), authorities: authorities, at: stampedAt)
            } catch {
                print("INVALID: \(certificate): \(error)")
                throw ExitCode(1)
            }
            guard let document = CanonicalJSON.parse(Array(content)), document.bytes == Array(content) else {
                print("INVALID: \(certificate): signed, but not a canonical certificate document")
                throw ExitCode(1)
            }
            // The ledger: the certificate must be one of its entries, on an intact chain.
            let ledgerPath = store ?? Ledger.defaultPath
            var ledgerLine = "ledger:      not checked (no ledger at \(ledgerPath))"
            if FileManager.default.fileExists(atPath: ledgerPath) {
                let ledger = try Ledger(path: ledgerPath)
                guard let entry = try ledger.entries().first(where: { $0.document == Array(content) }) else {
                    print("INVALID: \(certificate): signed, but not in the ledger \(ledgerPath)")
                    throw ExitCode(1)
                }
                let problems = try ledger.verify(authorities: authorities)
                guard problems.isEmpty else {
                    print(
                        "INVALID: \(certificate): ledger entry \(entry.id), but the ledger is tampered: \(problems[0])")
                    throw ExitCode(1)
                }
                ledgerLine = "ledger:      entry \(entry.id) of \(ledgerPath), chain intact"
            } else if store != nil {
                throw VigilError(.unreadable, path: ledgerPath, reason: "no ledger here")
            }
            print("VALID: \(certificate)")
            print("signed by:   \(verification.signers.joined(separator: "; "))")
            if let fingerprint = verification.signerFingerprint { print("signer SHA-256: \(fingerprint)") }
            print(ledgerLine)
            print(timestampLine)
            print(CertificateText.render(document))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a certificate for a person (text, or HTML to print).")

        enum Format: String, ExpressibleByArgument { case text, html }

        @Argument(help: "The certificate (CERT.json).")
        var certificate: String

        @Option(name: .long, help: "text (default) or html (one self-contained page, prints on A4 and Letter).")
        var format: Format = .text

        @Option(name: .long, help: "The CA to check the signature against in the page's summary.")
        var ca: String?

        @Option(name: .long, help: "Write to this file instead of standard output.")
        var output: String?

        func run() throws {
            guard let content = FileManager.default.contents(atPath: certificate),
                let document = CanonicalJSON.parse(Array(content))
            else { throw VigilError(.corrupt, path: certificate, reason: "not a certificate document (JSON)") }
            switch format {
            case .text:
                try Output.write(CertificateText.render(document) + "\n", to: output)
            case .html:
                let signature = FileManager.default.contents(atPath: certificate + ".p7s").map(Array.init)
                var status = "no signature file beside it (\(certificate).p7s)"
                var signer: String?
                if let signature {
                    let authorities = try ca.map { try SanitizationCertificate.certificates(path: $0) } ?? []
                    if let verified = try? CMS.verify(signature, content: Array(content), authorities: authorities) {
                        signer = verified.signers.joined(separator: "; ")
                        status =
                            authorities.isEmpty
                            ? "signature valid (chain not checked: pass --ca)" : "signature valid, chained to the CA"
                    } else {
                        status = "SIGNATURE INVALID"
                    }
                }
                try Output.write(
                    CertificateHTML.render(
                        document, status: status, signer: signer,
                        signatureSHA256: signature.flatMap { try? SHA256.hex($0) }), to: output)
            }
        }
    }
}

/// A certificate of sanitization as text.
enum CertificateText {
    static func render(_ document: CanonicalJSON) -> String {
        func value(_ path: String...) -> String { document.text(at: path, missing: "-") }
        var lines = [
            "Certificate of sanitization \(value("id")), issued \(value("issued"))",
            "organisation:  \(value("organisation"))",
            "technician:    \(value("person", "name"))",
            "media:         \(value("media", "property_number")) — \(value("media", "type")), \(value("media", "manufacturer")) \(value("media", "model")), serial \(value("media", "serial")), \(value("media", "size_bytes")) bytes",
            "sanitization:  \(value("sanitization", "category")): \(value("sanitization", "method")) with \(value("sanitization", "tool"))",
            "verification:  \(value("verification", "method")) read by \(value("verification", "tool")), expected \(value("verification", "expected")): \(value("verification", "result")), \(value("verification", "bytes_verified")) bytes (\(value("verification", "coverage_ppm")) ppm of the medium), \(value("verification", "finished"))",
        ]
        if value("verification", "method") == "sample" {
            lines.append(
                "sample:        seed \(value("verification", "seed")), \(value("verification", "percent_per_subsection"))% of \(value("verification", "subsections")) subsections"
            )
        }
        lines.append("destination:   \(value("destination"))")
        return lines.joined(separator: "\n")
    }
}
