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
        var keys: String
        var approver: String
        var image: String
        func path(_ name: String) -> String { folder.appendingPathComponent(name).path }
    }

    /// Keys for the technician (Sam) and an approver (Ann); three certificates (LAP-1 twice,
    /// LAP-2 once) in a fresh ledger.
    private func makeSetup(certificates: Int = 3) throws -> Setup {
        let folder = try TestPaths.temporaryFolder()
        let setup = Setup(
            folder: folder, store: folder.appendingPathComponent("ledger.sqlite").path,
            keys: folder.appendingPathComponent("tech").path, approver: folder.appendingPathComponent("ann").path,
            image: folder.appendingPathComponent("disk.img").path)
        #expect(try VigilBinary.run(["keys", "init", "--dir", setup.keys, "--signer", "Sam"]).status == 0)
        #expect(try VigilBinary.run(["keys", "init", "--dir", setup.approver, "--signer", "Ann"]).status == 0)
        try Data(count: 2 << 20).write(to: URL(fileURLWithPath: setup.image))
        for index in 0..<certificates {
            let result = try certify(setup, asset: index == 1 ? "LAP-2" : "LAP-1", name: "c\(index).json")
            #expect(result.status == 0, "\(result.stderr)")
        }
        return setup
    }

    private func certify(_ setup: Setup, asset: String, name: String, technician: String = "Sam") throws
        -> ProcessResult
    {
        try VigilBinary.run([
            "wipe", "verify", setup.image, "--expect", "zero", "--full", "--out", setup.path(name), "--asset", asset,
            "--technician", technician, "--method", "1 pass of zeros", "--tool", "nwipe 0.33", "--key",
            setup.keys + "/signer.key", "--cert", setup.keys + "/signer.pem", "--store", setup.store, "--quiet",
        ])
    }

    private func sqlite(_ store: String, _ sql: String) throws {
        let shell = try #require(Command.find("sqlite3"), "sqlite3 is needed (apt-get install sqlite3)")
        let result = try Command.run(shell, [store, sql])
        #expect(result.status == 0, "\(result.stderr)")
    }

    private func problems(_ store: String) throws -> [Ledger.Problem] { try Ledger(path: store).verify() }

    @Test func certificatesChainAndTheLedgerVerifies() throws {
        let setup = try makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let ledger = try Ledger(path: setup.store)
        let entries = try ledger.entries()
        #expect(entries.map(\.id) == [1, 2, 3])
        #expect(entries.map(\.asset) == ["LAP-1", "LAP-2", "LAP-1"])
        #expect(entries[0].previous == Ledger.genesis)
        #expect(entries[1].previous == entries[0].hash)
        // Each certificate on disk is the ledger's document and names the entry before it.
        for (index, entry) in entries.enumerated() {
            let file = Array(try Data(contentsOf: URL(fileURLWithPath: setup.path("c\(index).json"))))
            #expect(file == entry.document)
            #expect(CanonicalJSON.parse(file)?["previous_entry_sha256"]?.string == entry.previous)
        }
        #expect(
            try ledger.verify(authorities: SanitizationCertificate.certificates(path: setup.keys + "/ca.pem")).isEmpty)
        let verified = try VigilBinary.run(["ledger", "verify", "--store", setup.store, "--ca", setup.keys + "/ca.pem"])
        #expect(verified.status == 0)
        #expect(verified.stdout.hasPrefix("ledger intact: 3 entries, head \(entries[2].hash)"))
        let list = try VigilBinary.run(["ledger", "list", "--store", setup.store])
        #expect(list.stdout.split(separator: "\n").count == 3)
        #expect(list.stdout.contains("\tcertificate\tLAP-2\tby Sam, pass"))
    }

    @Test func anEditedEntryIsNamed() throws {
        let setup = try makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        // The triggers refuse it first.
        let shell = try #require(Command.find("sqlite3"))
        let refused = try Command.run(shell, [setup.store, "UPDATE entries SET asset = 'LAP-9' WHERE id = 2"])
        #expect(refused.status != 0)
        #expect(refused.stderr.contains("append-only"))
        try sqlite(setup.store, "DROP TRIGGER entries_no_update; UPDATE entries SET asset = 'LAP-9' WHERE id = 2")
        #expect(
            try problems(setup.store) == [
                Ledger.Problem(entry: 2, reason: "edited: its content no longer matches its hash")
            ])
        let verified = try VigilBinary.run(["ledger", "verify", "--store", setup.store])
        #expect(verified.status == 1)
        #expect(verified.stdout == "TAMPERED: entry 2: edited: its content no longer matches its hash\n")
    }

    @Test func aDeletedEntryIsNamed() throws {
        let setup = try makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        try sqlite(setup.store, "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE id = 2")
        #expect(try problems(setup.store) == [Ledger.Problem(entry: 3, reason: "entry 2 before it was deleted")])
    }

    @Test func anInsertedEntryIsNamed() throws {
        let setup = try makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        // A copy of a real certificate, appended as if it were new.
        try sqlite(
            setup.store,
            "INSERT INTO entries SELECT 4, kind, asset, created, document, signature, previous, hash FROM entries WHERE id = 2"
        )
        #expect(try problems(setup.store).contains(Ledger.Problem(entry: 4, reason: "inserted: a copy of entry 2")))
        // A forged row with a correct hash, signed with another key: the CA check names it.
        let other = try makeSetup()
        defer { try? FileManager.default.removeItem(at: other.folder) }
        let forged = try Ledger(path: other.store).entries()[0]
        let ledger = try Ledger(path: setup.store)
        try sqlite(setup.store, "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE id = 4")
        let previous = try ledger.head()
        let hash = try Ledger.hash(
            id: 4, kind: forged.kind, asset: "LAP-1", created: forged.created, document: forged.document,
            signature: forged.signature, previous: previous)
        try sqlite(
            setup.store,
            "INSERT INTO entries VALUES (4, 'certificate', 'LAP-1', '\(forged.created)', X'\(Self.hex(forged.document))', X'\(Self.hex(forged.signature))', '\(previous)', '\(hash)')"
        )
        let authorities = try SanitizationCertificate.certificates(path: setup.keys + "/ca.pem")
        let found = try ledger.verify(authorities: authorities)
        #expect(found.contains(Ledger.Problem(entry: 4, reason: "its signature does not verify")))
        #expect(found.allSatisfy { $0.entry == 4 })
    }

    @Test func reorderedEntriesAreNamed() throws {
        let setup = try makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        try sqlite(
            setup.store,
            "DROP TRIGGER entries_no_update; UPDATE entries SET id = 100 WHERE id = 2; UPDATE entries SET id = 2 WHERE id = 3; UPDATE entries SET id = 3 WHERE id = 100"
        )
        let found = try problems(setup.store)
        #expect(found.contains(Ledger.Problem(entry: 2, reason: "out of order: it was written as entry 3")))
        #expect(found.contains(Ledger.Problem(entry: 3, reason: "out of order: it was written as entry 2")))
    }

    @Test func signoffNeedsASecondPersonAndEveryDrive() throws {
        let setup = try makeSetup()
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        func signoff(_ asset: String, _ approver: String, keys: String, drives: Int? = nil) throws -> ProcessResult {
            try VigilBinary.run(
                [
                    "signoff", asset, "--approver", approver, "--key", keys + "/signer.key", "--cert",
                    keys + "/signer.pem",
                    "--store", setup.store,
                ] + (drives.map { ["--drives", String($0)] } ?? []))
        }
        let same = try signoff("LAP-1", " sam ", keys: setup.keys)
        #expect(same.status == 1)
        #expect(same.stdout.contains("the release needs a second person"))
        let none = try signoff("LAP-7", "Ann", keys: setup.approver)
        #expect(none.status == 1)
        #expect(none.stdout.contains("no certificate of sanitization for LAP-7"))
        // Both LAP-1 certificates are for the same image: one drive of the two it has.
        let short = try signoff("LAP-1", "Ann", keys: setup.approver, drives: 2)
        #expect(short.status == 1)
        #expect(short.stdout.contains("2 drive(s), 1 certified"))
        let released = try signoff("LAP-1", "Ann", keys: setup.approver)
        #expect(released.status == 0, "\(released.stderr)")
        #expect(released.stdout.hasPrefix("RELEASED: LAP-1, 2 certificate(s), approved by Ann; ledger entry 4"))
        let again = try signoff("LAP-1", "Ann", keys: setup.approver)
        #expect(again.status == 1)
        #expect(again.stdout.contains("already released"))
        // A recorded asset names its drives; each needs a certificate (the image's path stands
        // for a drive without a serial number).
        let recorded = try VigilBinary.run([
            "ledger", "asset", "LAP-2", "--description", "ThinkPad T14", "--owner", "Bob", "--drive", setup.image,
            "--drive", "S4EWNX0R123456", "--store", setup.store,
        ])
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let missing = try signoff("LAP-2", "Ann", keys: setup.approver)
        #expect(missing.status == 1)
        #expect(missing.stdout.contains("no passing certificate for drive(s) S4EWNX0R123456 of LAP-2"))
        try Ledger(path: setup.store).register(
            Ledger.Asset(tag: "LAP-2", description: "ThinkPad T14", owner: "Bob", drives: [setup.image]))
        #expect(try signoff("LAP-2", "Ann", keys: setup.approver).status == 0)
        #expect(throws: VigilError.self, "a released asset's record is final") {
            try Ledger(path: setup.store).register(
                Ledger.Asset(tag: "LAP-2", description: "x", owner: "y", drives: ["z"]))
        }
        let ledger = try Ledger(path: setup.store)
        #expect(try ledger.verify().isEmpty)
        let release = try #require(try ledger.entries().filter { $0.asset == "LAP-1" }.last)
        #expect(release.kind == "release")
        let document = try #require(CanonicalJSON.parse(release.document))
        #expect(document["approver"]?.string == "Ann")
        #expect(document["previous_entry_sha256"]?.string == release.previous)
        // A broken chain releases nothing.
        try sqlite(setup.store, "DROP TRIGGER entries_no_update; UPDATE entries SET asset = 'X' WHERE id = 2")
        let broken = try signoff("LAP-3", "Ann", keys: setup.approver)
        #expect(broken.status == 2)
        #expect(broken.stderr.contains("the ledger does not verify"))
    }

    /// kill -9 at any moment of `wipe verify --out` or `signoff` leaves a ledger that verifies,
    /// holding every entry that was reported written (and only whole ones).
    @Test func killNineLosesNothingReported() throws {
        let setup = try makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        try Data(count: 64 << 20).write(to: URL(fileURLWithPath: setup.image))
        var reported = 0
        for round in 0..<10 {
            let process = Process()
            process.executableURL = VigilBinary.url
            process.arguments =
                round % 3 == 2
                ? [
                    "signoff", "LAP-1", "--approver", "Ann", "--key", setup.approver + "/signer.key", "--cert",
                    setup.approver + "/signer.pem", "--store", setup.store,
                ]
                : [
                    "wipe", "verify", setup.image, "--expect", "zero", "--full", "--out", setup.path("k\(round).json"),
                    "--asset", "LAP-\(round)", "--technician", "Sam", "--method", "zeros", "--tool", "nwipe 0.33",
                    "--key", setup.keys + "/signer.key", "--cert", setup.keys + "/signer.pem", "--store", setup.store,
                    "--quiet",
                ]
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
        #expect(entries.count >= 1 + reported)
        // Every certificate entry's document is on disk, whole.
        for entry in entries.dropFirst() where entry.kind == "certificate" {
            let name = "k" + String(entry.asset.dropFirst(4)) + ".json"
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: setup.path(name)))) == entry.document)
        }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }
}
