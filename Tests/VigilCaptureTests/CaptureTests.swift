import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

/// A credential a fixture must yield.
struct ExpectedLogin: Sendable, CustomStringConvertible {
    var protocolName = "ftp"
    var user: String
    var secret: String
    var outcome: String
    var client: String
    var server: String
    var description: String { "\(user)@\(server) \(outcome)" }
}

/// One fixture and everything reading it must give.
struct CaptureCase: Sendable, CustomTestStringConvertible {
    var file: String
    var format: CaptureFormat
    var logins: [ExpectedLogin]
    var packets: Int
    var warning: String? = nil
    var testDescription: String { file }
}

private func read(_ path: String, limits: CaptureLimits = CaptureLimits()) throws -> (CaptureReader.Outcome, [Event]) {
    var events: [Event] = []
    let outcome = try CaptureReader(limits: limits).read(path: path) { events.append($0) }
    return (outcome, events)
}

/// Every capture FuzzCaptureFile found crashing (Fuzz/Regressions/FuzzCaptureFile/) is now read
/// or refused with an error, never a trap.
@Test func fuzzRegressionCapturesAreReadOrRefused() throws {
    let folder = TestPaths.root.appendingPathComponent("Fuzz/Regressions/FuzzCaptureFile")
    let names = try FileManager.default.contentsOfDirectory(atPath: folder.path)
    #expect(!names.isEmpty)
    for name in names {
        var limits = CaptureLimits(maxFlows: 64, maxHeldBytesPerDirection: 4096, probeBytes: 512)
        limits.analysisThreads = 2
        _ = try? CaptureReader(limits: limits).read(path: folder.appendingPathComponent(name).path) { _ in }
    }
}

