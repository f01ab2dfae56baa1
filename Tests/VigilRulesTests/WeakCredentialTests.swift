import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilRules

/// A clear-text credential for `user` with `password` over `protocolName`.
private func credential(
    _ user: String, _ password: String, protocolName: String = "ftp", kind: CredentialKind = .password
) throws -> Credential {
    Credential(
        protocolName: protocolName, username: user, secret: Secret(clear: Array(password.utf8)), kind: kind,
        client: Endpoint(ip: "10.0.0.5", port: 50000), server: Endpoint(ip: "10.0.0.9", port: 21),
        outcome: .unknown, packets: [1])
}

@Suite("Weak credentials: zxcvbn, vendor defaults, NIST SP 800-63B")
struct StrengthTests {
    let scorer = StrengthScorer()

    @Test func commonPasswordScoresZero() throws {
        let strength = try #require(scorer.strength(of: try credential("alice", "password")))
        #expect(strength.score == 0)
        #expect(strength.isWeak)
        #expect(!strength.isDefault)
        #expect(strength.weakBecause.contains("a common password or dictionary word"))
    }

    /// zxcvbn-c's own figure for "Summer2026!" (19.0 bits, checked with a small C program
    /// against the library): a word, a year-like date and a symbol.
    @Test func wordAndYearIsExplained() throws {
        let strength = try #require(scorer.strength(of: try credential("alice", "Summer2026!")))
        #expect(strength.score == 1)
        #expect(abs(strength.guessesLog10 - 5.72) < 0.01)
        #expect(strength.weakBecause.contains { $0.hasPrefix("built from a common word and a date") })
    }

    @Test func longRandomPassphraseIsNotWeak() throws {
        let strength = try #require(scorer.strength(of: try credential("alice", "correct-horse-battery-staple-9xq!")))
        #expect(strength.score == 4)
        #expect(!strength.isWeak, "\(strength.weakBecause)")
    }

    @Test func vendorDefaultsAreNamedByVendorNotByPassword() throws {
        let strength = try #require(scorer.strength(of: try credential("pi", "raspberry", protocolName: "ssh")))
        #expect(strength.isDefault)
        #expect(
            strength.weakBecause.first
                == "a vendor default credential (Raspberry Pi OS), tried first by every scanner and botnet")
        // The same password for another user is no default (but still a dictionary word).
        let other = try #require(scorer.strength(of: try credential("alice", "raspberry")))
        #expect(!other.isDefault)
        #expect(other.isWeak)
    }

    @Test func defaultSNMPCommunities() throws {
        for community in ["public", "private", "ILMI"] {
            let strength = try #require(
                scorer.strength(of: try credential("", community, protocolName: "snmp", kind: .community)))
            #expect(strength.isDefault, "\(community)")
        }
        let chosen = try #require(
            scorer.strength(of: try credential("", "Vq7#xL2p!mK9wE4r", protocolName: "snmp", kind: .community)))
        #expect(!chosen.isDefault)
        #expect(!chosen.isWeak, "\(chosen.weakBecause)")
    }

    /// NIST SP 800-63B: at least 8 characters, no context words (the user name, the service).
    @Test func nistLengthAndContext() throws {
        let short = try #require(scorer.strength(of: try credential("alice", "x9#Lq")))
        #expect(short.weakBecause.contains("5 characters long, under the 8 NIST SP 800-63B requires"))
        let named = try #require(scorer.strength(of: try credential("alice", "alice-Vq7#xL2p!mK9")))
        #expect(named.weakBecause.contains("contains the user name"))
        let same = try #require(scorer.strength(of: try credential("margaret", "margaret")))
        #expect(same.weakBecause.contains("the same as the user name"))
        let service = try #require(scorer.strength(of: try credential("bob", "myftp-Vq7#xL2p!mK9")))
        #expect(service.weakBecause.contains("contains a word from its context ('ftp')"))
        let empty = try #require(scorer.strength(of: try credential("sa", "", protocolName: "tds")))
        #expect(empty.weakBecause.contains("empty"))
    }

    /// The reasons are evidence a report prints: they never hold the secret.
    @Test func reasonsNeverHoldTheSecret() throws {
        for (user, password) in [
            ("pi", "raspberry"), ("alice", "Summer2026!"), ("bob", "qwerty123"), ("carol", "carol1985"),
            ("admin", "admin"), ("dave", "aaaaaaaa"),
        ] {
            let strength = try #require(scorer.strength(of: try credential(user, password)))
            #expect(strength.isWeak)
            for reason in strength.weakBecause { #expect(!reason.contains(password), "\(reason)") }
        }
    }

    @Test func hashesAreNotScored() throws {
        #expect(scorer.strength(of: try credential("alice", "alice::DOMAIN:1122:aabb:ccdd", kind: .hash)) == nil)
    }
}

