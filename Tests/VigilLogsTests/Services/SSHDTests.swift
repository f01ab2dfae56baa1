import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilTestSupport

@testable import VigilLogs

@Suite("Log service: sshd")
struct SSHDTests {
    @Test func sshdInAllItsSpellings() throws {
        let lines = events(
            of:
                "Nov 23 08:00:01 web1 sshd[1001]: Connection from 203.0.113.7 port 51000 on 10.0.0.2 port 22 rdomain \"\"",
            "Nov 23 08:00:02 web1 sshd[1001]: Failed password for root from 203.0.113.7 port 51000 ssh2",
            "Nov 23 08:00:03 web1 sshd-session[1002]: Invalid user oracle from 203.0.113.8 port 51002",
            "Nov 23 08:00:04 web1 sshd-auth[1003]: Failed password for invalid user admin from 2001:db8::66 port 51003 ssh2",
            "Nov 23 08:00:05 web1 sshd[1004]: Accepted publickey for alice from 10.0.0.5 port 51004 ssh2: ED25519 SHA256:Qm9vaw",
            "Nov 23 08:00:06 web1 sshd[1005]: Accepted password for bob from 10.0.0.6 port 51005 ssh2",
            "Nov 23 08:00:07 web1 sshd[1006]: Failed keyboard-interactive/pam for carol from 198.51.100.3 port 51006 ssh2",
            "Nov 23 08:00:08 web1 sshd[1007]: error: maximum authentication attempts exceeded for root from 198.51.100.4 port 51007 ssh2 [preauth]",
            "Nov 23 08:00:09 web1 sshd[1008]: Connection closed by authenticating user dave 198.51.100.5 port 51008 [preauth]",
            "Nov 23 08:00:12 web1 sshd[1011]: pam_unix(sshd:session): session opened for user alice(uid=1000) by alice(uid=0)"
        )
        let failure = only(lines[1])
        #expect(failure?.kind == .authFailure)
        #expect(field(failure, .srcIP) == "203.0.113.7")
        #expect(field(failure, .srcPort) == "51000")
        #expect(field(failure, .userName) == "root")
        #expect(field(failure, .service) == "sshd")
        #expect(field(failure, .hostName) == "web1")
        #expect(field(failure, .processPID) == "1001")
        #expect(field(failure, .authMethod) == "password")
        #expect(failure?.time == Timestamp(seconds: 1_763_884_802))  // 2025-11-23T08:00:02Z
        // OpenSSH 9.8's sshd-session and 10.0's sshd-auth.
        let invalid = lines[2].first
        #expect(field(invalid, .service) == "sshd-session")
        #expect(field(invalid, .eventReason) == "invalid user")
        #expect(field(invalid, .userName) == "oracle")
        let ipv6 = lines[3].first
        #expect(field(ipv6, .service) == "sshd-auth")
        #expect(field(ipv6, .srcIP) == "2001:db8::66")
        // Successes with their method.
        let accepted = lines[0..<6].joined().filter { $0.kind == .authSuccess }
        #expect(accepted.map { field($0, .userName) } == ["alice", "bob"])
        #expect(accepted.map { field($0, .authMethod) } == ["publickey", "password"])
        #expect(field(lines[6].first, .authMethod) == "keyboard-interactive/pam")
        #expect(field(lines[7].first, .eventReason) == "maximum authentication attempts exceeded")
        let closed = lines[8].first
        #expect(field(closed, .userName) == "dave")
        #expect(field(closed, .srcIP) == "198.51.100.5")
        // A session line is no authentication event: the line is an event of its own kind.
        #expect(lines[9].map(\.kind) == [.logLine])
    }

    @Test func messageRepeatedExpands() throws {
        let repeated = events(
            of:
                "Nov 23 08:00:11 web1 sshd[1010]: message repeated 3 times: [ Failed password for root from 203.0.113.10 port 51010 ssh2]"
        )[0]
        #expect(repeated.count == 3)
        #expect(repeated.allSatisfy { $0.kind == .authFailure && field($0, .srcIP) == "203.0.113.10" })
    }

    /// A "user name" that is a password is a leaked secret: masked everywhere, with its digest.
    @Test func passwordTypedAsUserName() throws {
        let onLine = events(
            of:
                "Nov 23 08:00:10 web1 sshd[1009]: Failed password for invalid user Winter2025! from 192.0.2.44 port 51009 ssh2"
        )[0]
        #expect(onLine.map(\.kind) == [.authFailure, .credentialObserved])
        let failure = onLine[0]
        #expect(field(failure, .userName) == "W*********!")
        let leak = try #require(onLine[1].credential)
        #expect(leak.secret.masked == "W*********!")
        #expect(
            try leak.secret.withClearBytes { try SHA256.hex($0) }
                == "9e78d4d1bb89cabf64a8586dd42e2c736a9159b3978244ad6216f6053a00ed45")
        #expect(leak.secret.reveal() == "Winter2025!")
        // No field of any event holds the clear text.
        for event in onLine { #expect(!event.fields.contains { $0.value.description.contains("Winter2025!") }) }
    }
}