@Suite("FTP logins from real capture files")
struct FTPCaptureTests {
    static let cases: [CaptureCase] = [
        CaptureCase(
            file: "ftp-port-2121.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "bob", secret: "hunter2", outcome: "failure (530)", client: "192.168.1.50:40000",
                    server: "192.168.1.20:2121"),
                ExpectedLogin(
                    user: "bob", secret: "correct horse battery staple", outcome: "success (230)",
                    client: "192.168.1.50:40000", server: "192.168.1.20:2121"),
            ], packets: 28),
        CaptureCase(
            file: "ftp-reordered.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "carol", secret: "Tr0ub4dor&3", outcome: "success (230)", client: "192.168.1.50:40001",
                    server: "192.168.1.20:21")
            ], packets: 22),
        CaptureCase(
            file: "ftp-midstream.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "dave", secret: "p@ss w0rd", outcome: "success (230)", client: "192.168.1.50:40002",
                    server: "192.168.1.20:2100")
            ], packets: 8),
        CaptureCase(
            file: "ftp-ipv6-sll.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "erin", secret: "s3cret-v6", outcome: "failure (530)", client: "[2001:db8::50]:40003",
                    server: "[2001:db8::20]:21")
            ], packets: 16),
        CaptureCase(
            file: "ftp-no-reply.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "grace", secret: "last-words", outcome: "unknown", client: "192.168.1.50:40020",
                    server: "192.168.1.20:21")
            ], packets: 11),
        CaptureCase(
            file: "ftp-null-loopback.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "heidi", secret: "loop-back", outcome: "success (230)", client: "192.168.1.50:40040",
                    server: "192.168.1.20:21")
            ], packets: 16),
        CaptureCase(
            file: "ftp-sll2.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "ivan", secret: "cooked-2", outcome: "success (230)", client: "192.168.1.50:40040",
                    server: "192.168.1.20:2121")
            ], packets: 16),
        CaptureCase(
            file: "ftp-qinq.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "judy", secret: "double-tag", outcome: "success (230)", client: "192.168.1.50:40040",
                    server: "192.168.1.20:21")
            ], packets: 16),
        CaptureCase(file: "ftp-auth-tls.pcap", format: .pcap, logins: [], packets: 16),
        CaptureCase(
            file: "no-ftp.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    protocolName: "pop3", user: "frank", secret: "frankly", outcome: "success (+OK)",
                    client: "192.168.1.50:40011", server: "192.168.1.20:1110")
            ], packets: 38),
        CaptureCase(
            file: "truncated.pcap", format: .pcap,
            logins: [
                ExpectedLogin(
                    user: "bob", secret: "hunter2", outcome: "failure (530)", client: "192.168.1.50:40000",
                    server: "192.168.1.20:2121"),
                ExpectedLogin(
                    user: "bob", secret: "correct horse battery staple", outcome: "success (230)",
                    client: "192.168.1.50:40000", server: "192.168.1.20:2121"),
            ], packets: 27, warning: "truncated capture: the record after packet 27 (at offset 2281) is incomplete"),
        CaptureCase(
            file: "truncated-header-only.pcap", format: .pcap, logins: [], packets: 0,
            warning: "truncated capture: the record after packet 0 (at offset 24)"),
    ]

    @Test(arguments: cases)
    func fixture(_ testCase: CaptureCase) throws {
        let path = TestPaths.fixture(testCase.file)
        #expect(CaptureFormat.detect(path: path) == testCase.format)
        let (outcome, events) = try read(path)
        #expect(outcome.error == nil)
        #expect(outcome.input.packets == testCase.packets)
        if let warning = testCase.warning {
            #expect(outcome.input.warnings.contains { $0.contains(warning) }, "\(outcome.input.warnings)")
        } else {
            #expect(outcome.input.warnings.isEmpty)
        }
        let credentials = events.compactMap(\.credential)
        #expect(events.allSatisfy { [.credentialObserved, .deviceObserved, .protocolObserved].contains($0.kind) })
        try #require(credentials.count == testCase.logins.count, "\(credentials.map(\.username))")
        for (credential, login) in zip(credentials, testCase.logins) {
            #expect(credential.protocolName == login.protocolName)
            #expect(credential.username == login.user)
            #expect(credential.secret.reveal() == login.secret)
            #expect(plainSHA256(credential.secret) == (try SHA256.hex(login.secret)))
            #expect(credential.outcome.description == login.outcome)
            #expect(credential.client?.description == login.client)
            #expect(credential.server?.description == login.server)
        }
    }

    @Test func eventsCarryPacketNumbersAndFields() throws {
        let (_, events) = try read(TestPaths.fixture("ftp-port-2121.pcap"))
        let first = try #require(events.first { $0.kind == .credentialObserved })
        #expect(first.source.position == .packet(10))
        #expect(first.credential?.packets == [6, 10, 12])
        #expect(first[.dstPort] == .int(2121))
        #expect(first[.userName] == .string("bob"))
        #expect(first[.credentialOutcome] == .string("failure"))
        #expect(first[.credentialAnonymous] == .bool(false))
        #expect(first.time == Timestamp(seconds: 1_700_000_000, nanoseconds: 10_000_000))
    }

    @Test func pcapngSampleHoldsOneRealLoginAndOneAnonymous() throws {
        let (outcome, events) = try read(TestPaths.sample("office.pcapng"))
        #expect(outcome.input.kind == "pcapng")
        #expect(outcome.input.packets == 99)
        let users = events.compactMap { $0.credential?.username }
        // The FTP logins, then the camera's HTTP Basic login (reported when its connection closes) and the SNMP community (no user).
        #expect(users == ["anonymous", "alice", "admin", ""])
        #expect(events.first { $0.credential?.username == "alice" }?[.credentialAnonymous] == .bool(false))
    }

    @Test func notACaptureIsAnErrorNamingTheFile() throws {
        let path = TestPaths.fixture("garbage.pcap")
        #expect(CaptureFormat.detect(path: path) == nil)
        let error = try #require(throws: VigilError.self) { try read(path) }
        #expect(error.code == .unrecognised)
        #expect(error.description.contains("garbage.pcap"))
        #expect(error.description.contains("not a pcap or pcapng capture"))
    }

    @Test func impossibleHeaderIsCorrupt() throws {
        let error = try #require(throws: VigilError.self) { try read(TestPaths.fixture("bad-header.pcap")) }
        #expect(error.code == .corrupt)
        #expect(error.description.contains("bad-header.pcap"))
        #expect(error.description.contains("unsupported pcap savefile version"))
    }

    @Test func heldBytesAreBoundedAndTheCutIsReported() throws {
        // With 4 bytes allowed out of order, the reordered PASS cannot wait for its first piece.
        let limits = CaptureLimits(maxHeldBytesPerDirection: 4)
        let (outcome, events) = try read(TestPaths.fixture("ftp-reordered.pcap"), limits: limits)
        #expect(outcome.input.warnings.contains { $0.contains("out of order") })
        #expect(events.compactMap(\.credential).allSatisfy { $0.secret.reveal() != "Tr0ub4dor&3" })
    }

    @Test func closedConnectionsLeaveTheTable() throws {
        // Three connections, one after the other: each is forgotten at its FINs, so a table of
        // one is enough and nothing is refused.
        let limits = CaptureLimits(maxFlows: 1)
        let (outcome, _) = try read(TestPaths.fixture("no-ftp.pcap"), limits: limits)
        #expect(outcome.error == nil)
        #expect(!outcome.input.warnings.contains { $0.contains("flow table full") })
    }

    @Test func flowTableLimitIsReported() {
        let table = FlowTable(path: "x", limits: CaptureLimits(maxFlows: 2))
        var events: [Event] = []
        let payload: [UInt8] = Array("USER a\r\n".utf8)
        payload.withUnsafeBytes { bytes in
            for port in UInt16(40000)..<40005 {
                let segment = TransportPacket(
                    source: IPAddress(v4: 0x0A00_0001), destination: IPAddress(v4: 0x0A00_0002), ipProtocol: 6,
                    sourcePort: port, destinationPort: 2121, sequence: 1, acknowledgement: 0, tcpFlags: TCPFlag.ack,
                    payload: bytes)
                table.process(segment, packet: Int(port - 39999), time: Timestamp(seconds: 1), into: &events)
            }
        }
        #expect(table.count == 2)
        #expect(table.warnings.count == 1)
        #expect(table.warnings.first?.contains("flow table full (2 connections)") == true)
    }
}

/// One credential each protocol fixture must yield (see make-fixtures.py for the traffic).
struct ProtocolCase: Sendable, CustomTestStringConvertible {
    var file: String
    var protocolName: String
    var user: String
    /// The clear secret, or for hashes the exact hashcat/john line.
    var secret: String
    var outcome: String
    var server: String
    var hashcatMode: Int? = nil
    var domain: String? = nil
    var testDescription: String { "\(file): \(protocolName) \(user)" }
}

/// Lower-case hex of the bytes `range` (as the fixture script writes `bytes(range(...))`).
func hex(_ range: Range<Int>) -> String { range.map { UInt8($0) }.hexString }

