import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

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
        #expect(event[.dstIP] == .address(IPAddress("192.168.1.20")!))
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
        #expect(observed.allSatisfy { $0[.dstIP] == .address(IPAddress("192.168.1.20")!) })
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
