import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("SNMP communities")
struct SNMPCredentialTests {
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "snmp-fragmented.pcap", protocolName: "snmp", user: "", secret: "private-rw", outcome: "unknown",
            server: "192.168.1.20:161")
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
