import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("VNC authentication")
struct VNCCredentialTests {
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "vnc.pcap", protocolName: "vnc", user: "",
            secret: "$vnc$*000102030405060708090A0B0C0D0E0F*101112131415161718191A1B1C1D1E1F",
            outcome: "failure (1)", server: "192.168.1.20:5900")
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
