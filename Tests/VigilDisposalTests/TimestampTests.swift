import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilCrypto
@testable import VigilDisposal

/// RFC 3161 against a local time-stamping authority (`Fixtures/tsa-server.py`, which answers
/// with `openssl ts -reply`).
@Suite("RFC 3161 timestamps", .serialized)
struct TimestampTests {
    /// Starts the local TSA in `folder`; returns its URL and the process to stop.
    /// The TSA exits when its standard input closes: `stop` closes it (and terminates it).
    final class Authority {
        let url: String
        let process: Process
        let input: Pipe
        init(url: String, process: Process, input: Pipe) {
            self.url = url
            self.process = process
            self.input = input
        }
        func stop() {
            try? input.fileHandleForWriting.close()
            process.terminate()
        }
    }

    private func startAuthority(_ folder: URL) throws -> Authority? {
        guard let python = Command.find("python3") else {
            print("skipped: python3 is needed for the local TSA")
            return nil
        }
        let process = Process()
        process.executableURL = python
        process.arguments = [TestPaths.fixture("tsa-server.py", target: "VigilDisposalTests"), folder.path]
        let output = Pipe()
        let input = Pipe()
        process.standardOutput = output
        process.standardInput = input
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while !line.contains(0x0A) {
            let chunk = output.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line += chunk
        }
        let text = String(decoding: line, as: UTF8.self)
        guard text.hasPrefix("PORT "), let port = Int(text.dropFirst(5).prefix { $0.isNumber }) else {
            try? input.fileHandleForWriting.close()
            process.terminate()
            Issue.record("the local TSA did not start: \(text)")
            return nil
        }
        return Authority(url: "http://127.0.0.1:\(port)/", process: process, input: input)
    }

