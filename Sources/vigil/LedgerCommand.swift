import ArgumentParser
import Foundation
import VigilCore
import VigilCrypto
import VigilDisposal

/// `vigil ledger list|show|verify|head|asset|change-ca`
struct LedgerCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ledger", abstract: "The tamper-evident record of assets, certificates and releases.",
        subcommands: [List.self, Show.self, Verify.self, Head.self, AssetCommand.self, ChangeCA.self])

    struct StoreOption: ParsableArguments {
        @Option(name: .long, help: "The ledger (default: ~/.local/share/vigil/ledger.sqlite).")
        var store: String?

        var path: String { store ?? Ledger.defaultPath }

        /// The ledger, which must exist: read-only unless `access` says otherwise.
        func open(_ access: Ledger.Access = .read) throws -> Ledger {
            guard FileManager.default.fileExists(atPath: path) else {
                throw VigilError(.unreadable, path: path, reason: "no ledger here yet")
            }
            return try Ledger(path: path, access: access)
        }
    }

    /// A person's key and certificate, and the organisation's CA for a ledger that pins none yet.
    struct SigningOptions: ParsableArguments {
        @Option(name: .long, help: "Your private key (PEM, 0600, yours).") var key: String
        @Option(name: .long, help: "Your certificate, issued by the organisation's CA (vigil keys issue).") var cert:
            String
        @Option(name: .long, help: "The organisation's CA certificate: needed once, to pin it in a new ledger.")
        var ca: String?

        func signer() throws -> Signer { try Signer(key: key, certificate: cert) }
        func authority() throws -> Certificate? { try ca.flatMap { try PEMFile.certificates(path: $0).first } }
    }

    struct AssetCommand: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "asset",
            abstract:
                "Record an asset that will leave, and its drives: each needs a passing certificate before sign-off.",
            discussion: """
                Recording an asset again records a change (an entry of its own): drives taken out need \
                --reason, and the release must accept each by name. A released asset's record is final.
                """)
        @Argument(help: "The asset's tag.") var tag: String
        @Option(name: .long, help: "What it is (\"ThinkPad T14, 2021\"); needed the first time.") var description:
            String?
        @Option(name: .long, help: "Whose it is; needed the first time.") var owner: String?
        @Option(name: .long, help: "A drive's serial number (or the path of an image); repeat for each.")
        var drive: [String]
        @Option(name: .long, help: "Why the drives changed (needed when one is taken out).") var reason: String?
        @OptionGroup var signing: SigningOptions
        @OptionGroup var store: StoreOption

        func run() throws {
            guard !drive.isEmpty else { throw ValidationError("--drive: at least one drive") }
            let ledger = try Ledger(path: store.path)
            do {
                let result = try ledger.record(
                    tag: tag, description: description, owner: owner, drives: drive, reason: reason,
                    signer: try signing.signer(), authority: try signing.authority())
                guard let entry = result.entry else {
                    print("\(PersonName.display(tag))'s record already says this: nothing written")
                    return
                }
                var line = "recorded \(PersonName.display(tag)) in ledger entry \(entry.id)"
                if !result.removed.isEmpty {
                    line +=
                        "; taken out: \(result.removed.map(PersonName.display).joined(separator: ", "))"
                        + " (a release must accept each: --accept-removed-drive)"
                }
                if !result.added.isEmpty {
                    line += "; drives: \(result.added.map(PersonName.display).joined(separator: ", "))"
                }
                print(line)
            } catch let refusal as Refusal {
                refusal.reasons.forEach { print("REFUSED: \($0)") }
                throw ExitCode(1)
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per entry: what, which asset, when, who.")
        @OptionGroup var store: StoreOption

        func run() throws {
            LedgerText.list(LedgerHistory(entries: try store.open().entries())).forEach { print($0) }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One entry in full (a number), or an asset's timeline (its tag).")
        @Argument(help: "An entry's number or an asset's tag.") var what: String
        @OptionGroup var store: StoreOption

        func run() throws {
            let history = LedgerHistory(entries: try store.open().entries())
            if let id = Int64(what), let entry = history.entries.first(where: { $0.id == id }) {
                print(LedgerText.entry(entry, history))
            } else if let timeline = LedgerText.timeline(what, history) {
                print(timeline)
            } else {
                throw VigilError(.usage, reason: "no ledger entry or asset '\(PersonName.display(what))'")
            }
        }
    }

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Check the chain: every edited, deleted, inserted or reordered entry, every signature outside the pinned CA, and (against a saved head or a receipt) deleted newest entries.",
            discussion: "Exit codes: 0 intact; 1 a problem; 2 usage or input error.")
        @OptionGroup var store: StoreOption
        @Option(name: .long, help: "The organisation's CA: the ledger must pin it.") var ca: String?
        @Option(name: .long, help: "A head saved earlier (vigil ledger head): the ledger must still hold it.")
        var head: [String] = []
        @Option(name: .long, help: "A release receipt (RECEIPT.json, with RECEIPT.json.p7s): the ledger must hold it.")
        var receipt: [String] = []
        @Option(name: .customLong("tsa-ca"), help: "The time-stamping authority's CA, to check the entries' tokens.")
        var tsaCA: String?

        func run() throws {
            let ledger = try store.open()
            let authorities = try ca.map { try PEMFile.certificates(path: $0) } ?? []
            let tsa = try tsaCA.map { try PEMFile.certificates(path: $0) } ?? []
            let history = LedgerHistory(entries: try ledger.entries(), trusted: authorities, timestampAuthorities: tsa)
            var failures = history.problems.map { "TAMPERED: \($0)" }
            for saved in head where !history.contains(head: saved) {
                failures.append(
                    "TAMPERED: the ledger no longer holds the head \(saved): its newest entries were deleted, or it was replaced"
                )
            }
            for file in receipt {
                failures += Receipt.problems(path: file, history: history).map { "TAMPERED: receipt \(file): \($0)" }
            }
            guard failures.isEmpty else {
                failures.forEach { print($0) }
                throw ExitCode(1)
            }
            print("ledger intact: \(history.entries.count) entries, head \(history.head)")
            if let authority = history.authority {
                print(
                    "CA pinned: \(PersonName.display(authority.commonName ?? authority.subject)), SHA-256 \(try authority.fingerprint())"
                )
            } else {
                print("no CA pinned yet: the entries are checked by their own signatures (a ledger of Vigil 0.1)")
            }
            if !head.isEmpty { print("it still holds the saved head(s)") }
            if !receipt.isEmpty { print("it holds the release(s) of the receipt(s)") }
            if history.uncheckedTimestamps > 0 {
                print("\(history.uncheckedTimestamps) timestamp token(s) not checked (pass --tsa-ca)")
            }
        }
    }

    struct Head: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "The hash of the newest entry and the number of entries: keep them elsewhere (a ticket, an e-mail).",
            discussion: "Later, vigil ledger verify --head HASH fails if the ledger no longer holds that head.")
        @OptionGroup var store: StoreOption

        func run() throws {
            let (hash, count) = try store.open().head()
            print("ledger head \(hash), \(count) entries")
        }
    }

    struct ChangeCA: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "change-ca",
            abstract:
                "Record a new organisation CA, signed with the old CA's key; later entries must chain to the new one.")
        @Option(name: .customLong("ca-dir"), help: "The old CA's folder (ca.pem, ca.key): the CA the ledger pins.")
        var caDir: String
        @Option(name: .customLong("new-ca"), help: "The new CA's certificate (ca.pem of vigil keys init).") var newCA:
            String
        @Option(name: .long, help: "Why the CA changes.") var reason: String
        @OptionGroup var store: StoreOption

        func run() throws {
            guard let new = try PEMFile.certificates(path: newCA).first else {
                throw VigilError(.corrupt, path: newCA, reason: "no certificate in it")
            }
            let entry = try store.open(.write).changeAuthority(
                from: OrganisationCA(folder: caDir), to: new, reason: reason)
            print(
                "ledger entry \(entry.id): the CA is now \(PersonName.display(new.commonName ?? new.subject)), SHA-256 \(try new.fingerprint())"
            )
        }
    }
}

