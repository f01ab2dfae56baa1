import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Redis AUTH")
struct RedisCredentialTests {
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "redis-inline.pcap", protocolName: "redis", user: "default", secret: "s3cret-redis",
            outcome: "success (OK)", server: "192.168.1.20:6380")
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
