import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Mail logins: POP3, IMAP, SMTP")
struct MailCredentialTests {
    static let cases: [ProtocolCase] = [
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
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
