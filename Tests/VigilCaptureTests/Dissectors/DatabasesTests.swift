import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Database logins: PostgreSQL, MySQL")
struct DatabasesCredentialTests {
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "postgresql-md5.pcap", protocolName: "postgresql-md5", user: "app",
            secret: "$postgres$app*a1b2c3d4*0123456789abcdef0123456789abcdef", outcome: "success (AuthenticationOk)",
            server: "192.168.1.20:5432"),
        ProtocolCase(
            file: "postgresql-clear.pcap", protocolName: "postgresql", user: "app", secret: "pg-secret",
            outcome: "failure (28P01)", server: "192.168.1.20:5433"),
        ProtocolCase(
            file: "mysql.pcap", protocolName: "mysql", user: "root",
            secret: "$mysqlna$6162636465666768696a6b6c6d6e6f7071727374*"
                + "6465666768696a6b6c6d6e6f7071727374757677",
            outcome: "success (OK)", server: "192.168.1.20:3306"),
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
