import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("NTLM over SMB")
struct NTLMCredentialTests {
    static let ntlmv2Blob =
        "0101000000000000" + String(repeating: "11", count: 8) + String(repeating: "22", count: 8)
        + "00000000"
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "smb2-ntlmv1.pcap", protocolName: "ntlmv1", user: "grace",
            secret:
                "grace::CORP:\(String(repeating: "bb", count: 24)):\(String(repeating: "aa", count: 24)):1122334455667788",
            outcome: "success (STATUS_SUCCESS)", server: "192.168.1.20:445", hashcatMode: 5500, domain: "CORP"),
        ProtocolCase(
            file: "smb1-ntlmv2.pcap", protocolName: "ntlmv2", user: "olga",
            secret: "olga::CORP:8899aabbccddeeff:000102030405060708090a0b0c0d0e0f:\(ntlmv2Blob)",
            outcome: "failure (STATUS_LOGON_FAILURE)", server: "192.168.1.20:445", hashcatMode: 5600, domain: "CORP"),
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