@Suite("Event context: inventory, flip flop, logins")
struct EventContextTests {
    private func device(_ mac: String, ip: String, source: String = "arp", seconds: Int64 = 0) -> Event {
        var event = Event(
            kind: .deviceObserved, time: Timestamp(seconds: 1_763_715_600 + seconds),
            source: SourceLocation(path: "test", position: .packet(1)))
        event.set(.srcMAC, mac)
        event.set(.srcIP, ip)
        event.set(.deviceSource, source)
        return event
    }

    @Test func inventoryMarksManagedAndStatus() throws {
        let inventory = try Inventory(
            text: "mac,asset_tag,status\n3c:22:fb:11:22:33,LAP-1,active\nf4:8e:38:aa:bb:cc,LAP-2,disposed\n",
            path: "x.csv")
        let context = EventContext(inventory: inventory)
        var known = device("3c:22:fb:11:22:33", ip: "10.0.0.5")
        context.enrich(&known)
        #expect(known[.deviceManaged] == .bool(true))
        #expect(known[.assetTag] == .string("LAP-1"))
        var disposed = device("f4:8e:38:aa:bb:cc", ip: "10.0.0.17")
        context.enrich(&disposed)
        #expect(disposed[.assetStatus] == .string("disposed"))
        var stranger = device("02:42:ac:11:00:66", ip: "10.0.0.66")
        context.enrich(&stranger)
        #expect(stranger[.deviceManaged] == .bool(false))
        #expect(stranger[.assetTag] == nil)
        var noInventory = device("02:42:ac:11:00:66", ip: "10.0.0.66")
        EventContext().enrich(&noInventory)
        #expect(noInventory[.deviceManaged] == nil)
    }

    /// arpwatch's flip flop: an address claimed by a second MAC; traffic sightings (a router
    /// forwarding for many addresses) do not count.
    @Test func flipFlop() {
        let context = EventContext()
        var first = device("00:1b:21:00:00:01", ip: "10.0.0.1")
        context.enrich(&first)
        #expect(first[.devicePreviousMAC] == nil)
        var again = device("00:1b:21:00:00:01", ip: "10.0.0.1")
        context.enrich(&again)
        #expect(again[.devicePreviousMAC] == nil)
        var routed = device("02:42:ac:11:00:66", ip: "10.0.0.1", source: "traffic")
        context.enrich(&routed)
        #expect(routed[.devicePreviousMAC] == nil)
        var rogue = device("02:42:ac:11:00:66", ip: "10.0.0.1")
        context.enrich(&rogue)
        #expect(rogue[.devicePreviousMAC] == .string("00:1b:21:00:00:01"))
        var back = device("00:1b:21:00:00:01", ip: "10.0.0.1")
        context.enrich(&back)
        #expect(back[.devicePreviousMAC] == .string("02:42:ac:11:00:66"))
    }

    private func login(_ user: String, from ip: String, at seconds: Int64) -> Event {
        var event = Event(
            kind: .authSuccess, time: Timestamp(seconds: seconds),
            source: SourceLocation(path: "auth.log", position: .line(1)))
        event.set(.userName, user)
        event.set(.srcIP, ip)
        event.set(.hostName, "files")
        return event
    }