@Suite("Credentials from every protocol")
struct ProtocolTests {
    static let ntlmv2Blob =
        "0101000000000000" + String(repeating: "11", count: 8) + String(repeating: "22", count: 8)
        + "00000000"
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "http-basic-8080.pcap", protocolName: "http-basic", user: "admin", secret: "pa:ss:word",
            outcome: "success (200)", server: "192.168.1.20:8080"),
        ProtocolCase(
            file: "http-basic-8080.pcap", protocolName: "http-basic", user: "guest", secret: "guest",
            outcome: "failure (401)", server: "192.168.1.20:8080"),
        ProtocolCase(
            file: "http-forms.pcap", protocolName: "http-form", user: "carol", secret: "S3cr!t x", outcome: "unknown",
            server: "192.168.1.20:80"),
        ProtocolCase(
            file: "http-forms.pcap", protocolName: "http-form", user: "dan@example.org", secret: "hunter22",
            outcome: "failure (401)", server: "192.168.1.20:80"),
        ProtocolCase(
            file: "http-digest.pcap", protocolName: "http-digest", user: "erin",
            secret: "6629fae49393a05397450978507c4ef1", outcome: "success (200)", server: "192.168.1.20:80",
            domain: "camera"),
        ProtocolCase(
            file: "http-ntlm.pcap", protocolName: "ntlmv2", user: "frank",
            secret: "frank::CORP:0123456789abcdef:000102030405060708090a0b0c0d0e0f:\(ntlmv2Blob)",
            outcome: "success (200)", server: "192.168.1.20:80", hashcatMode: 5600, domain: "CORP"),
        ProtocolCase(
            file: "smb2-ntlmv1.pcap", protocolName: "ntlmv1", user: "grace",
            secret:
                "grace::CORP:\(String(repeating: "bb", count: 24)):\(String(repeating: "aa", count: 24)):1122334455667788",
            outcome: "success (STATUS_SUCCESS)", server: "192.168.1.20:445", hashcatMode: 5500, domain: "CORP"),
        ProtocolCase(
            file: "smb1-ntlmv2.pcap", protocolName: "ntlmv2", user: "olga",
            secret: "olga::CORP:8899aabbccddeeff:000102030405060708090a0b0c0d0e0f:\(ntlmv2Blob)",
            outcome: "failure (STATUS_LOGON_FAILURE)", server: "192.168.1.20:445", hashcatMode: 5600, domain: "CORP"),
        ProtocolCase(
            file: "pop3.pcap", protocolName: "pop3", user: "heidi", secret: "w0rdpass", outcome: "failure (-ERR)",
            server: "192.168.1.20:110"),
        ProtocolCase(
            file: "pop3.pcap", protocolName: "pop3-apop", user: "heidi", secret: "c4c9334bac560ecc979e58001b3e22fb",
            outcome: "success (+OK)", server: "192.168.1.20:110"),
        ProtocolCase(
            file: "imap-2143.pcap", protocolName: "imap", user: "ivan \"the\" user", secret: "pa\"ss\\wd",
            outcome: "failure (NO)", server: "192.168.1.20:2143"),
        ProtocolCase(
            file: "imap-2143.pcap", protocolName: "imap", user: "ivan", secret: "atom-pass", outcome: "success (OK)",
            server: "192.168.1.20:2143"),
        ProtocolCase(
            file: "imap-2143.pcap", protocolName: "imap", user: "judy", secret: "plain pass", outcome: "success (OK)",
            server: "192.168.1.20:2143"),
        ProtocolCase(
            file: "smtp-submission.pcap", protocolName: "smtp", user: "kim@example.org", secret: "wrong-one",
            outcome: "failure (535)", server: "192.168.1.20:587"),
        ProtocolCase(
            file: "smtp-submission.pcap", protocolName: "smtp", user: "kim@example.org", secret: "right-one",
            outcome: "success (235)", server: "192.168.1.20:587"),
        ProtocolCase(
            file: "telnet.pcap", protocolName: "telnet", user: "leo", secret: "t3ln3t!", outcome: "success (shell)",
            server: "192.168.1.20:23"),
        ProtocolCase(
            file: "redis-inline.pcap", protocolName: "redis", user: "default", secret: "s3cret-redis",
            outcome: "success (OK)", server: "192.168.1.20:6380"),
        ProtocolCase(
            file: "postgresql-md5.pcap", protocolName: "postgresql-md5", user: "app",
            secret: "$postgres$app*a1b2c3d4*0123456789abcdef0123456789abcdef", outcome: "success (AuthenticationOk)",
            server: "192.168.1.20:5432"),
        ProtocolCase(
            file: "postgresql-clear.pcap", protocolName: "postgresql", user: "app", secret: "pg-secret",
            outcome: "failure (28P01)", server: "192.168.1.20:5433"),
        ProtocolCase(
            file: "mysql.pcap", protocolName: "mysql", user: "root",
            secret: "$mysqlna$6162636465666768696a6b6c6d6e6f7071727374*"
                + "6465666768696a6b6c6d6e6f7071727374757677",
            outcome: "success (OK)", server: "192.168.1.20:3306"),
        ProtocolCase(
            file: "vnc.pcap", protocolName: "vnc", user: "",
            secret: "$vnc$*000102030405060708090A0B0C0D0E0F*101112131415161718191A1B1C1D1E1F",
            outcome: "failure (1)", server: "192.168.1.20:5900"),
        ProtocolCase(
            file: "kerberos.pcap", protocolName: "kerberos-asreq", user: "paula",
            secret: "$krb5pa$23$paula$CORP.EXAMPLE$$" + hex(16..<52) + hex(0..<16),
            outcome: "failure (KDC_ERR_PREAUTH_FAILED)",
            server: "192.168.1.20:88", hashcatMode: 7500, domain: "CORP.EXAMPLE"),
        ProtocolCase(
            file: "kerberos.pcap", protocolName: "kerberos-asreq", user: "quinn",
            secret: "$krb5pa$18$quinn$CORP.EXAMPLE$" + hex(0..<60), outcome: "success (AS-REP)",
            server: "192.168.1.20:88",
            hashcatMode: 19900, domain: "CORP.EXAMPLE"),
        ProtocolCase(
            file: "kerberos.pcap", protocolName: "kerberos-tgs-rc4", user: "MSSQLSvc/db01.corp.example:1433",
            secret: "$krb5tgs$23$*quinn$CORP.EXAMPLE$MSSQLSvc/db01.corp.example:1433*$" + hex(0..<16) + "$"
                + hex(16..<200), outcome: "success (TGS-REP)", server: "192.168.1.20:88", hashcatMode: 13100,
            domain: "CORP.EXAMPLE"),
        ProtocolCase(
            file: "snmp-fragmented.pcap", protocolName: "snmp", user: "", secret: "private-rw", outcome: "unknown",
            server: "192.168.1.20:161"),
        ProtocolCase(
            file: "ftp-ipv6-extension-headers.pcap", protocolName: "ftp", user: "mike", secret: "over-ipv6",
            outcome: "success (230)", server: "[2001:db8::20]:21"),
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws {
        let (outcome, events) = try read(TestPaths.fixture(expected.file))
        #expect(outcome.error == nil)
        #expect(outcome.input.warnings.isEmpty, "\(outcome.input.warnings)")
        let found = events.compactMap(\.credential)
        let match = try #require(
            found.first { $0.protocolName == expected.protocolName && $0.secret.reveal() == expected.secret },
            "found: \(found.map { "\($0.protocolName) \($0.username) \($0.secret.reveal())" })")
        #expect(match.username == expected.user)
        #expect(match.outcome.description == expected.outcome)
        #expect(match.server?.description == expected.server)
        #expect(match.hashcatMode == expected.hashcatMode)
        if let domain = expected.domain { #expect(match.domain == domain) }
        #expect(match.kind == (expected.hashcatMode != nil || expected.secret.hasPrefix("$") ? .hash : match.kind))
    }

    @Test func everyCredentialProtocolHasARule() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let protocols = Set(Self.cases.map(\.protocolName)).union(["ftp", "ldap"])
        for name in protocols {
            var event = Event(
                kind: .credentialObserved, time: Timestamp(seconds: 0),
                source: SourceLocation(path: "x", position: .packet(1)))
            event.set(.credentialProtocol, name)
            #expect(rules.rules.contains { RuleEngine.matches($0, event) }, "no rule reports \(name) credentials")
        }
    }

    @Test(arguments: ["absurd-caplen.pcap", "garbage-after-header.pcap"])
    func corruptRecordsStopWithAnErrorAndKeepWhatCameBefore(_ file: String) throws {
        let (outcome, _) = try read(TestPaths.fixture(file))
        let error = try #require(outcome.error)
        #expect(error.code == .corrupt)
        #expect(error.description.contains(file))
        #expect(error.description.contains("the packets before it were analysed"))
        #expect(outcome.input.packets == (file == "absurd-caplen.pcap" ? 4 : 0))
    }

    @Test func pcapngWithSeveralLinkTypesIsReadWhole() throws {
        let (outcome, events) = try read(TestPaths.fixture("mixed-link-types.pcapng"))
        #expect(outcome.error == nil)
        #expect(outcome.input.packets == 32)
        #expect(outcome.input.warnings.contains { $0.contains("different link types (1, 101)") })
        let logins = events.compactMap(\.credential).map { "\($0.username):\($0.secret.reveal())" }
        #expect(logins == ["nina:on-ethernet", "omar:on-raw-ip"])
    }

    @Test func zeroLengthRecordsAreSkipped() throws {
        let (outcome, events) = try read(TestPaths.fixture("zero-length-records.pcap"))
        #expect(outcome.error == nil)
        #expect(outcome.input.packets == 56)
        #expect(events.compactMap(\.credential).count == 2)
    }
}

