import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

/// A credential a fixture must yield.
struct ExpectedLogin: Sendable, CustomStringConvertible {
    var protocolName = "ftp"
    var user: String
    var secret: String
    var outcome: String
    var client: String
    var server: String
    var description: String { "\(user)@\(server) \(outcome)" }
}

/// One fixture and everything reading it must give.
struct CaptureCase: Sendable, CustomTestStringConvertible {
    var file: String
    var format: CaptureFormat
    var logins: [ExpectedLogin]
    var packets: Int
    var warning: String? = nil
    var testDescription: String { file }
}

func read(_ path: String, limits: CaptureLimits = CaptureLimits()) throws -> (CaptureReader.Outcome, [Event]) {
    var events: [Event] = []
    let outcome = try CaptureReader(limits: limits).read(path: path) { events.append($0) }
    return (outcome, events)
}

struct ProtocolCase: Sendable, CustomTestStringConvertible {
    var file: String
    var protocolName: String
    var user: String
    /// The clear secret, or for hashes the exact hashcat/john line.
    var secret: String
    var outcome: String
    var server: String
    var hashcatMode: Int? = nil
    var domain: String? = nil
    var testDescription: String { "\(file): \(protocolName) \(user)" }
}

/// Lower-case hex of the bytes `range` (as the fixture script writes `bytes(range(...))`).
func hex(_ range: Range<Int>) -> String { range.map { UInt8($0) }.hexString }

/// Reads `expected.file` and checks it yields the credential `expected` names.
func expectCredential(_ expected: ProtocolCase) throws {
    let (outcome, events) = try read(TestPaths.fixture(expected.file))
    #expect(outcome.error == nil)
    #expect(outcome.input.warnings.isEmpty, "\(outcome.input.warnings)")
    let found = events.compactMap(\.credential)
    let match = try #require(
        found.first { $0.protocolName == expected.protocolName && $0.secret.reveal() == expected.secret },
        "found: \(found.map { "\($0.protocolName) \($0.username) \($0.secret.reveal())" })")
    #expect(match.username == expected.user)
    #expect(match.outcome.description == expected.outcome)
    #expect(match.server?.description == expected.server)
    #expect(match.hashcatMode == expected.hashcatMode)
    if let domain = expected.domain { #expect(match.domain == domain) }
    #expect(match.kind == (expected.hashcatMode != nil || expected.secret.hasPrefix("$") ? .hash : match.kind))
}

/// A comparable summary of an event: kind, position, time, fields, and the secret's digest.
func signature(_ event: Event) -> String {
    let fields = event.fields.map { "\($0.field)=\($0.value)" }.sorted().joined(separator: " ")
    let secret = event.credential.map { "\(plainSHA256($0.secret)) \($0.packets)" } ?? ""
    return "\(event.kind) \(event.source.position) \(event.time) \(fields) \(secret)"
}

func plainSHA256(_ secret: Secret) -> String { secret.withClearBytes { (try? SHA256.hex($0)) ?? "" } }
