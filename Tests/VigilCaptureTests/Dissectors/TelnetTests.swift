import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Telnet logins")
struct TelnetCredentialTests {
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "telnet.pcap", protocolName: "telnet", user: "leo", secret: "t3ln3t!", outcome: "success (shell)",
            server: "192.168.1.20:23")
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