    @Test func newSourceNeedsAHistory() {
        let context = EventContext(timeZone: "UTC")
        var first = login("alice", from: "10.0.0.5", at: 1_763_712_000)
        context.enrich(&first)
        #expect(first[.authNewSource] == .bool(false), "a first login has nothing to compare with")
        var usual = login("alice", from: "10.0.0.5", at: 1_763_715_600)
        context.enrich(&usual)
        #expect(usual[.authNewSource] == .bool(false))
        var new = login("alice", from: "192.0.2.200", at: 1_763_767_219)
        context.enrich(&new)
        #expect(new[.authNewSource] == .bool(true))
        var bob = login("bob", from: "192.0.2.200", at: 1_763_767_219)
        context.enrich(&bob)
        #expect(bob[.authNewSource] == .bool(false))
    }

    /// 2025-11-21T23:40:19Z is a Friday: hour 23 in UTC, Saturday 00:40 in Paris (UTC+1).
    @Test func hourAndWeekdayInTheAuditsZone() {
        var utc = login("alice", from: "10.0.0.5", at: 1_763_768_419)
        EventContext(timeZone: "UTC").enrich(&utc)
        #expect(utc[.eventHour] == .int(23))
        #expect(utc[.eventWeekday] == .int(5))
        var paris = login("alice", from: "10.0.0.5", at: 1_763_768_419)
        EventContext(timeZone: "Europe/Paris").enrich(&paris)
        #expect(paris[.eventHour] == .int(0))
        #expect(paris[.eventWeekday] == .int(6))
        var offset = login("alice", from: "10.0.0.5", at: 1_763_768_419)
        EventContext(timeZone: "-05:00").enrich(&offset)
        #expect(offset[.eventHour] == .int(18))
        #expect(offset[.eventWeekday] == .int(5))
    }

    @Test func credentialsAreScoredAndAnonymousOnesAreNot() throws {
        let context = EventContext()
        var event = Event(
            kind: .credentialObserved, time: Timestamp(seconds: 0),
            source: SourceLocation(path: "t", position: .packet(1)),
            credential: try credential("admin", "admin", protocolName: "http-basic"))
        context.enrich(&event)
        #expect(event[.credentialDefault] == .bool(true))
        #expect(event[.credentialWeak] == .bool(true))
        #expect(event[.credentialScore] == .int(0))
        #expect(event.credential?.strength?.isDefault == true)
        var anonymous = Event(
            kind: .credentialObserved, time: Timestamp(seconds: 0),
            source: SourceLocation(path: "t", position: .packet(1)),
            credential: try credential("anonymous", "guest@example.org"))
        anonymous.set(.credentialAnonymous, true)
        context.enrich(&anonymous)
        #expect(anonymous[.credentialWeak] == nil)
        #expect(anonymous.credential?.strength == nil)
    }
}