@Suite("Devices from IPv6 neighbour discovery, DHCPv6 and NBNS")
struct MoreDeviceTests {
    @Test func sightings() throws {
        let (_, events) = try read(TestPaths.fixture("devices-ipv6-nbns.pcap"))
        let tracker = DeviceTracker()
        events.forEach(tracker.process)
        let devices = Dictionary(uniqueKeysWithValues: tracker.list().map { ($0.mac, $0) })
        let printer = try #require(devices["00:11:22:33:44:55"])
        #expect(printer.ips == ["fe80::211:22ff:fe33:4455"])
        #expect(printer.seenBy.contains("ndp"))
        let laptop = try #require(devices["aa:aa:bb:cc:dd:01"])
        #expect(laptop.hostnames == ["laptop-7.corp.example"])
        #expect(laptop.ips.contains("2001:db8::42"))
        #expect(laptop.locallyAdministered)
        let pc = try #require(devices["00:16:3e:00:00:77"])
        #expect(pc.hostnames == ["ACCOUNTING-PC"])
        #expect(pc.seenBy.contains("nbns"))
    }
}

@Suite("Protocols and versions in use")
struct ProtocolObservedTests {
    @Test(arguments: [
        ("tls10-sni.pcap", "tls", [Field.tlsVersion: "TLS 1.0", .tlsServerName: "legacy.example.org"]),
        ("tls13.pcap", "tls", [Field.tlsVersion: "TLS 1.3", .tlsServerName: "www.example.org"]),
        ("ssh-v1.pcap", "ssh", [Field.sshVersion: "1.x", .sshSoftware: "OpenSSH_2.9p2"]),
        ("ssh-v2.pcap", "ssh", [Field.sshVersion: "2.0", .sshSoftware: "OpenSSH_9.2p1"]),
        ("smb1-negotiate.pcap", "smb1", [:]),
        ("telnet.pcap", "telnet", [:]),
        ("ftp-port-2121.pcap", "ftp", [:]),
        ("ftp-auth-tls.pcap", "ftp", [Field.tlsVersion: "AUTH TLS"]),
    ])
    func observed(file: String, name: String, fields: [Field: String]) throws {
        let (_, events) = try read(TestPaths.fixture(file))
        let observed = events.filter { $0.kind == .protocolObserved }
        #expect(observed.count == 1, "\(observed.map { $0[.protocol]?.description ?? "?" })")
        let event = try #require(observed.first)
        #expect(event[.protocol] == .string(name))
        #expect(event[.dstIP] == .string("192.168.1.20"))
        for (field, value) in fields { #expect(event[field] == .string(value), "\(field)") }
    }

    @Test func rulesFlagTheWeakOnesOnly() throws {
        let rules = RuleSet.load(from: [TestPaths.rules]).rules
        func flagged(_ file: String) throws -> [String] {
            let (_, events) = try read(TestPaths.fixture(file))
            return events.filter { $0.kind == .protocolObserved }.flatMap { event in
                rules.filter { RuleEngine.matches($0, event) }.map(\.id)
            }
        }
        #expect(try flagged("tls10-sni.pcap") == ["net.insecure-protocol.tls-version"])
        #expect(try flagged("tls13.pcap").isEmpty)
        #expect(try flagged("ssh-v1.pcap") == ["net.insecure-protocol.ssh-v1"])
        #expect(try flagged("ssh-v2.pcap").isEmpty)
        #expect(try flagged("smb1-negotiate.pcap") == ["net.insecure-protocol.smb1"])
        #expect(try flagged("telnet.pcap") == ["net.insecure-protocol.telnet"])
        #expect(try flagged("ftp-port-2121.pcap") == ["net.insecure-protocol.ftp"])
        #expect(try flagged("ftp-auth-tls.pcap").isEmpty)
    }

    /// Each login seen in clear also says the service takes logins unprotected, with how; the
    /// shipped rules turn that into an insecure-protocol finding on the server.
    @Test(arguments: [
        ("http-basic-8080.pcap", "http", ["basic", "basic"], "net.insecure-protocol.http-auth"),
        ("http-digest.pcap", "http", ["digest"], "net.insecure-protocol.http-auth"),
        ("http-ntlm.pcap", "http", ["ntlm"], "net.insecure-protocol.http-auth"),
        ("http-forms.pcap", "http", ["form", "form"], "net.insecure-protocol.http-auth"),
        ("pop3.pcap", "pop3", ["password", "apop"], "net.insecure-protocol.mail-login"),
        ("imap-2143.pcap", "imap", ["password", "password", "plain"], "net.insecure-protocol.mail-login"),
        ("smtp-submission.pcap", "smtp", ["login", "plain"], "net.insecure-protocol.mail-login"),
        ("snmp-fragmented.pcap", "snmp", ["community"], "net.insecure-protocol.snmp-community"),
    ])
    func cleartextLogins(file: String, name: String, methods: [String], rule: String) throws {
        let (_, events) = try read(TestPaths.fixture(file))
        let observed = events.filter { $0.kind == .protocolObserved }
        #expect(observed.map { $0[.protocol] } == methods.map { _ in .string(name) })
        #expect(observed.map { $0[.authMethod] } == methods.map { .string($0) })
        #expect(observed.allSatisfy { $0[.dstIP] == .string("192.168.1.20") })
        let rules = RuleSet.load(from: [TestPaths.rules]).rules
        for event in observed { #expect(rules.filter { RuleEngine.matches($0, event) }.map(\.id) == [rule]) }
    }

    @Test(.enabled(if: TestPaths.conformance != nil)) func ldapSimpleBindInClear() throws {
        let path = try #require(TestPaths.conformance).appendingPathComponent("net/zeek-ldap-simpleauth.pcap").path
        let observed = try read(path).1.filter { $0.kind == .protocolObserved }
        #expect(observed.count == 2)
        #expect(observed.allSatisfy { $0[.protocol] == .string("ldap") && $0[.authMethod] == .string("simple") })
        let rules = RuleSet.load(from: [TestPaths.rules]).rules
        #expect(
            rules.filter { RuleEngine.matches($0, observed[0]) }.map(\.id) == ["net.insecure-protocol.ldap-simple-bind"]
        )
    }
}

@Suite("Decoding pieces")
struct DecodingTests {
    @Test(arguments: [
        (UInt64(0x2001_0db8_0000_0000), UInt64(1), "2001:db8::1"),
        (UInt64(0), UInt64(1), "::1"),
        (UInt64(0), UInt64(0), "::"),
        (UInt64(0xfe80_0000_0000_0000), UInt64(0x0200_5eff_fe00_5301), "fe80::200:5eff:fe00:5301"),
        (UInt64(0x2001_0db8_0000_0001), UInt64(0x0000_0000_0001_0001), "2001:db8:0:1::1:1"),
        (UInt64(0x2001_0db8_0001_0001), UInt64(0x0001_0001_0001_0001), "2001:db8:1:1:1:1:1:1"),
    ])
    func ipv6Text(high: UInt64, low: UInt64, text: String) {
        #expect(IPAddress(v6: high, low).text == text)
    }

