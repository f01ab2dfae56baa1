import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilDisposal

/// The ledger end to end, with the `vigil` binary and the `sqlite3` shell.
@Suite("Ledger and sign-off", .serialized)
struct LedgerTests {
    struct Setup {
        var folder: URL
        var store: String
        var organisation: TestOrganisation
        var sam: TestOrganisation.Person
        var ann: TestOrganisation.Person
        var image: String
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    }

    /// One organisation: Sam (technician) and Ann (approver); three certificates (LAP-1 twice,
    /// LAP-2 once) in a fresh ledger, whose first entry pins the CA.
    static func makeSetup(certificates: Int = 3) throws -> Setup {
        let folder = try TestPaths.temporaryFolder()
        let organisation = try TestOrganisation(in: folder)
        let setup = Setup(
            folder: folder, store: folder.appendingPathComponent("ledger.sqlite").path, organisation: organisation,
            sam: try organisation.person("Sam", roles: ["technician"]),
            ann: try organisation.person("Ann", roles: ["approver"]),
            image: folder.appendingPathComponent("disk.img").path)
        try Data(count: 2 << 20).write(to: URL(fileURLWithPath: setup.image))
        for index in 0..<certificates {
            let result = try certify(setup, asset: index == 1 ? "LAP-2" : "LAP-1", name: "c\(index).json")
            #expect(result.status == 0, "\(result.stderr)")
        }
        return setup
    }

    static func certify(
        _ setup: Setup, asset: String, name: String, person: TestOrganisation.Person? = nil, image: String? = nil
    ) throws -> ProcessResult {
        try VigilBinary.run(
            [
                "wipe", "verify", image ?? setup.image, "--expect", "zero", "--full", "--out", setup.path(name),
                "--asset", asset, "--method", "1 pass of zeros", "--tool", "nwipe 0.33", "--store", setup.store,
                "--ca", setup.organisation.ca, "--quiet",
            ] + (person ?? setup.sam).signing)
    }

    static func record(_ setup: Setup, _ asset: String, drives: [String], extra: [String] = []) throws
        -> ProcessResult
    {
        try VigilBinary.run(
            ["ledger", "asset", asset, "--description", "ThinkPad T14", "--owner", "Bob", "--store", setup.store]
                + drives.flatMap { ["--drive", $0] } + setup.sam.signing + extra)
    }

    static func signoff(_ setup: Setup, _ asset: String, _ person: TestOrganisation.Person, _ extra: [String] = [])
        throws -> ProcessResult
    {
        try VigilBinary.run(
            ["signoff", asset, "--store", setup.store, "--receipt", setup.path("\(asset)-\(UUID().uuidString).json")]
                + person.signing + extra)
    }

    static func sqlite(_ store: String, _ sql: String) throws {
        let shell = try #require(Command.find("sqlite3"), "sqlite3 is needed (apt-get install sqlite3)")
        let result = try Command.run(shell, [store, sql])
        #expect(result.status == 0, "\(result.stderr)")
    }

    private func problems(_ store: String) throws -> [Ledger.Problem] { try Ledger(path: store).verify() }

