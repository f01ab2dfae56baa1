import ArgumentParser
import Foundation
import VigilCore
import VigilCrypto
import VigilDisposal

/// `vigil ledger list|show|verify`
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "The tamper-evident record of certificates and releases.",
        subcommands: [List.self, Show.self, Verify.self, AssetCommand.self])

    struct StoreOption: ParsableArguments {
        @Option(name: .long, help: "The ledger (default: ~/.local/share/vigil/ledger.sqlite).")
        var store: String?

        func open() throws -> Ledger {
            let path = store ?? Ledger.defaultPath
            guard FileManager.default.fileExists(atPath: path) else {
                throw VigilError(.unreadable, path: path, reason: "no ledger here yet")
            }
            return try Ledger(path: path)
        }
    }

    struct AssetCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "asset",
            abstract: "Record an asset that will leave: its drives each need a passing certificate before sign-off.")
        @Argument(help: "The asset's tag.") var tag: String
        @Option(name: .long, help: "What it is (\"ThinkPad T14, 2021\").") var description: String
        @Option(name: .long, help: "Whose it is.") var owner: String
        @Option(name: .long, help: "A drive's serial number (or device path for media without one); repeat for each.")
        var drive: [String]
        @OptionGroup var store: StoreOption

        func run() throws {
            guard !drive.isEmpty else { throw ValidationError("--drive: at least one drive") }
            let ledger = try Ledger(path: store.store ?? Ledger.defaultPath)
            try ledger.register(Ledger.Asset(tag: tag, description: description, owner: owner, drives: drive))
            print(
                "recorded \(tag): \(description), owner \(owner), \(drive.count) drive(s): \(drive.joined(separator: ", "))"
            )
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per entry: what, which asset, when, who.")
        @OptionGroup var store: StoreOption

        func run() throws {
            for entry in try store.open().entries() {
                let document = CanonicalJSON.parse(entry.document)
                let who =
                    entry.kind == "release"
                    ? "approved by \(document?["approver"]?.string ?? "?")"
                    : "by \(document?["person"]?["name"]?.string ?? "?"), \(document?["verification"]?["result"]?.string ?? "?"), \(document?["media"]?["serial"]?.string ?? document?["media"]?["path"]?.string ?? "?")"
                print("\(entry.id)\t\(entry.created)\t\(entry.kind)\t\(entry.asset)\t\(who)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One entry in full.")
        @Argument(help: "The entry's number.") var id: Int64
        @OptionGroup var store: StoreOption

        func run() throws {
            guard let entry = try store.open().entries().first(where: { $0.id == id }) else {
                throw VigilError(.usage, reason: "no ledger entry \(id)")
            }
            print("entry \(entry.id): \(entry.kind) for \(entry.asset), \(entry.created)")
            print("hash \(entry.hash), after \(entry.previous)")
            let verification = try? CMS.verify(entry.signature, content: entry.document, authorities: [])
            print("signed by \(verification?.signers.joined(separator: "; ") ?? "(signature does not verify)")")
            if let document = CanonicalJSON.parse(entry.document) {
                print(
                    entry.kind == "certificate"
                        ? CertificateText.render(document) : String(decoding: entry.document, as: UTF8.self))
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the chain: every edited, deleted, inserted or reordered entry is named.",
            discussion: "Exit codes: 0 intact; 1 a problem; 2 usage or input error.")
        @OptionGroup var store: StoreOption
        @Option(name: .long, help: "The CA the signatures must chain to (without it, each signature is checked alone).")
        var ca: String?

        func run() throws {
            let ledger = try store.open()
            let authorities = try ca.map { try SanitizationCertificate.certificates(path: $0) } ?? []
            let problems = try ledger.verify(authorities: authorities)
            let count = try ledger.entries().count
            if problems.isEmpty {
                print("ledger intact: \(count) entries, head \(try ledger.head())")
                return
            }
            for problem in problems { print("TAMPERED: \(problem)") }
            throw ExitCode(1)
        }
    }
}

/// `vigil signoff ASSET`: the release of an asset, after every drive was certified, by someone
/// who did not wipe it.
struct SignoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signoff",
        abstract:
            "Release an asset: needs a valid, passing certificate for each of its drives, and an approver who is not one of their technicians.",
        discussion:
            "Exit codes: 0 released; 1 refused (a missing or invalid certificate, the same person); 2 usage or input error."
    )

    @Argument(help: "The asset's tag.") var asset: String
    @Option(name: .long, help: "Who approves the release (must not have sanitized any of its drives).") var approver:
        String
    @Option(name: .long, help: "The approver's private key (PEM, 0600).") var key: String
    @Option(name: .long, help: "The approver's certificate (PEM).") var cert: String
    @Option(name: .long, help: "The number of drives the asset has (default: those certified).") var drives: Int?
    @Option(name: .long, help: "The CA the certificates' signatures must chain to.") var ca: String?
    @OptionGroup var store: LedgerCommand.StoreOption

    func run() throws {
        let signingKey = try SanitizationCertificate.signingKey(path: key)
        guard let certificate = try SanitizationCertificate.certificates(path: cert).first,
            certificate.matches(signingKey)
        else { throw VigilError(.usage, path: key, reason: "this key is not the key of \(cert)") }
        let ledger = try store.open()
        let authorities = try ca.map { try SanitizationCertificate.certificates(path: $0) } ?? []
        let problems = try ledger.verify(authorities: authorities)
        guard problems.isEmpty else {
            for problem in problems { Terminal.error("ledger: \(problem)") }
            throw VigilError(
                .usage, path: ledger.path, reason: "the ledger does not verify: no release on a broken chain")
        }
        let entries = try ledger.entries().filter { $0.asset == asset }
        if entries.contains(where: { $0.kind == "release" }) {
            print("REFUSED: \(asset) was already released")
            throw ExitCode(1)
        }
        let certificates = entries.filter { $0.kind == "certificate" }
        var technicians: Set<String> = []
        var drivesSeen: Set<String> = []
        var references: [CanonicalJSON] = []
        for entry in certificates {
            guard let document = CanonicalJSON.parse(entry.document),
                document["verification"]?["result"]?.string == "pass"
            else {
                print("REFUSED: ledger entry \(entry.id) is not a passing certificate")
                throw ExitCode(1)
            }
            technicians.insert(Self.normal(document["person"]?["name"]?.string ?? ""))
            let drive = document["media"]?["serial"]?.string ?? document["media"]?["path"]?.string ?? "\(entry.id)"
            drivesSeen.insert(drive)
            references.append(
                .object(["entry": .int(entry.id), "entry_sha256": .string(entry.hash), "drive": .string(drive)]))
        }
        guard !certificates.isEmpty else {
            print("REFUSED: no certificate of sanitization for \(asset) in the ledger")
            throw ExitCode(1)
        }
        if let drives, drivesSeen.count < drives {
            print("REFUSED: \(asset) has \(drives) drive(s), \(drivesSeen.count) certified")
            throw ExitCode(1)
        }
        // A recorded asset names its drives: each needs its certificate.
        if let recorded = try ledger.asset(asset) {
            let missing = recorded.drives.filter { !drivesSeen.contains($0) }
            if !missing.isEmpty {
                print("REFUSED: no passing certificate for drive(s) \(missing.joined(separator: ", ")) of \(asset)")
                throw ExitCode(1)
            }
        }
        if technicians.contains(Self.normal(approver)) {
            print("REFUSED: \(approver) sanitized a drive of \(asset); the release needs a second person")
            throw ExitCode(1)
        }
        let entry = try ledger.append(kind: "release", asset: asset) { previous in
            let document = CanonicalJSON.object([
                "release": .string(asset),
                "approver": .string(approver),
                "approver_certificate_sha256": .string((try? certificate.fingerprint()) ?? ""),
                "certificates": .array(references),
                "released": .string(Timestamp.now().wholeSeconds.iso8601),
                "previous_entry_sha256": .string(previous),
                "vigil_version": .string(VigilVersion.current),
            ])
            let bytes = document.bytes
            return (bytes, try CMS.sign(bytes, certificate: certificate, key: signingKey))
        }
        print(
            "RELEASED: \(asset), \(certificates.count) certificate(s), approved by \(approver); ledger entry \(entry.id)"
        )
    }

    private static func normal(_ name: String) -> String {
        name.trimmingCharacters(in: .whitespaces).lowercased().split(separator: " ").joined(separator: " ")
    }
}