    @Test func ipv4Text() {
        #expect(IPAddress(v4: 0xC0A8_0114).text == "192.168.1.20")
    }

    @Test func magicNumbers() {
        #expect(CaptureFormat.detect(magic: [0xD4, 0xC3, 0xB2, 0xA1]) == .pcap)
        #expect(CaptureFormat.detect(magic: [0xA1, 0xB2, 0xC3, 0xD4]) == .pcap)
        #expect(CaptureFormat.detect(magic: [0x4D, 0x3C, 0xB2, 0xA1]) == .pcap)
        #expect(CaptureFormat.detect(magic: [0x0A, 0x0D, 0x0D, 0x0A]) == .pcapng)
        #expect(CaptureFormat.detect(magic: [0x0A, 0x0D, 0x0D]) == nil)
        #expect(CaptureFormat.detect(magic: Array("GET ".utf8)) == nil)
    }

    @Test func ethernetPaddingIsNotPayload() {
        // A minimum-size frame: IPv4 total length 40 (no TCP payload), padded with 6 zero bytes.
        var frame: [UInt8] = Array(repeating: 0, count: 12) + [0x08, 0x00]
        frame += [0x45, 0, 0, 40, 0, 1, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        frame += [0x9c, 0x40, 0, 21, 0, 0, 0, 1, 0, 0, 0, 0, 0x50, 0x10, 0xff, 0xff, 0, 0, 0, 0]
        frame += Array(repeating: 0, count: 6)
        let packet = frame.withUnsafeBytes { PacketDecoder.decode($0, linkType: LinkType.ethernet)?.payload.count }
        #expect(packet == 0)
    }

    @Test func fragmentsAndShortHeadersAreSkipped() {
        var fragment: [UInt8] = [0x45, 0, 0, 28, 0, 1, 0x20, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]
        fragment += [0, 53, 0, 53, 0, 8, 0, 0]
        #expect(fragment.withUnsafeBytes { PacketDecoder.decode($0, linkType: LinkType.raw) } == nil)
        let short: [UInt8] = [0x45, 0, 0]
        #expect(short.withUnsafeBytes { PacketDecoder.decode($0, linkType: LinkType.raw) } == nil)
    }
}

@Suite("TCP reassembly")
struct ReassemblyTests {
    private func collect(_ segments: [(UInt32, String, UInt8)], limit: Int = 1 << 16) -> (String, Int) {
        var stream = HalfStream()
        var text = ""
        var gaps = 0
        let sink: (HalfStream.Output) -> Void = { output in
            switch output {
            case .data(let bytes, _, _): text += String(decoding: bytes, as: UTF8.self)
            case .gap: gaps += 1
            }
        }
        for (number, segment) in segments.enumerated() {
            let bytes = Array(segment.1.utf8)
            bytes.withUnsafeBytes { buffer in
                _ = stream.accept(
                    sequence: segment.0, flags: segment.2, payload: buffer, packet: number + 1,
                    time: Timestamp(seconds: 0), limit: limit, deliver: sink)
            }
        }
        stream.flush(deliver: sink)
        return (text, gaps)
    }

