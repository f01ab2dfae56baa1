import ArgumentParser
import Foundation
import VigilCore
import VigilCrypto
import VigilDisposal

/// `vigil keys init|issue`: the organisation's CA, and each person's key and certificate.
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "The organisation's CA, and the keys of the people who sign.",
        subcommands: [Initialise.self, Issue.self])

    struct Initialise: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init",
            abstract: "Create the organisation's CA: ca.pem and ca.key (ECDSA P-256, 0600). Keep the folder offline.")

        @Option(name: .long, help: "The folder to write them to (created 0700 if missing).")
        var dir = "."

        @Option(name: .long, help: "The organisation named in the certificates.")
        var organisation = "Vigil"

        @Option(
            name: .long,
            help:
                "Validity of the CA in days (\(OrganisationCA.caDays.lowerBound) to \(OrganisationCA.caDays.upperBound))."
        )
        var days = 3650

        func run() throws {
            let ca = try OrganisationCA.create(folder: dir, organisation: organisation, days: days)
            print("wrote \(dir)/ca.pem and \(dir)/ca.key (0600): the CA of \(organisation)")
            print("CA certificate SHA-256 fingerprint: \(try ca.certificate.fingerprint())")
            print(
                "issue each person their key: vigil keys issue --ca-dir \(dir) --name NAME --role technician|approver --out FOLDER"
            )
            print("keep ca.key offline; give ca.pem to whoever must check certificates")
        }
    }

    struct Issue: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Issue a person a key and a certificate from the organisation's CA, with their roles.",
            discussion: """
                Writes signer.key (0600), signer.pem and a copy of ca.pem into --out. The roles are in \
                the certificate (extended key usages): a technician signs certificates of sanitization, \
                an approver releases assets; one person may hold both.
                """)

        @Option(name: .customLong("ca-dir"), help: "The CA's folder (ca.pem, ca.key), from vigil keys init.")
        var caDir: String

        @Option(name: .long, help: "The person's name, as their certificate will show it.")
        var name: String

        @Option(name: .long, help: "technician or approver; repeat for both.")
        var role: [String]

        @Option(name: .long, help: "The folder to write the person's key and certificate to (created 0700).")
        var out: String

        @Option(
            name: .long,
            help:
                "Validity in days (\(OrganisationCA.personDays.lowerBound) to \(OrganisationCA.personDays.upperBound), and not past the CA's)."
        )
        var days = 825

        func run() throws {
            let roles = try role.map { text in
                guard let role = PersonRole(rawValue: text.lowercased()) else {
                    throw ValidationError("--role takes technician or approver, not '\(text)'")
                }
                return role
            }
            guard !roles.isEmpty else { throw ValidationError("--role: technician, approver, or both") }
            let issued = try OrganisationCA(folder: caDir).issue(name: name, roles: roles, days: days, output: out)
            let identity = issued.identity
            print(
                "wrote \(out)/signer.key (0600) and \(out)/signer.pem: \(identity.displayName), \(identity.roles.map(\.rawValue).joined(separator: " and ")), valid until \(Timestamp(seconds: issued.certificate.notAfter).iso8601)"
            )
            print("key SHA-256: \(identity.keySHA256)")
            for other in issued.lookalikes {
                Terminal.warn(
                    "\(identity.displayName) looks like \(other.label), issued earlier with another key: make sure they are two people"
                )
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

        @Option(name: .long, help: "The CA certificate(s) to trust (PEM); default: the CA the ledger pins.")
        var ca: String?

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
            // The ledger: the certificate must be one of its entries, on an intact chain; its
            // pinned CA is the one to trust when none is named.
            let ledgerPath = store ?? Ledger.defaultPath
            var history: LedgerHistory?
            var entry: Ledger.Entry?
            let named = try ca.map { try PEMFile.certificates(path: $0) } ?? []
            if FileManager.default.fileExists(atPath: ledgerPath) {
                let walked = LedgerHistory(
                    entries: try Ledger(path: ledgerPath, access: .read).entries(), trusted: named)
                history = walked
                entry = walked.entries.first { $0.document == Array(content) }
            } else if store != nil {
                throw VigilError(.unreadable, path: ledgerPath, reason: "no ledger here")
            }
            let authorities = named.isEmpty ? entry.flatMap { history?.authorityOf[$0.id] }.map { [$0] } ?? [] : named
            guard !authorities.isEmpty else {
                throw VigilError(
                    .usage, path: certificate, reason: "no CA to check it against",
                    hint: "pass --ca CA.pem, or --store with the ledger that holds it")
            }
            // A timestamp token beside the signature: checked first, and the signer's chain is
            // then checked at the time it vouches for (the signer certificate may have expired since).
            var stampedAt: Int64?
            var timestampLine = "timestamp:   none"
            if let token = FileManager.default.contents(atPath: signaturePath + ".tsr") {
                if let tsaCA {
                    do {
                        stampedAt = try RFC3161.verify(
                            Array(token), data: Array(signed), authorities: PEMFile.certificates(path: tsaCA))
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
                    Array(signed), content: Array(content), authorities: authorities,
                    at: stampedAt ?? entry.flatMap { Timestamp(iso8601: $0.created)?.seconds })
            } catch {
                print("INVALID: \(certificate): \(error)")
                throw ExitCode(1)
            }
            guard let document = CanonicalJSON.parse(Array(content)), document.bytes == Array(content) else {
                print("INVALID: \(certificate): signed, but not a canonical certificate document")
                throw ExitCode(1)
            }
            var ledgerLine = "ledger:      not checked (no ledger at \(ledgerPath))"
            if let history {
                guard let entry else {
                    print("INVALID: \(certificate): signed, but not in the ledger \(ledgerPath)")
                    throw ExitCode(1)
                }
                guard history.problems.isEmpty else {
                    print(
                        "INVALID: \(certificate): ledger entry \(entry.id), but the ledger is tampered: \(history.problems[0])"
                    )
                    throw ExitCode(1)
                }
                ledgerLine = "ledger:      entry \(entry.id) of \(ledgerPath), chain intact"
            }
            print("VALID: \(certificate)")
            print("signed by:   \(PersonName.display(verification.signers.joined(separator: "; ")))")
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
                    let authorities = try ca.map { try PEMFile.certificates(path: $0) } ?? []
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
