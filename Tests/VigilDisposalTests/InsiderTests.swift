import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilCrypto
@testable import VigilDisposal

/// The six ways an insider released hardware with Vigil 0.1 (issue 13), each tried again: each
/// must be refused with a clear message and nothing written to the ledger.
@Suite("Disposal against an insider", .serialized)
struct InsiderTests {
    typealias Setup = LedgerTests.Setup

    private func entries(_ setup: Setup) throws -> [Ledger.Entry] { try Ledger(path: setup.store).entries() }

    /// 1. Sam, who wiped and certified the drive, signs the release with his own key under
    /// Ann's name, or under his own name spelt with look-alike characters: refused by key.
    @Test func onePersonCannotReleaseAlone() throws {
        let setup = try LedgerTests.makeSetup(certificates: 0)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        // Sam holds both roles, with one key.
        let sam = try setup.organisation.person("Sam Okafor", roles: ["technician", "approver"])
        #expect(
            try LedgerTests.record(setup, "LAP-0042", drives: [setup.image], extra: ["--ca", setup.organisation.ca])
                .status == 0)
        #expect(try LedgerTests.certify(setup, asset: "LAP-0042", name: "c.json", person: sam).status == 0)
        let before = try entries(setup).count
        let underAnnsName = try LedgerTests.signoff(setup, "LAP-0042", sam, ["--approver", "Ann Lee"])
        #expect(underAnnsName.status == 1)
        #expect(
            underAnnsName.stdout.contains(
                "REFUSED: the approver named (Ann Lee) is not the holder of the certificate (Sam Okafor)"))
        #expect(underAnnsName.stdout.contains("signed the certificate of drive \(setup.image)"))
        #expect(underAnnsName.stdout.contains("a release needs a second person"))
        for spelling in ["Sam\u{00A0}Okafor", "Sam Ok\u{0430}for", "Sam\u{200B} Okafor", "Sam Okafor.", "sam okafor"] {
            let result = try LedgerTests.signoff(setup, "LAP-0042", sam, ["--approver", spelling])
            #expect(result.status == 1, "\(spelling)")
            #expect(result.stdout.contains("a release needs a second person"), "\(spelling)")
        }
        // A technician's certificate without the approver role cannot release at all.
        let tom = try setup.organisation.person("Tom", roles: ["technician"])
        let technician = try LedgerTests.signoff(setup, "LAP-0042", tom)
        #expect(technician.status == 1)
        #expect(technician.stdout.contains("Tom's certificate does not carry the approver role (it has technician)"))
        #expect(try entries(setup).count == before, "nothing written")
        // Ann, another key with the approver role, may.
        let released = try LedgerTests.signoff(setup, "LAP-0042", setup.ann)
        #expect(released.status == 0, "\(released.stdout)")
    }

    /// Names are shown NFKC-normalised and look-alikes are reported, at issue and at release,
    /// but never decide.
    @Test func lookalikeNamesAreReportedNotTrusted() throws {
        let setup = try LedgerTests.makeSetup(certificates: 0)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        #expect(PersonName.skeleton("Sam\u{00A0}Okafor") == PersonName.skeleton("Sam Okafor"))
        #expect(PersonName.skeleton("Sam Ok\u{0430}for") == PersonName.skeleton("Sam Okafor"))
        #expect(PersonName.skeleton("Sam\u{200B} Okafor") == PersonName.skeleton("sam okafor"))
        #expect(PersonName.skeleton("Sam Okafor.") == PersonName.skeleton("Sam Okafor"))
        #expect(PersonName.skeleton("Ann Lee") != PersonName.skeleton("Sam Okafor"))
        #expect(PersonName.display("Sam\u{200B}Okafor") == "Sam\\u{200B}Okafor")
        #expect(PersonName.display("\u{FF33}am") == "Sam", "NFKC")
        let sam = try setup.organisation.person("Sam Okafor", roles: ["technician"])
        let issued = try VigilBinary.run([
            "keys", "issue", "--ca-dir", setup.organisation.caDir, "--name", "Sam Ok\u{0430}for", "--role",
            "approver", "--out", setup.path("lookalike"),
        ])
        #expect(issued.status == 0)
        #expect(issued.stderr.contains("looks like Sam Okafor (key"))
        #expect(
            try LedgerTests.record(setup, "LAP-1", drives: [setup.image], extra: ["--ca", setup.organisation.ca]).status
                == 0)
        #expect(try LedgerTests.certify(setup, asset: "LAP-1", name: "c.json", person: sam).status == 0)
        let released = try LedgerTests.signoff(setup, "LAP-1", TestOrganisation.Person(dir: setup.path("lookalike")))
        #expect(released.status == 0)
        #expect(released.stderr.contains("have names that look alike: check they are two people"))
        let release = try #require(try entries(setup).last?.json)
        #expect(release["name_warnings"] != .array([]))
    }

    /// 2. The drive list rewritten after a refused sign-off: the change is an entry of its own,
    /// needs a reason, shows in the asset's timeline, and the release refuses until the approver
    /// accepts the missing drive by name.
    @Test func rewrittenDriveListIsRefusedUntilAccepted() throws {
        let setup = try LedgerTests.makeSetup(certificates: 0)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let m1 = setup.path("m1.img")
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: m1))
        #expect(
            try LedgerTests.record(setup, "LAP-1", drives: [m1, "NOT-WIPED"], extra: ["--ca", setup.organisation.ca])
                .status == 0)
        #expect(try LedgerTests.certify(setup, asset: "LAP-1", name: "m1.json", image: m1).status == 0)
        let first = try LedgerTests.signoff(setup, "LAP-1", setup.ann)
        #expect(first.status == 1)
        #expect(first.stdout.contains("no passing certificate for drive NOT-WIPED of LAP-1"))
        // Recording the asset again without the drive: refused without a reason.
        let silent = try LedgerTests.record(setup, "LAP-1", drives: [m1])
        #expect(silent.status == 1)
        #expect(silent.stdout.contains("taking drive(s) NOT-WIPED out of LAP-1's record needs a reason"))
        let changed = try LedgerTests.record(setup, "LAP-1", drives: [m1], extra: ["--reason", "was never in it"])
        #expect(changed.status == 0)
        let count = try entries(setup).count
        let refused = try LedgerTests.signoff(setup, "LAP-1", setup.ann)
        #expect(refused.status == 1)
        #expect(
            refused.stdout.contains(
                "drive NOT-WIPED was taken out of LAP-1's record by Sam in entry 4 (reason: was never in it): the approver must accept it by name"
            ))
        #expect(try entries(setup).count == count, "nothing written")
        let timeline = try VigilBinary.run(["ledger", "show", "LAP-1", "--store", setup.store])
        #expect(timeline.stdout.contains("TOOK OUT NOT-WIPED (reason: was never in it)"))
        let accepted = try LedgerTests.signoff(setup, "LAP-1", setup.ann, ["--accept-removed-drive", "NOT-WIPED"])
        #expect(accepted.status == 0, "\(accepted.stdout)")
        let release = try #require(try entries(setup).last?.json)
        #expect(release["accepted_removed_drives"]?[0]?["drive"]?.string == "NOT-WIPED")
        #expect(release["asset_record"]?["entry"]?.int == 4, "the release names the record it judged")
    }

    /// 3. Another device's nwipe log (a 4-day-old wipe of a 32 MiB loop device) backs no
    /// certificate of a 16 MiB image or loop device: each mismatch is named, nothing is written.
    @Test func anotherDevicesNwipeLogIsRefused() throws {
        let setup = try LedgerTests.makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let image = setup.path("16m.img")
        try Data(count: 16 << 20).write(to: URL(fileURLWithPath: image))
        let log = TestPaths.fixture("nwipe-zero.log", target: "VigilDisposalTests")
        func certify(_ target: String) throws -> ProcessResult {
            try VigilBinary.run(
                [
                    "wipe", "verify", target, "--expect", "zero", "--full", "--out", setup.path("x.json"), "--asset",
                    "LAP-3", "--nwipe-log", log, "--store", setup.store, "--quiet",
                ] + setup.sam.signing)
        }
        let before = try entries(setup).count
        let onImage = try certify(image)
        #expect(onImage.status == 2)
        #expect(onImage.stderr.contains("the log's device holds 33554432 bytes, the target 16777216"))
        #expect(onImage.stderr.contains("hours before the verification: more than the 72 hours allowed"))
        #expect(!FileManager.default.fileExists(atPath: setup.path("x.json")))
        #expect(try entries(setup).count == before)
        guard getuid() == 0, let losetup = Command.find("losetup") else {
            print("skipped the loop device: it needs root and losetup")
            return
        }
        let attached = try Command.run(losetup, ["--find", "--show", image])
        guard attached.status == 0 else { return }
        let device = attached.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        defer { _ = try? Command.run(losetup, ["--detach", device]) }
        let onDevice = try certify(device)
        #expect(onDevice.status == 2)
        #expect(onDevice.stderr.contains("the log's device holds 33554432 bytes, the target 16777216"))
        if device != "/dev/loop0" { #expect(onDevice.stderr.contains("the log is of /dev/loop0, not \(device)")) }
        #expect(try entries(setup).count == before)
    }

    /// The binding itself, on nwipe's real log: the device, size and time that match pass;
    /// each that does not is named.
    @Test func nwipeLogBindsToItsDevice() throws {
        let log = try NwipeLog(path: TestPaths.fixture("nwipe-zero.log", target: "VigilDisposalTests"))
        let device = try #require(log.devices.first)
        #expect(device.size == 33_554_432)
        #expect(device.model == "Loopback device")
        let ended = try #require(log.endedAt)
        let loop0 = WipeTarget.Identity(
            path: "/dev/loop0", kind: "block-device", size: 33_554_432, logicalBlockSize: 512)
        let soon = Timestamp(seconds: ended.seconds + 600)
        #expect(log.problems(for: loop0, expected: .zero, verificationStart: soon) == [])
        var other = loop0
        other.path = "/dev/loop7"
        other.size = 16 << 20
        #expect(
            log.problems(for: other, expected: .zero, verificationStart: soon) == [
                "the log is of /dev/loop0, not /dev/loop7",
                "the log's device holds 33554432 bytes, the target 16777216",
            ])
        // Serial numbers decide where both sides have a readable one (a loop device's is garbage).
        var disk = loop0
        disk.serial = "S4EWNX0R123456"
        #expect(log.problems(for: disk, expected: .zero, verificationStart: soon) == [])
        let early = Timestamp(seconds: ended.seconds - 3600)
        #expect(
            log.problems(for: loop0, expected: .zero, verificationStart: early).first?.contains(
                "after the verification started") == true)
        let late = Timestamp(seconds: ended.seconds + 4 * 86_400)
        #expect(
            log.problems(for: loop0, expected: .zero, verificationStart: late)
                == [
                    "the wipe ended at \(ended.iso8601), 96 hours before the verification: more than the 72 hours allowed"
                ])
        #expect(log.problems(for: loop0, expected: .zero, verificationStart: late, maxAge: 100 * 3600) == [])
        var image = loop0
        image.kind = "image-file"
        image.path = "/srv/disk.img"
        #expect(log.problems(for: image, expected: .zero, verificationStart: soon) == [], "an image: by size only")
    }

    /// 4. Signatures from outside the organisation, or by an expired certificate: refused before
    /// anything is written; the ledger still verifies against the organisation's CA afterwards.
    @Test func signersOutsideTheOrganisationAreRefused() throws {
        let setup = try LedgerTests.makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        #expect(try LedgerTests.record(setup, "LAP-1", drives: [setup.image]).status == 0)
        let outsiders = try TestOrganisation(in: setup.folder.appendingPathComponent("other"), organisation: "Other")
        let mallory = try outsiders.person("Mallory", roles: ["technician", "approver"])
        let before = try entries(setup).count
        let certificate = try LedgerTests.certify(setup, asset: "LAP-1", name: "m.json", person: mallory)
        #expect(certificate.status == 2)
        #expect(certificate.stderr.contains("Mallory's certificate is not issued by the ledger's CA"))
        #expect(!FileManager.default.fileExists(atPath: setup.path("m.json")))
        let release = try LedgerTests.signoff(setup, "LAP-1", mallory)
        #expect(release.status == 1)
        #expect(release.stdout.contains("Mallory's certificate is not issued by the ledger's CA"))
        // Naming the other CA does not change the ledger's.
        let otherCA = try LedgerTests.signoff(setup, "LAP-1", mallory, ["--ca", outsiders.ca])
        #expect(otherCA.status == 2)
        #expect(otherCA.stderr.contains("the ledger pins the CA Example Ltd disposal CA"))
        // An expired certificate of the organisation's own CA.
        let ca = try OrganisationCA(folder: setup.organisation.caDir)
        let key = try PrivateKey.generateP256()
        let expired = try Certificate.issue(
            commonName: "Eve", organisation: "Example Ltd", key: key, role: .signer, days: 0,
            issuer: (ca.certificate, ca.key), seconds: 1,
            extendedKeyUsages: [PersonRole.technician.objectIdentifier, PersonRole.approver.objectIdentifier])
        let eve = setup.path("eve")
        try FileManager.default.createDirectory(atPath: eve, withIntermediateDirectories: true)
        try KeyFile.write(key, to: eve + "/signer.key")
        try Data(try expired.pem()).write(to: URL(fileURLWithPath: eve + "/signer.pem"))
        sleep(2)
        let late = try LedgerTests.certify(setup, asset: "LAP-1", name: "e.json", person: .init(dir: eve))
        #expect(late.status == 2)
        #expect(late.stderr.contains("Eve's certificate expired on"))
        let lateRelease = try LedgerTests.signoff(setup, "LAP-1", .init(dir: eve))
        #expect(lateRelease.status == 1)
        #expect(lateRelease.stdout.contains("Eve's certificate expired on"))
        #expect(try entries(setup).count == before, "nothing written")
        // --days is checked, for the CA and for people.
        for arguments in [
            [
                "keys", "issue", "--ca-dir", setup.organisation.caDir, "--name", "X", "--role", "technician", "--days",
                "0", "--out", setup.path("x"),
            ],
            ["keys", "init", "--dir", setup.path("y"), "--days", "0"],
        ] {
            let refused = try VigilBinary.run(arguments)
            #expect(refused.status == 2)
            #expect(refused.stderr.contains("validity of 0 days is outside 1 to"))
        }
        let verified = try VigilBinary.run(["ledger", "verify", "--store", setup.store, "--ca", setup.organisation.ca])
        #expect(verified.status == 0, "\(verified.stdout)")
    }

    /// Keys owned by another user are refused, as are keys others may read.
    @Test func keysMustBeTheirOwnersAlone() throws {
        let setup = try LedgerTests.makeSetup(certificates: 0)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        guard getuid() == 0 else {
            print("skipped: changing a key's owner needs root")
            return
        }
        #expect(chown(setup.ann.key, 65534, 65534) == 0)
        let result = try LedgerTests.signoff(setup, "LAP-1", setup.ann)
        #expect(result.status == 2)
        #expect(result.stderr.contains("the signing key belongs to another user (uid 65534)"))
    }

    /// 5. Races: of concurrent sign-offs of one asset (different approvers), exactly one
    /// releases it, in each of 20 rounds; two `wipe verify` naming one certificate: one
    /// succeeds, the other is refused; eight `wipe verify` on one store leave a chain that verifies.
    @Test func concurrentSignoffsReleaseOnce() throws {
        let setup = try LedgerTests.makeSetup(certificates: 0)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let approvers =
            try [setup.ann] + ["Bea", "Cid", "Dee"].map { try setup.organisation.person($0, roles: ["approver"]) }
        #expect(
            try LedgerTests.record(setup, "CON-0", drives: [setup.image], extra: ["--ca", setup.organisation.ca]).status
                == 0)
        for round in 0..<20 {
            let tag = "CON-\(round)"
            if round > 0 { #expect(try LedgerTests.record(setup, tag, drives: [setup.image]).status == 0) }
            #expect(try LedgerTests.certify(setup, asset: tag, name: "\(tag).json").status == 0)
            let running = try approvers.map { person in
                try RunningVigil(
                    [
                        "signoff", tag, "--store", setup.store, "--receipt",
                        setup.path("\(tag)-\(person.dir.split(separator: "/").last!).json"),
                    ] + person.signing)
            }
            let results = running.map { $0.finish() }
            let released = results.filter { $0.stdout.hasPrefix("RELEASED:") }
            #expect(released.count == 1, "round \(round): \(results.map(\.stdout))")
            #expect(results.allSatisfy { $0.status == 0 || $0.stdout.contains("already released") }, "round \(round)")
            #expect(try entries(setup).filter { $0.kind == .release && $0.asset == tag }.count == 1)
        }
        #expect(try Ledger(path: setup.store).verify().isEmpty)
    }

    @Test func concurrentCertificatesKeepTheChainAndNeverOverwrite() throws {
        let setup = try LedgerTests.makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let before = try entries(setup).count
        /// `wipe verify … --out NAME --asset ASSET`, started.
        func certifying(_ name: String, asset: String) throws -> RunningVigil {
            try RunningVigil(
                [
                    "wipe", "verify", setup.image, "--expect", "zero", "--full", "--out", setup.path(name), "--asset",
                    asset, "--method", "zeros", "--tool", "nwipe 0.33", "--store", setup.store, "--quiet",
                ] + setup.sam.signing)
        }
        let eight = try (0..<8).map { try certifying("p\($0).json", asset: "PAR-\($0)") }
        #expect(eight.map { $0.finish() }.allSatisfy { $0.status == 0 })
        let after = try entries(setup)
        #expect(after.count == before + 8)
        #expect(try Ledger(path: setup.store).verify().isEmpty)
        for entry in after.dropFirst(before) {
            let file = setup.path("p" + entry.asset.dropFirst(4) + ".json")
            #expect(Array(try Data(contentsOf: URL(fileURLWithPath: file))) == entry.document)
        }
        // Two runs naming one certificate file: one writes it, the other is refused.
        let two = try (0..<2).map { try certifying("same.json", asset: "SAME-\($0)") }.map { $0.finish() }
        #expect(two.filter { $0.status == 0 }.count == 1, "\(two.map(\.stderr))")
        #expect(two.contains { $0.status == 2 && $0.stderr.contains("already exists") })
        let written = try #require(try entries(setup).last)
        #expect(Array(try Data(contentsOf: URL(fileURLWithPath: setup.path("same.json")))) == written.document)
        #expect(try entries(setup).count == before + 9)
    }

    /// 6. Deleting the newest entries leaves a valid, shorter chain; a head saved elsewhere and
    /// the approver's receipt both reveal it.
    @Test func deletedNewestEntriesAreFoundAgainstAHeadOrAReceipt() throws {
        let setup = try LedgerTests.makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        #expect(try LedgerTests.record(setup, "LAP-1", drives: [setup.image]).status == 0)
        let receipt = setup.path("LAP-1-receipt.json")
        let released = try VigilBinary.run(
            ["signoff", "LAP-1", "--store", setup.store, "--receipt", receipt] + setup.ann.signing)
        #expect(released.status == 0)
        #expect(released.stdout.contains("receipt: \(receipt) and \(receipt).p7s"))
        let openssl = try #require(Command.find("openssl"))
        let stock = try Command.run(
            openssl,
            [
                "cms", "-verify", "-binary", "-inform", "DER", "-content", receipt, "-in", receipt + ".p7s", "-CAfile",
                setup.organisation.ca, "-out", "/dev/null",
            ])
        #expect(stock.status == 0, "the receipt verifies with stock OpenSSL: \(stock.stderr)")
        let head = try VigilBinary.run(["ledger", "head", "--store", setup.store])
        let saved = try #require(head.stdout.split(separator: " ").dropFirst(2).first).replacingOccurrences(
            of: ",", with: "")
        #expect(
            try VigilBinary.run(["ledger", "verify", "--store", setup.store, "--head", saved, "--receipt", receipt])
                .status == 0)
        try LedgerTests.sqlite(setup.store, "DROP TRIGGER entries_no_delete; DELETE FROM entries WHERE id >= 3")
        #expect(
            try VigilBinary.run(["ledger", "verify", "--store", setup.store]).status == 0, "a shorter chain is a chain")
        let withHead = try VigilBinary.run(["ledger", "verify", "--store", setup.store, "--head", saved])
        #expect(withHead.status == 1)
        #expect(withHead.stdout.contains("TAMPERED: the ledger no longer holds the head \(saved)"))
        let withReceipt = try VigilBinary.run(["ledger", "verify", "--store", setup.store, "--receipt", receipt])
        #expect(withReceipt.status == 1)
        #expect(withReceipt.stdout.contains("the ledger no longer holds entry 4, the release of LAP-1"))
    }

    /// A new CA is an entry signed with the old CA's key; afterwards only the new CA's people
    /// may sign, and the old ones' entries still verify.
    @Test func theCAChangesOnlyWithTheOldCAsKey() throws {
        let setup = try LedgerTests.makeSetup(certificates: 1)
        defer { try? FileManager.default.removeItem(at: setup.folder) }
        let next = try TestOrganisation(in: setup.folder.appendingPathComponent("next"))
        let outsiders = try TestOrganisation(in: setup.folder.appendingPathComponent("other"))
        let forged = try VigilBinary.run([
            "ledger", "change-ca", "--ca-dir", outsiders.caDir, "--new-ca", outsiders.ca, "--reason", "x", "--store",
            setup.store,
        ])
        #expect(forged.status == 2)
        #expect(forged.stderr.contains("the CA given is not the one the ledger pins"))
        let changed = try VigilBinary.run([
            "ledger", "change-ca", "--ca-dir", setup.organisation.caDir, "--new-ca", next.ca, "--reason",
            "yearly rollover", "--store", setup.store,
        ])
        #expect(changed.status == 0, "\(changed.stderr)")
        #expect(try LedgerTests.certify(setup, asset: "LAP-2", name: "old.json").status == 2)
        let tess = try next.person("Tess", roles: ["technician"])
        #expect(
            try LedgerTests.certify(setup, asset: "LAP-2", name: "new.json", person: tess).status == 2,
            "--ca names the old CA")
        let result = try VigilBinary.run(
            [
                "wipe", "verify", setup.image, "--expect", "zero", "--full", "--out", setup.path("new.json"), "--asset",
                "LAP-2", "--method", "zeros", "--tool", "nwipe", "--store", setup.store, "--quiet",
            ] + tess.signing)
        #expect(result.status == 0, "\(result.stderr)")
        let verified = try VigilBinary.run(["ledger", "verify", "--store", setup.store, "--ca", setup.organisation.ca])
        #expect(verified.status == 0, "\(verified.stdout)")
        #expect(
            verified.stdout.contains(
                "CA pinned: Example Ltd disposal CA, SHA-256 \(try PEMFile.certificates(path: next.ca)[0].fingerprint())"
            ))
    }
}