    @Test func inOrderOutOfOrderRetransmittedAndOverlapping() {
        let (text, gaps) = collect([
            (99, "", TCPFlag.syn),
            (100, "USER ", TCPFlag.ack),
            (110, "\r\n", TCPFlag.ack),  // ahead of a hole
            (105, "alice", TCPFlag.ack),  // fills it
            (100, "USER ", TCPFlag.ack),  // retransmission
            (108, "ce\r\nPASS", TCPFlag.ack),  // overlaps "ce\r\n", adds "PASS"
        ])
        #expect(text == "USER alice\r\nPASS")
        #expect(gaps == 0)
    }

    @Test func sequenceNumbersWrapAround() {
        let (text, _) = collect([
            (UInt32.max - 2, "", TCPFlag.syn),
            (UInt32.max - 1, "ab", TCPFlag.ack),
            (2, "ef", TCPFlag.ack),
            (0, "cd", TCPFlag.ack),
        ])
        #expect(text == "abcdef")
    }

    @Test func aHoleThatNeverFillsIsAGap() {
        let (text, gaps) = collect([(1, "one ", TCPFlag.ack), (100, "two", TCPFlag.ack)])
        #expect(text == "one two")
        #expect(gaps == 1)
    }
}

@Suite("Recognising FTP by content")
struct FTPProbeTests {
    private func probe(client: String, server: String, ports: (UInt16, UInt16) = (40000, 2121)) -> ProbeVerdict {
        ProbeInput.with(
            client: Array(client.utf8), server: Array(server.utf8), clientPort: ports.0, serverPort: ports.1
        ) {
            FTPDissector.probe($0)
        }
    }

