import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("FTP over IPv6 extension headers")
struct FTPv6CredentialTests {
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "ftp-ipv6-extension-headers.pcap", protocolName: "ftp", user: "mike", secret: "over-ipv6",
            outcome: "success (230)", server: "[2001:db8::20]:21")
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
