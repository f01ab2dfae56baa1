import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

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