    @Test func verdicts() {
        #expect(probe(client: "USER bob\r\n", server: "220 ready\r\n") == .yes(swapSides: false))
        #expect(probe(client: "", server: "220 ready\r\n") == .undecided)
        #expect(probe(client: "EHLO x\r\n", server: "220 mail ESMTP\r\n") == .no)
        #expect(probe(client: "USER bob\r\n", server: "+OK POP3\r\n") == .no)
        #expect(probe(client: "USER bob\r\n", server: "") == .undecided)
        #expect(probe(client: "USER bob\r\n", server: "331 pw\r\n") == .yes(swapSides: false))
        #expect(probe(client: "220 ready\r\n", server: "USER bob\r\n") == .yes(swapSides: true))
        #expect(probe(client: "\u{16}\u{03}\u{01}binary", server: "") == .no)
        #expect(probe(client: "", server: "", ports: (40000, 21)) == .yes(swapSides: false))
        #expect(probe(client: "", server: "", ports: (21, 40000)) == .yes(swapSides: true))
    }
}

/// The Zeek captures of `../shared/conformance/net/`: every credential and device listed must be
/// found, as `vigil audit FILE` would (credentials by protocol, user and digest or hash fields;
/// devices by MAC and the other fields given).
@Suite("Conformance: Zeek captures", .enabled(if: TestPaths.conformance != nil, "../shared/conformance is absent"))
struct NetConformanceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var credentials: [[String: String]]
        var devices: [[String: String]]
        var testDescription: String { file }
    }

    static var cases: [Case] {
        guard let folder = TestPaths.conformance?.appendingPathComponent("net"),
            let data = FileManager.default.contents(atPath: folder.appendingPathComponent("expected.json").path),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = json["cases"] as? [[String: Any]]
        else { return [] }
        /// Every value as text; lists joined with "|".
        func flatten(_ entry: [String: Any]) -> [String: String] {
            entry.compactMapValues { value in
                if let text = value as? String { return text }
                if let list = value as? [String] { return list.joined(separator: "|") }
                if let number = value as? NSNumber { return number.stringValue }
                return nil
            }
        }
        return list.compactMap { entry in
            guard let file = entry["file"] as? String else { return nil }
            return Case(
                file: file, credentials: (entry["credentials"] as? [[String: Any]] ?? []).map(flatten),
                devices: (entry["devices"] as? [[String: Any]] ?? []).map(flatten))
        }
    }