/// `vigil signoff ASSET`: the release of an asset, after every drive was certified, by a second
/// person (another key, with the approver role).
struct SignoffCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "signoff",
        abstract:
            "Release an asset: every recorded drive needs a passing certificate, and the approver's key must have signed none of them.",
        discussion:
            "Exit codes: 0 released; 1 refused (with every reason); 2 usage or input error (a broken ledger among them)."
    )

    @Argument(help: "The asset's tag.") var asset: String
    @Option(name: .long, help: "Your name as your certificate states it (checked; the certificate decides).")
    var approver: String?
    @Option(name: .long, help: "The number of drives you counted in the asset (checked against its record).")
    var drives: Int?
    @Option(
        name: .customLong("accept-removed-drive"),
        help: "A drive taken out of the asset's record that you accept as not part of it; repeat for each.")
    var acceptRemovedDrive: [String] = []
    @Option(name: .long, help: "The receipt to keep (default: ASSET-release.json in this folder, with .p7s).")
    var receipt: String?
    @Option(name: .customLong("tsa-url"), help: "An RFC 3161 time-stamping authority: the release is timestamped.")
    var tsaURL: String?
    @OptionGroup var signing: LedgerCommand.SigningOptions
    @OptionGroup var store: LedgerCommand.StoreOption

    func run() throws {
        let signer = try signing.signer()
        let ledger = try store.open(.write)
        let receiptPath = receipt ?? "\(asset.replacingOccurrences(of: "/", with: "_"))-release.json"
        for path in [receiptPath, receiptPath + ".p7s"] where FileManager.default.fileExists(atPath: path) {
            throw VigilError(.usage, path: path, reason: "already exists: a receipt is never overwritten")
        }
        let request = Release.Request(
            tag: asset, approverName: approver, drives: drives, acceptedRemovals: acceptRemovedDrive)
        do {
            let released = try ledger.release(
                request, signer: signer, authority: try signing.authority(), receipt: receiptPath,
                stamp: tsaURL.map { url in { try TimestampClient.stamp($0, url: url) } })
            released.warnings.forEach(Terminal.warn)
            let count = released.entry.json?["certificates"]?.array?.count ?? 0
            print(
                "RELEASED: \(PersonName.display(asset)), \(count) certificate(s), approved by \(signer.identity.displayName); ledger entry \(released.entry.id)"
            )
            print(
                "receipt: \(receiptPath) and \(receiptPath).p7s (keep them: vigil ledger verify --receipt \(receiptPath))"
            )
        } catch let refusal as Refusal {
            refusal.reasons.forEach { print("REFUSED: \($0)") }
            throw ExitCode(1)
        }
    }
}
