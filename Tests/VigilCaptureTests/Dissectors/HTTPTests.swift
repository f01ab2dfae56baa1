import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("HTTP logins: Basic, Digest, forms, NTLM over HTTP")
struct HTTPCredentialTests {
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
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}

@Suite("HTTP framing")
struct HTTPFramingTests {
    /// Chunk sizes are hexadecimal digits; a control byte (which folding to lower case would turn
    /// into a digit: 0x10 | 0x20 is `0`) is no digit. FuzzFlows found the trap this was.
    @Test func chunkSizesAreHexDigitsOnly() {
        func size(_ bytes: [UInt8]) -> Int? { bytes.withUnsafeBytes { HTTPMessageDecoder.chunkSize($0) } }
        #expect(size(Array("1a".utf8)) == 26)
        #expect(size(Array("1A ; name=value".utf8)) == 26)
        #expect(size(Array("0".utf8)) == 0)
        #expect(size([0x31, 0x10]) == nil)
        #expect(size([0x19]) == nil)
        #expect(size(Array("g".utf8)) == nil)
        #expect(size(Array("1234567890abc".utf8)) == nil)
    }
}