    @Test func everyCaseIsHere() { #expect(Self.cases.count == 13) }

    @Test(arguments: cases)
    func expectedValuesAreFound(_ testCase: Case) throws {
        let path = try #require(TestPaths.conformance).appendingPathComponent("net/\(testCase.file)").path
        let (outcome, events) = try read(path)
        #expect(outcome.error == nil)
        #expect(outcome.input.warnings.isEmpty, "\(outcome.input.warnings)")
        let found = events.compactMap(\.credential)
        for expected in testCase.credentials {
            let match = found.first { credential in
                guard credential.protocolName == expected["protocol"], credential.username == expected["username"]
                else { return false }
                if let digest = expected["secret_sha256"] { return plainSHA256(credential.secret) == digest }
                return true
            }
            let label = "\(expected["protocol"] ?? "?") credential of '\(expected["username"] ?? "")'"
            try #require(match != nil, "\(label) not found among \(found.map(\.username))")
            guard let match else { continue }
            if let secret = expected["secret"] { #expect(match.secret.reveal() == secret, "\(label)") }
            if let server = expected["server"] { #expect(match.server?.description == server, "\(label)") }
            if let client = expected["client_ip"] { #expect(match.client?.ip == client, "\(label)") }
            if let outcome = expected["outcome"] {
                #expect(match.outcome.description == outcome || match.outcome.label == outcome, "\(label)")
            }
            if let version = expected["version"] { #expect(match.attribute("version") == version, "\(label)") }
            if let domain = expected["domain"] { #expect(match.domain == domain, "\(label)") }
            if let workstation = expected["workstation"] { #expect(match.workstation == workstation, "\(label)") }
            if let mode = expected["hashcat_mode"] { #expect(match.hashcatMode.map(String.init) == mode, "\(label)") }
            if let challenge = expected["server_challenge"] {
                #expect(match.attribute("server_challenge") == challenge, "\(label)")
            }
            if let proof = expected["ntproofstr"] {
                // hashcat 5600: USER::DOMAIN:CHALLENGE:NTPROOFSTR:BLOB
                let fields = match.secret.reveal().split(separator: ":", omittingEmptySubsequences: false)
                #expect(fields.count == 6 && fields[4] == proof, "\(label)")
            }
        }
        guard !testCase.devices.isEmpty else { return }
        let tracker = DeviceTracker()
        events.forEach(tracker.process)
        let devices = tracker.list()
        for expected in testCase.devices {
            let mac = try #require(expected["mac"])
            let device = try #require(devices.first { $0.mac == mac }, "device \(mac) not found")
            if let name = expected["hostname"] {
                #expect(device.hostnames.contains(name), "\(mac) \(device.hostnames)")
            }
            for ip in expected["ips"]?.split(separator: "|").map(String.init) ?? [] {
                #expect(device.ips.contains(ip), "\(mac) lacks \(ip): \(device.ips)")
            }
            if let vendor = expected["vendor_contains"] {
                #expect(device.vendor?.contains(vendor) == true, "\(mac) vendor \(device.vendor ?? "nil")")
            }
            if let platform = expected["platform"] { #expect(device.platform == platform, "\(mac)") }
            if let port = expected["port"] { #expect(device.port == port, "\(mac)") }
            if let local = expected["locally_administered"] {
                #expect(device.locallyAdministered == (local == "1" || local == "true"), "\(mac)")
            }
        }
    }
}

/// A key whose hash ignores the table's seed and collides for every value: the worst case an
/// attacker could hope to craft.
private struct CollidingKey: PacketKey, Hashable {
    var value: Int
    func packetHash(_ seed: UInt64) -> UInt64 { 42 }
}

private struct NumberKey: PacketKey, Hashable {
    var value: UInt64
    func packetHash(_ seed: UInt64) -> UInt64 { mixHash(seed, value) }
}

@Suite("The packet path's hash table")
struct PacketMapTests {
    /// Random inserts, updates and removals agree with `Dictionary` at every step.
    @Test func agreesWithDictionary() {
        var map = PacketMap<NumberKey, Int>()
        var reference: [NumberKey: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let key = NumberKey(value: UInt64.random(in: 0..<600, using: &generator))
            switch Int.random(in: 0..<4, using: &generator) {
            case 0, 1:
                map[key] = step
                reference[key] = step
            case 2:
                map[key] = nil
                reference[key] = nil
            default:
                _ = map.update(key) { $0 += 1 }
                if reference[key] != nil { reference[key]! += 1 }
            }
            #expect(map[key] == reference[key])
        }
        #expect(map.count == reference.count)
        for (key, value) in reference { #expect(map[key] == value) }
        #expect(Set(map.entries.map(\.key)) == Set(reference.keys))
        map.removeAll { $0 % 2 == 0 }
        #expect(map.count == reference.values.filter { $0 % 2 != 0 }.count)
    }

    /// Keys that all collide still work, in bounded time (the rebuilds for long probes are
    /// amortised, not repeated on every insertion).
    @Test(.timeLimit(.minutes(1))) func collidingKeysStayCorrect() {
        var map = PacketMap<CollidingKey, Int>()
        for value in 0..<2_000 { map[CollidingKey(value: value)] = value }
        for value in stride(from: 0, to: 2_000, by: 3) { map[CollidingKey(value: value)] = nil }
        for value in 0..<2_000 {
            #expect(map[CollidingKey(value: value)] == (value % 3 == 0 ? nil : value))
        }
    }
}

/// A comparable summary of an event: kind, position, time, fields, and the secret's digest.
private func signature(_ event: Event) -> String {
    let fields = event.fields.map { "\($0.field)=\($0.value)" }.sorted().joined(separator: " ")
    let secret = event.credential.map { "\(plainSHA256($0.secret)) \($0.packets)" } ?? ""
    return "\(event.kind) \(event.source.position) \(event.time) \(fields) \(secret)"
}

@Suite("Analysis on several threads", .serialized)
struct ShardedAnalysisTests {
    static var captures: [String] {
        let fixtures = TestPaths.fixture("")
        var paths = (try? FileManager.default.contentsOfDirectory(atPath: fixtures)) ?? []
        paths = paths.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map {
            URL(fileURLWithPath: fixtures).appendingPathComponent($0).path
        }
        paths.append(TestPaths.sample("office.pcapng"))
        if let net = TestPaths.conformance?.appendingPathComponent("net"),
            let traces = try? FileManager.default.contentsOfDirectory(atPath: net.path)
        {
            paths += traces.filter { $0.hasSuffix(".pcap") || $0.hasSuffix(".pcapng") }.map {
                net.appendingPathComponent($0).path
            }
        }
        return paths.sorted()
    }

    /// Every fixture and conformance trace gives the same events, warnings and packet count on
    /// one, two and three analysing threads, with batches small enough to cross boundaries.
    @Test func sameEventsWhateverTheThreadCount() throws {
        let saved = PacketBatch.maxRecords
        PacketBatch.maxRecords = 7
        defer { PacketBatch.maxRecords = saved }
        let paths = Self.captures
        #expect(paths.count > 20)
        for path in paths {
            var results: [(events: [String], warnings: [String], packets: Int?, error: String?)] = []
            for threads in 1...3 {
                var limits = CaptureLimits()
                limits.analysisThreads = threads
                let outcome: CaptureReader.Outcome
                let events: [Event]
                do {
                    (outcome, events) = try read(path, limits: limits)
                } catch {
                    results.append(([], [], nil, "\(error)"))
                    continue
                }
                results.append(
                    (
                        events.map(signature).sorted(), outcome.input.warnings.sorted(), outcome.input.packets,
                        outcome.error.map { "\($0)" }
                    ))
            }
            for other in results.dropFirst() {
                #expect(other.events == results[0].events, "\(path)")
                #expect(other.warnings == results[0].warnings, "\(path)")
                #expect(other.packets == results[0].packets, "\(path)")
                #expect(other.error == results[0].error, "\(path)")
            }
        }
    }

    /// On several threads, the order of the events is the same from run to run, as reports
    /// depend on it (which evidence is kept first).
    @Test func orderIsStableAcrossRuns() throws {
        let saved = PacketBatch.maxRecords
        PacketBatch.maxRecords = 5
        defer { PacketBatch.maxRecords = saved }
        var limits = CaptureLimits()
        limits.analysisThreads = 3
        let path = TestPaths.sample("office.pcapng")
        let first = try read(path, limits: limits).1.map(signature)
        #expect(first.count > 10)
        for _ in 0..<5 { #expect(try read(path, limits: limits).1.map(signature) == first) }
    }
}

/// The plain SHA-256 of a secret, as the conformance data gives it: for comparison in tests
/// only (Vigil itself never writes one).
func plainSHA256(_ secret: Secret) -> String { secret.withClearBytes { (try? SHA256.hex($0)) ?? "" } }