    /// A signature made with a signer certificate that expires six seconds later still
    /// verifies afterwards, at the time the TSA vouched for; without the timestamp it does not.
    @Test func signaturesOutliveTheirSignerCertificate() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        guard let tsa = try startAuthority(folder.appendingPathComponent("tsa")) else { return }
        defer { tsa.stop() }
        let url = tsa.url
        let caKey = try PrivateKey.generateP256()
        let ca = try Certificate.issue(commonName: "CA", organisation: "T", key: caKey, role: .authority, days: 10)
        let signerKey = try PrivateKey.generateP256()
        let signer = try Certificate.issue(
            commonName: "Short-lived", organisation: "T", key: signerKey, role: .signer, days: 0, issuer: (ca, caKey),
            seconds: 6)
        let issued = ContinuousClock.now
        let content = Array("{\"certificate\":\"test\"}".utf8)
        let signature = try CMS.sign(content, certificate: signer, key: signerKey)
        _ = try CMS.verify(signature, content: content, authorities: [ca])
        let token = try TimestampClient.stamp(signature, url: url)
        let tsaCA = try PEMFile.certificates(path: folder.appendingPathComponent("tsa/tsa-ca.pem").path)
        let stamped = try RFC3161.verify(token, data: signature, authorities: tsaCA)
        #expect(abs(stamped - Timestamp.now().nanoseconds / 1_000_000_000) < 60)
        // Until the signer certificate has expired.
        while ContinuousClock.now - issued < .seconds(7) { usleep(100_000) }
        #expect(throws: OpenSSLError.self, "the signer certificate has expired") {
            try CMS.verify(signature, content: content, authorities: [ca])
        }
        _ = try CMS.verify(signature, content: content, authorities: [ca], at: stamped)
        // The token is for these bytes, from this TSA, unchanged.
        var other = signature
        other[other.count - 1] ^= 1
        #expect(throws: OpenSSLError.self) { try RFC3161.verify(token, data: other, authorities: tsaCA) }
        #expect(throws: OpenSSLError.self) { try RFC3161.verify(token, data: signature, authorities: [ca]) }
        // A changed byte of what the TSA signed (the imprint of the data, inside TSTInfo), not
        // one of the certificates the token may carry beside it (which the signature does not
        // cover: flipping "the middle byte" failed to fail now and then).
        let imprint = try SHA256.digest(signature)
        let at = try #require(
            (0...(token.count - imprint.count)).first { Array(token[$0..<($0 + imprint.count)]) == imprint })
        var changed = token
        changed[at + 5] ^= 1
        #expect(throws: OpenSSLError.self) { try RFC3161.verify(changed, data: signature, authorities: tsaCA) }
        // Stock OpenSSL agrees.
        let tokenPath = folder.appendingPathComponent("t.tsr").path
        let dataPath = folder.appendingPathComponent("t.p7s").path
        try Data(token).write(to: URL(fileURLWithPath: tokenPath))
        try Data(signature).write(to: URL(fileURLWithPath: dataPath))
        let openssl = try #require(Command.find("openssl"))
        let checked = try Command.run(
            openssl,
            [
                "ts", "-verify", "-data", dataPath, "-in", tokenPath, "-CAfile",
                folder.appendingPathComponent("tsa/tsa-ca.pem").path,
            ])
        #expect(checked.status == 0, "\(checked.stderr)")
    }

    @Test func wipeVerifyStampsAndCertVerifyChecksIt() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        guard let tsa = try startAuthority(folder.appendingPathComponent("tsa")) else { return }
        defer { tsa.stop() }
        let url = tsa.url
        let organisation = try TestOrganisation(in: folder)
        let sam = try organisation.person("Sam", roles: ["technician"])
        let image = folder.appendingPathComponent("disk.img").path
        try Data(count: 1 << 20).write(to: URL(fileURLWithPath: image))
        let json = folder.appendingPathComponent("c.json").path
        let store = folder.appendingPathComponent("ledger.sqlite").path
        let made = try VigilBinary.run([
            "wipe", "verify", image, "--expect", "zero", "--full", "--out", json, "--asset", "A", "--method", "zeros",
            "--tool", "nwipe 0.33", "--key", sam.key, "--cert", sam.cert, "--store", store, "--tsa-url", url, "--ca",
            organisation.ca,
        ])
        #expect(made.status == 0, "\(made.stderr)")
        #expect(FileManager.default.fileExists(atPath: json + ".p7s.tsr"))
        let checked = try VigilBinary.run([
            "cert", "verify", json, "--ca", organisation.ca, "--store", store, "--tsa-ca",
            folder.appendingPathComponent("tsa/tsa-ca.pem").path,
        ])
        #expect(checked.status == 0, "\(checked.stdout)")
        #expect(checked.stdout.contains("(RFC 3161, the TSA's token verifies)"))
        let unreachable = try VigilBinary.run([
            "wipe", "verify", image, "--expect", "zero", "--out", folder.appendingPathComponent("d.json").path,
            "--asset", "B", "--method", "zeros", "--tool", "nwipe", "--key", sam.key, "--cert", sam.cert, "--store",
            store, "--tsa-url", "http://127.0.0.1:9/",
        ])
        #expect(unreachable.status == 2)
        #expect(unreachable.stderr.contains("the time-stamping authority did not answer"))
        #expect(try Ledger(path: store).entries().count == 2, "no entry without its timestamp")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("d.json").path))
        // The token is in the ledger too, covered by the entry's hash, and checked with the TSA's CA.
        let entry = try #require(try Ledger(path: store).entries().last)
        #expect(entry.timestamp == Array(try Data(contentsOf: URL(fileURLWithPath: json + ".p7s.tsr"))))
        let verified = try VigilBinary.run([
            "ledger", "verify", "--store", store, "--tsa-ca", folder.appendingPathComponent("tsa/tsa-ca.pem").path,
        ])
        #expect(verified.status == 0, "\(verified.stdout)")
        let unchecked = try VigilBinary.run(["ledger", "verify", "--store", store])
        #expect(unchecked.stdout.contains("1 timestamp token(s) not checked (pass --tsa-ca)"))
        // A release with --tsa-url is timestamped too.
        let ann = try organisation.person("Ann", roles: ["approver"])
        #expect(
            try VigilBinary.run(
                ["ledger", "asset", "A", "--description", "d", "--owner", "o", "--drive", image, "--store", store]
                    + sam.signing
            ).status == 0)
        let released = try VigilBinary.run(
            [
                "signoff", "A", "--store", store, "--tsa-url", url, "--receipt",
                folder.appendingPathComponent("r.json").path,
            ]
                + ann.signing)
        #expect(released.status == 0, "\(released.stdout)\(released.stderr)")
        let release = try #require(try Ledger(path: store).entries().last)
        #expect(release.kind == .release && release.timestamp != nil)
        let stamped = try RFC3161.verify(
            try #require(release.timestamp), data: release.signature,
            authorities: PEMFile.certificates(path: folder.appendingPathComponent("tsa/tsa-ca.pem").path))
        #expect(abs(stamped - Timestamp.now().seconds) < 60)
        #expect(
            try VigilBinary.run([
                "ledger", "verify", "--store", store, "--tsa-ca", folder.appendingPathComponent("tsa/tsa-ca.pem").path,
            ]).status == 0)
    }
}