@Suite("Asset inventory CSV")
struct InventoryTests {
    @Test func headersInAnyCaseAndOrderMACsInAnyNotation() throws {
        let lines = [
            "\u{FEFF}Owner,STATUS,MAC Address,Hostname,Asset Tag,IP",
            "alice,Active,3C-22-FB-11-22-33,alice-mac,LAP-0042,",
            "it,retired,0011.3244.5566,nas,NAS-1,10.0.0.9",
            #""Smith, Bob",disposed,f48e38aabbcc; F4:8E:38:AA:BB:CD,"old ""desk""",DSK-7,"#,
            ",,,printer,PRN-1,10.0.0.30",
            "",
        ]
        let text = lines.joined(separator: "\r\n")
        let inventory = try Inventory(text: text, path: "assets.csv")
        #expect(inventory.assets.count == 4)
        let bob = try #require(inventory.asset(mac: "f4:8e:38:aa:bb:cd"))
        #expect(bob.tag == "DSK-7")
        #expect(bob.owner == "Smith, Bob")
        #expect(bob.hostname == "old \"desk\"")
        #expect(bob.status == "disposed")
        #expect(bob.macs == ["f4:8e:38:aa:bb:cc", "f4:8e:38:aa:bb:cd"])
        #expect(bob.line == 4)
        #expect(inventory.asset(mac: "3c:22:fb:11:22:33")?.tag == "LAP-0042")
        #expect(inventory.asset(mac: "00:11:32:44:55:66")?.status == "retired")
        #expect(inventory.asset(mac: "00:00:00:00:00:01", hostnames: ["PRINTER"])?.tag == "PRN-1")
        #expect(inventory.asset(mac: "00:00:00:00:00:01", ips: ["10.0.0.30"])?.tag == "PRN-1")
        // An address of a row with a MAC does not vouch for another MAC.
        #expect(inventory.asset(mac: "00:00:00:00:00:01", ips: ["10.0.0.9"]) == nil)
    }

    @Test func quotedFieldsMayHoldLineBreaks() throws {
        let inventory = try Inventory(
            text: "hostname,mac,owner\nlab,00:11:22:33:44:55,\"two\nlines\"\nnext,00:11:22:33:44:56,x\n", path: "a.csv")
        #expect(inventory.assets.map(\.line) == [2, 4])
    }

    @Test(arguments: [
        ("", "a.csv: line 1: empty inventory: no header"),
        (
            "owner,status\nalice,active\n",
            "a.csv: line 1: the header names no 'mac', 'hostname' or 'ip' column (columns: asset_tag, hostname, mac, ip, owner, status)"
        ),
        (
            "mac,status\n00:11:22:33:44:55,active\n00:11:22:33:44,active\n",
            "a.csv: line 3: '00:11:22:33:44' is not a MAC address"
        ),
        (
            "mac,status\n00:11:22:33:44:55,scrapped\n",
            "a.csv: line 2: status 'scrapped' is not one of active, retired, disposed"
        ),
    ])
    func errorsNameTheLine(text: String, message: String) {
        #expect(throws: VigilError.self) { try Inventory(text: text, path: "a.csv") }
        do {
            _ = try Inventory(text: text, path: "a.csv")
        } catch {
            #expect(error.description == message)
        }
    }
}

@Suite("Checklist templates")
struct ChecklistTemplateTests {
    /// Every shipped template loads, the seven the issue names are there, and every checklist id
    /// a shipped rule calls for is defined.
    @Test func shippedTemplatesCoverEveryRule() throws {
        let library = try ChecklistLibrary.load(folder: TestPaths.rules + "/checklists")
        #expect(
            Set(library.templates.map(\.id)) == [
                "credential-exposure", "brute-force-compromise", "unmanaged-device", "disposed-asset-seen",
                "malware-ransomware", "lost-stolen-device", "generic-breach",
            ])
        let set = RuleSet.load(from: [TestPaths.rules])
        #expect(set.errors.isEmpty, "the rule loader leaves checklists/ alone")
        let used = Set(set.rules.flatMap(\.checklist) + set.correlations.flatMap(\.checklist))
        for id in used { #expect(library.items[id] != nil, "\(id) is in no template") }
        for template in library.templates {
            #expect(!template.items.isEmpty)
            for item in template.items { #expect(!item.role.isEmpty && !item.text.isEmpty) }
        }
    }

    @Test func brokenTemplatesNameTheFile() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "checklist: x\ntitle: X\nitems:\n    - id: a\n      phase: panic\n      role: r\n      text: t\n".write(
            to: folder.appendingPathComponent("x.yml"), atomically: true, encoding: .utf8)
        let error = try #require(throws: VigilError.self) { try ChecklistLibrary.load(folder: folder.path) }
        #expect(error.description.contains("x.yml: line 4: item 'a': phase is not one of declare, contain"))
    }
}