    @Test func certificatesChainAndTheLedgerVerifies() throws {
        let setup = try Self.makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let ledger = try Ledger(path: setup.store)
        let entries = try ledger.entries()
        #expect(entries.map(\.id) == [1, 2, 3, 4])
        #expect(entries.map(\.kind) == [.authority, .certificate, .certificate, .certificate])
        #expect(entries.map(\.asset) == ["", "LAP-1", "LAP-2", "LAP-1"])
        #expect(entries[0].previous == Ledger.genesis)
        #expect(entries[1].previous == entries[0].hash)
        // Each certificate on disk is the ledger's document and names the entry before it.
        for (index, entry) in entries.dropFirst().enumerated() {
            let file = Array(try Data(contentsOf: URL(fileURLWithPath: setup.path("c\(index).json"))))
            #expect(file == entry.document)
            #expect(CanonicalJSON.parse(file)?["previous_entry_sha256"]?.string == entry.previous)
        }
        let ca = try PEMFile.certificates(path: setup.organisation.ca)
        #expect(try ledger.verify(authorities: ca).isEmpty)
        let history = LedgerHistory(entries: entries, trusted: ca)
        #expect(try history.authority?.fingerprint() == ca[0].fingerprint())
        let verified = try VigilBinary.run(["ledger", "verify", "--store", setup.store, "--ca", setup.organisation.ca])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("ledger intact: 4 entries, head \(entries[3].hash)"))
        #expect(verified.stdout.contains("CA pinned: Example Ltd disposal CA"))
        let list = try VigilBinary.run(["ledger", "list", "--store", setup.store])
        #expect(list.stdout.split(separator: "\n").count == 4)
        #expect(list.stdout.contains("\tcertificate\tLAP-2\tby Sam, pass"))
        #expect(list.stdout.contains("\tca\t\tpinned the CA Example Ltd disposal CA"))
    }

    @Test func anEditedEntryIsNamed() throws {
        let setup = try Self.makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        // The triggers refuse it first.
        let shell = try #require(Command.find("sqlite3"))
        let refused = try Command.run(shell, [setup.store, "UPDATE entries SET asset = 'LAP-9' WHERE id = 3"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("append-only"))
        try Self.sqlite(setup.store, "DROP TRIGGER entries_no_update; UPDATE entries SET asset = 'LAP-9' WHERE id = 3")
        #expect(
            try problems(setup.store) == [
                Ledger.Problem(entry: 3, reason: "edited: its content no longer matches its hash")
            ])
        let verified = try VigilBinary.run(["ledger", "verify", "--store", setup.store])
        #expect(verified.status == 1)
        #expect(verified.stdout == "TAMPERED: entry 3: edited: its content no longer matches its hash\n")
    }

    @Test func aDeletedEntryIsNamed() throws {
        let setup = try Self.makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        try Self.sqlite(setup.store, "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE id = 3")
        #expect(try problems(setup.store) == [Ledger.Problem(entry: 4, reason: "entry 3 before it was deleted")])
    }

    @Test func anInsertedEntryIsNamed() throws {
        let setup = try Self.makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        // A copy of a real certificate, appended as if it were new.
        try Self.sqlite(
            setup.store,
            "INSERT INTO entries SELECT 5, kind, asset, created, document, signature, previous, hash, timestamp FROM entries WHERE id = 3"
        )
        #expect(try problems(setup.store).contains(Ledger.Problem(entry: 5, reason: "inserted: a copy of entry 3")))
        // A forged row with a correct hash, signed by a technician of another organisation: its
        // signer is not certified by the CA the ledger pins.
        let other = try Self.makeSetup()
        defer { try? FileManager.default.removeItem(at: other.folder) }
        let forged = try Ledger(path: other.store).entries()[1]
        let ledger = try Ledger(path: setup.store)
        try Self.sqlite(setup.store, "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE id = 5")
        let previous = try ledger.head().hash
        let hash = try Ledger.hash(
            id: 5, kind: "certificate", asset: "LAP-1", created: forged.created, document: forged.document,
            signature: forged.signature, previous: previous)
        try Self.sqlite(
            setup.store,
            "INSERT INTO entries (id, kind, asset, created, document, signature, previous, hash) VALUES (5, 'certificate', 'LAP-1', '\(forged.created)', X'\(Self.hex(forged.document))', X'\(Self.hex(forged.signature))', '\(previous)', '\(hash)')"
        )
        let found = try ledger.verify(authorities: PEMFile.certificates(path: setup.organisation.ca))
        #expect(
            found.contains { $0.entry == 5 && $0.reason.hasPrefix("its signer Sam is not certified by the pinned CA") })
        #expect(found.allSatisfy { $0.entry == 5 })
    }

    @Test func reorderedEntriesAreNamed() throws {
        let setup = try Self.makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        try Self.sqlite(
            setup.store,
            "DROP TRIGGER entries_no_update; UPDATE entries SET id = 100 WHERE id = 3; UPDATE entries SET id = 3 WHERE id = 4; UPDATE entries SET id = 4 WHERE id = 100"
        )
        let found = try problems(setup.store)
        #expect(found.contains(Ledger.Problem(entry: 3, reason: "out of order: it was written as entry 4")))
        #expect(found.contains(Ledger.Problem(entry: 4, reason: "out of order: it was written as entry 3")))
    }

    /// An asset record is an entry of the chain: changing it in place is caught like any edit,
    /// and no sign-off happens on the broken chain.
    @Test func anEditedAssetRecordIsDetected() throws {
        let setup = try Self.makeSetup(certificates: 0)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        #expect(
            try Self.record(
                setup, "LAP-1", drives: [setup.image, "NOT-WIPED"], extra: ["--ca", setup.organisation.ca]
            ).status == 0)
        #expect(try Self.certify(setup, asset: "LAP-1", name: "c.json").status == 0)
        let shell = try #require(Command.find("sqlite3"))
        // The old way (0.1 kept assets in a table of their own) finds no table to change.
        #expect(try Command.run(shell, [setup.store, "UPDATE assets SET drives = 'x'"]).status != 0)
        try Self.sqlite(
            setup.store,
            "DROP TRIGGER entries_no_update; UPDATE entries SET document = CAST(replace(CAST(document AS TEXT), ',\"NOT-WIPED\"', '') AS BLOB) WHERE kind = 'asset'"
        )
        let verified = try VigilBinary.run(["ledger", "verify", "--store", setup.store])
        #expect(verified.status == 1)
        #expect(verified.stdout.contains("TAMPERED: entry 2: edited: its content no longer matches its hash"))
        let refused = try Self.signoff(setup, "LAP-1", setup.ann)
        #expect(refused.status == 2)
        #expect(refused.stderr.contains("the ledger does not verify"))
        #expect(try Ledger(path: setup.store).entries().count == 3, "nothing written")
    }

    @Test func signoffNeedsASecondPersonAndEveryDrive() throws {
        let setup = try Self.makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let none = try Self.signoff(setup, "LAP-7", setup.ann)
        #expect(none.status == 1)
        #expect(none.stdout.contains("LAP-7 has no asset record in the ledger"))
        // Both LAP-1 certificates are for the same image: one drive of the two recorded.
        #expect(try Self.record(setup, "LAP-1", drives: [setup.image, "S4EWNX0R123456"]).status == 0)
        let missing = try Self.signoff(setup, "LAP-1", setup.ann)
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("no passing certificate for drive S4EWNX0R123456 of LAP-1"))
        #expect(try Self.record(setup, "LAP-2", drives: [setup.image]).status == 0)
        let short = try Self.signoff(setup, "LAP-2", setup.ann, ["--drives", "2"])
        #expect(short.status == 1)
        #expect(short.stdout.contains("LAP-2's record lists 1 drive(s), not 2"))
        let released = try Self.signoff(setup, "LAP-2", setup.ann, ["--approver", "Ann"])
        #expect(released.status == 0, "\(released.stdout)\(released.stderr)")
        #expect(released.stdout.hasPrefix("RELEASED: LAP-2, 1 certificate(s), approved by Ann; ledger entry 7"))
        let again = try Self.signoff(setup, "LAP-2", setup.ann)
        #expect(again.status == 1)
        #expect(again.stdout.contains("already released"))
        let final = try Self.record(setup, "LAP-2", drives: ["z"])
        #expect(final.status == 1, "a released asset's record is final")
        #expect(final.stdout.contains("its record is final"))
        let ledger = try Ledger(path: setup.store)
        #expect(try ledger.verify().isEmpty)
        let release = try #require(try ledger.entries().last)
        #expect(release.kind == .release)
        let document = try #require(CanonicalJSON.parse(release.document))
        #expect(document["approver"]?["name"]?.string == "Ann")
        #expect(document["previous_entry_sha256"]?.string == release.previous)
        #expect(document["asset_record"]?["entry"]?.int == 6)
        // A broken chain releases nothing.
        try Self.sqlite(setup.store, "DROP TRIGGER entries_no_update; UPDATE entries SET asset = 'X' WHERE id = 3")
        let broken = try Self.signoff(setup, "LAP-1", setup.ann)
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("the ledger does not verify"))
    }

    /// `ledger show ASSET`: the asset's timeline, a change of its drives included.
    @Test func assetTimeline() throws {
        let setup = try Self.makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        #expect(try Self.record(setup, "LAP-1", drives: [setup.image, "NOT-WIPED"]).status == 0)
        #expect(try Self.record(setup, "LAP-1", drives: [setup.image], extra: ["--reason", "typo"]).status == 0)
        let shown = try VigilBinary.run(["ledger", "show", "LAP-1", "--store", setup.store])
        #expect(shown.status == 0)
        let lines = shown.stdout.split(separator: "\n").map(String.init)
        #expect(lines[0] == "LAP-1: ThinkPad T14, owner Bob")
        #expect(lines[1].contains("certificate of \(setup.image) by Sam: pass (full, zero)"))
        #expect(lines[2].contains("recorded by Sam (technician): drives \(setup.image), NOT-WIPED"))
        #expect(lines[3].contains("record changed by Sam (technician): TOOK OUT NOT-WIPED (reason: typo)"))
        #expect(shown.stdout.contains("drives taken out of the record (a release must accept each): NOT-WIPED"))
        let entry = try VigilBinary.run(["ledger", "show", "3", "--store", setup.store])
        #expect(entry.stdout.contains("entry 3: asset for LAP-1"))
        #expect(entry.stdout.contains("signed by Sam (technician; key SHA-256"))
    }

    /// kill -9 at any moment of `wipe verify --out` or `signoff` leaves a ledger that verifies,
    /// holding every entry that was reported written (and only whole ones).
    @Test func killNineLosesNothingReported() throws {
        let setup = try Self.makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        #expect(try Self.record(setup, "LAP-1", drives: [setup.image]).status == 0)
        try Data(count: 64 << 20).write(to: URL(fileURLWithPath: setup.image))
        var reported = 0
        for round in 0..<10 {
            let process = Process()
            process.executableURL = VigilBinary.url
            process.arguments =
                round % 3 == 2
                ? [
                    "signoff", "LAP-1", "--store", setup.store, "--receipt", setup.path("r\(round).json"),
                ] + setup.ann.signing
                : [
                    "wipe", "verify", setup.image, "--expect", "zero", "--full", "--out", setup.path("k\(round).json"),
                    "--asset", "LAP-\(round)", "--method", "zeros", "--tool", "nwipe 0.33", "--store", setup.store,
                    "--quiet",
                ] + setup.sam.signing
            let errors = Pipe()
            let output = Pipe()
            process.standardError = errors
            process.standardOutput = output
            try process.run()
            usleep(UInt32(20_000 + (round * 37_000) % 180_000))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let said =
                String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
                + String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            if said.contains("ledger entry") { reported += 1 }
            let ledger = try Ledger(path: setup.store)
            #expect(try ledger.verify().isEmpty, "round \(round)")
        }
        let entries = try Ledger(path: setup.store).entries()
        #expect(entries.count >= 3 + reported)
        // Every certificate entry's document is on disk, whole.
        for entry in entries.dropFirst(3) where entry.kind == .certificate {
            let name = "k" + String(entry.asset.dropFirst(4)) + ".json"
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: setup.path(name)))) == entry.document)
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
