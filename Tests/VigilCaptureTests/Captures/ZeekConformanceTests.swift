import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

/// The Zeek captures of `../shared/conformance/net/`: every credential and device listed must be
/// found, as `vigil audit FILE` would (credentials by protocol, user and digest or hash fields;
/// devices by MAC and the other fields given).
@Suite("Conformance: Zeek captures", .enabled(if: TestPaths.conformance != nil, "../shared/conformance is absent"))
struct NetConformanceTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var file: String
        var credentials: [[String: String]]
        var devices: [[String: String]]
        var testDescription: String { file }
    }

    static var cases: [Case] {
        guard let folder = TestPaths.conformance?.appendingPathComponent("net"),
            let data = FileManager.default.contents(atPath: folder.appendingPathComponent("expected.json").path),
            let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let list = json["cases"] as? [[String: Any]]
        else { return [] }
        /// Every value as text; lists joined with "|".
        func flatten(_ entry: [String: Any]) -> [String: String] {
            entry.compactMapValues { value in
                if let text = value as? String { return text }
                if let list = value as? [String] { return list.joined(separator: "|") }
                if let number = value as? NSNumber { return number.stringValue }
                return nil
            }
        }
        return list.compactMap { entry in
            guard let file = entry["file"] as? String else { return nil }
            return Case(
                file: file, credentials: (entry["credentials"] as? [[String: Any]] ?? []).map(flatten),
                devices: (entry["devices"] as? [[String: Any]] ?? []).map(flatten))
        }
    }

    @Test func everyCaseIsHere() { #expect(Self.cases.count == 13) }

    @Test(arguments: cases)
    func expectedValuesAreFound(_ testCase: Case) throws {
        let path = try #require(TestPaths.conformance).appendingPathComponent("net/\(testCase.file)").path
        let (outcome, events) = try read(path)
        #expect(outcome.error == nil)
        #expect(outcome.input.warnings.isEmpty, "\(outcome.input.warnings)")
        let found = events.compactMap(\.credential)
        for expected in testCase.credentials {
            let match = found.first { credential in
                guard credential.protocolName == expected["protocol"], credential.username == expected["username"]
                else { return false }
                if let digest = expected["secret_sha256"] { return plainSHA256(credential.secret) == digest }
                return true
            }
            let label = "\(expected["protocol"] ?? "?") credential of '\(expected["username"] ?? "")'"
            try #require(match != nil, "\(label) not found among \(found.map(\.username))")
            guard let match else { continue }
            if let secret = expected["secret"] { #expect(match.secret.reveal() == secret, "\(label)") }
            if let server = expected["server"] { #expect(match.server?.description == server, "\(label)") }
            if let client = expected["client_ip"] { #expect(match.client?.ip == client, "\(label)") }
            if let outcome = expected["outcome"] {
                #expect(match.outcome.description == outcome || match.outcome.label == outcome, "\(label)")
            }
            if let version = expected["version"] { #expect(match.attribute("version") == version, "\(label)") }
            if let domain = expected["domain"] { #expect(match.domain == domain, "\(label)") }
            if let workstation = expected["workstation"] { #expect(match.workstation == workstation, "\(label)") }
            if let mode = expected["hashcat_mode"] { #expect(match.hashcatMode.map(String.init) == mode, "\(label)") }
            if let challenge = expected["server_challenge"] {
                #expect(match.attribute("server_challenge") == challenge, "\(label)")
            }
            if let proof = expected["ntproofstr"] {
                // hashcat 5600: USER::DOMAIN:CHALLENGE:NTPROOFSTR:BLOB
                let fields = match.secret.reveal().split(separator: ":", omittingEmptySubsequences: false)
                #expect(fields.count == 6 && fields[4] == proof, "\(label)")
            }
        }
        guard !testCase.devices.isEmpty else { return }
        let tracker = DeviceTracker()
        events.forEach(tracker.process)
        let devices = tracker.list()
        for expected in testCase.devices {
            let mac = try #require(expected["mac"])
            let device = try #require(devices.first { $0.mac == mac }, "device \(mac) not found")
            if let name = expected["hostname"] {
                #expect(device.hostnames.contains(name), "\(mac) \(device.hostnames)")
            }
            for ip in expected["ips"]?.split(separator: "|").map(String.init) ?? [] {
                #expect(device.ips.contains(ip), "\(mac) lacks \(ip): \(device.ips)")
            }
            if let vendor = expected["vendor_contains"] {
                #expect(device.vendor?.contains(vendor) == true, "\(mac) vendor \(device.vendor ?? "nil")")
            }
            if let platform = expected["platform"] { #expect(device.platform == platform, "\(mac)") }
            if let port = expected["port"] { #expect(device.port == port, "\(mac)") }
            if let local = expected["locally_administered"] {
                #expect(device.locallyAdministered == (local == "1" || local == "true"), "\(mac)")
            }
        }
    }
}
