import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilDisposal

/// A ledger written by Vigil 0.1 (`Fixtures/ledger-v0.1`, made by `make-v0.1-ledger.sh` with
/// the 0.1.0 binary): it opens as it is, its entries verify as they did, reading never changes
/// it, and its first new entry pins the CA. What 0.1 left half-trusted is not relied on: its
/// `assets` table (outside the chain) and certificates written before the pin.
@Suite("Ledgers of Vigil 0.1", .serialized)
struct LedgerMigrationTests {
    @Test func aLedgerOfVersion01OpensAndPinsItsCAOnItsFirstNewEntry() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let fixture = URL(fileURLWithPath: TestPaths.fixture("ledger-v0.1", target: "VigilDisposalTests"))
        let store = folder.appendingPathComponent("ledger.sqlite").path
        try FileManager.default.copyItem(atPath: fixture.appendingPathComponent("ledger.sqlite").path, toPath: store)
        let original = try Data(contentsOf: URL(fileURLWithPath: store))
        // Reading changes nothing, and the 0.1 entries verify as they did (0.1 let each person
        // make a CA of their own: both CAs are needed to check every signature).
        let listed = try VigilBinary.run(["ledger", "list", "--store", store])
        #expect(listed.stdout.split(separator: "\n").count == 3)
        let both = folder.appendingPathComponent("both.pem").path
        try
            (try Data(contentsOf: fixture.appendingPathComponent("sam-ca.pem"))
            + Data(contentsOf: fixture.appendingPathComponent("ann-ca.pem"))).write(to: URL(fileURLWithPath: both))
        let verified = try VigilBinary.run(["ledger", "verify", "--store", store, "--ca", both])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(verified.stdout.contains("no CA pinned yet"))
        #expect(try Data(contentsOf: URL(fileURLWithPath: store)) == original, "reading never writes")

        let organisation = try TestOrganisation(in: folder)
        let sam = try organisation.person("Sam", roles: ["technician"])
        let ann = try organisation.person("Ann", roles: ["approver"])
        // LAP-1 was recorded in 0.1's table, outside the chain: not trusted, and said so.
        let unrecorded = try VigilBinary.run(
            ["signoff", "LAP-1", "--store", store, "--ca", organisation.ca, "--receipt", folder.path + "/r0.json"]
                + ann.signing)
        #expect(unrecorded.status == 1)
        #expect(
            unrecorded.stdout.contains("LAP-1 was recorded by Vigil 0.1 outside the ledger's chain: record it again"))
        // The first new entry pins the CA; the 0.1 entries before it still verify.
        let oldDrive = try #require(try Ledger(path: store, access: .read).entries()[0].json?["media"]?["path"]?.string)
        let recorded = try VigilBinary.run(
            [
                "ledger", "asset", "LAP-1", "--description", "ThinkPad T14", "--owner", "R. Patel", "--drive", oldDrive,
                "--store", store, "--ca", organisation.ca,
            ] + sam.signing)
        #expect(recorded.status == 0, "\(recorded.stderr)")
        let entries = try Ledger(path: store).entries()
        #expect(entries.map(\.kind) == [.certificate, .certificate, .release, .authority, .asset])
        #expect(try VigilBinary.run(["ledger", "verify", "--store", store]).status == 0)
        // Its 0.1 certificate was signed by a key nobody vouched for: the drive is verified again.
        let unpinned = try VigilBinary.run(
            ["signoff", "LAP-1", "--store", store, "--receipt", folder.path + "/r1.json"] + ann.signing)
        #expect(unpinned.status == 1)
        #expect(unpinned.stdout.contains("the certificate of drive \(oldDrive) (entry 1) predates the ledger's CA pin"))
        // A released 0.1 asset stays final.
        let final = try VigilBinary.run(
            ["ledger", "asset", "LAP-2", "--description", "x", "--owner", "y", "--drive", "z", "--store", store]
                + sam.signing)
        #expect(final.status == 1)
        #expect(final.stdout.contains("LAP-2 was released in entry 3: its record is final"))
        // A drive certified under the pinned CA is released by a second person.
        let image = folder.appendingPathComponent("disk3.img").path
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: image))
        #expect(
            try VigilBinary.run(
                [
                    "ledger", "asset", "LAP-3", "--description", "NAS", "--owner", "IT", "--drive", image, "--store",
                    store,
                ] + sam.signing
            ).status == 0)
        let certified = try VigilBinary.run(
            [
                "wipe", "verify", image, "--expect", "zero", "--full", "--out", folder.path + "/c.json", "--asset",
                "LAP-3", "--method", "zeros", "--tool", "nwipe 0.33", "--store", store, "--quiet",
            ] + sam.signing)
        #expect(certified.status == 0, "\(certified.stderr)")
        let released = try VigilBinary.run(
            ["signoff", "LAP-3", "--store", store, "--receipt", folder.path + "/r.json"] + ann.signing)
        #expect(released.status == 0, "\(released.stdout)\(released.stderr)")
        let after = try VigilBinary.run(["ledger", "verify", "--store", store, "--receipt", folder.path + "/r.json"])
        #expect(after.status == 0, "\(after.stdout)")
        #expect(after.stdout.contains("CA pinned: Example Ltd disposal CA"))
    }
}
