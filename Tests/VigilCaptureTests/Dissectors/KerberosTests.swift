import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("Kerberos pre-authentication and service tickets")
struct KerberosCredentialTests {
    static let cases: [ProtocolCase] = [
        ProtocolCase(
            file: "kerberos.pcap", protocolName: "kerberos-asreq", user: "paula",
            secret: "$krb5pa$23$paula$CORP.EXAMPLE$$" + hex(16..<52) + hex(0..<16),
            outcome: "failure (KDC_ERR_PREAUTH_FAILED)",
            server: "192.168.1.20:88", hashcatMode: 7500, domain: "CORP.EXAMPLE"),
        ProtocolCase(
            file: "kerberos.pcap", protocolName: "kerberos-asreq", user: "quinn",
            secret: "$krb5pa$18$quinn$CORP.EXAMPLE$" + hex(0..<60), outcome: "success (AS-REP)",
            server: "192.168.1.20:88",
            hashcatMode: 19900, domain: "CORP.EXAMPLE"),
        ProtocolCase(
            file: "kerberos.pcap", protocolName: "kerberos-tgs-rc4", user: "MSSQLSvc/db01.corp.example:1433",
            secret: "$krb5tgs$23$*quinn$CORP.EXAMPLE$MSSQLSvc/db01.corp.example:1433*$" + hex(0..<16) + "$"
                + hex(16..<200), outcome: "success (TGS-REP)", server: "192.168.1.20:88", hashcatMode: 13100,
            domain: "CORP.EXAMPLE"),
    ]

    @Test(arguments: cases)
    func credentialIsFound(_ expected: ProtocolCase) throws { try expectCredential(expected) }
}
