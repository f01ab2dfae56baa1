import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

/// Every credential case of the dissector suites.
let allCredentialCases: [ProtocolCase] =
    HTTPCredentialTests.cases + NTLMCredentialTests.cases + MailCredentialTests.cases + TelnetCredentialTests.cases
    + RedisCredentialTests.cases + DatabasesCredentialTests.cases + VNCCredentialTests.cases
    + KerberosCredentialTests.cases + SNMPCredentialTests.cases + FTPv6CredentialTests.cases

@Suite("Every credential has a rule")
struct RuleCoverageTests {
    @Test func everyCredentialProtocolHasARule() throws {
        let rules = RuleSet.load(from: [TestPaths.rules])
        let protocols = Set(allCredentialCases.map(\.protocolName)).union(["ftp", "ldap"])
        for name in protocols {
            var event = Event(
                kind: .credentialObserved, time: Timestamp(seconds: 0),
                source: SourceLocation(path: "x", position: .packet(1)))
            event.set(.credentialProtocol, name)
            #expect(rules.rules.contains { RuleEngine.matches($0, event) }, "no rule reports \(name) credentials")
        }
    }
}
