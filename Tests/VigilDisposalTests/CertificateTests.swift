import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilCrypto
@testable import VigilDisposal

@Suite("Canonical JSON")
struct CanonicalJSONTests {
    @Test func keysSortedNoWhitespaceStringsEscaped() {
        let value = CanonicalJSON.object([
            "b": .int(-3), "a": .array([.bool(true), .null]), "é": .string("x"),
            "Z": .string("quote \" slash \\ tab \t nl \n bell \u{7}"),
        ])
        let text = String(decoding: value.bytes, as: UTF8.self)
        #expect(text == #"{"Z":"quote \" slash \\ tab \t nl \n bell \u0007","a":[true,null],"b":-3,"é":"x"}"#)
        #expect(CanonicalJSON.parse(value.bytes) == value)
        #expect(CanonicalJSON.parse(Array("{\"a\": 1.5}".utf8)) == nil, "fractions are not part of the format")
    }
}

/// The signing round trip with stock OpenSSL, as the issue asks: `openssl cms -verify` accepts a
/// certificate Vigil signed and rejects it after a one-byte change to either file.
@Suite("Certificates of sanitization", .serialized)
struct CertificateTests {
    /// A folder with the organisation's CA, Dana's technician key, a clean 8 MiB image and a
    /// signed certificate.
    private func signedCertificate() throws -> (folder: URL, json: String, keys: String, ca: String) {
        let folder = try TestPaths.temporaryFolder()
        let organisation = try TestOrganisation(in: folder)
        let dana = try organisation.person("Dana", roles: ["technician"], folderName: "keys")
        let image = folder.appendingPathComponent("disk.img").path
        try Data(count: 8 << 20).write(to: URL(fileURLWithPath: image))
        let json = folder.appendingPathComponent("LAP-7.json").path
        let verified = try VigilBinary.run([
            "wipe", "verify", image, "--expect", "zero", "--sample", "10", "--seed", "99", "--out", json, "--asset",
            "LAP-7", "--technician", "Dana", "--method", "1 pass of zeros", "--tool", "nwipe 0.33", "--key",
            dana.key, "--cert", dana.cert, "--destination", "recycling", "--store",
            folder.appendingPathComponent("ledger.sqlite").path, "--ca", organisation.ca,
        ])
        #expect(verified.status == 0, "\(verified.stderr)")
        return (folder, json, dana.dir, organisation.ca)
    }

    private func opensslVerify(_ json: String, _ signature: String, ca: String) throws -> Int32 {
        let openssl = try #require(Command.find("openssl"))
        return try Command.run(
            openssl,
            [
                "cms", "-verify", "-binary", "-inform", "DER", "-content", json, "-in", signature, "-CAfile", ca,
                "-out", "/dev/null",
            ]
        ).status
    }

    @Test func keysInitWritesPrivateKeys0600AndNeverOverwrites() throws {
        let (folder, _, keys, ca) = try signedCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let caDir = (ca as NSString).deletingLastPathComponent
        for path in [caDir + "/ca.key", keys + "/signer.key"] {
            let mode = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(mode == 0o600, "\(path)")
        }
        let again = try VigilBinary.run(["keys", "init", "--dir", caDir])
        #expect(again.status == 2)
        #expect(again.stderr.contains("already exists"))
        let reissued = try VigilBinary.run([
            "keys", "issue", "--ca-dir", caDir, "--name", "Dana", "--role", "technician", "--out", keys,
        ])
        #expect(reissued.status == 2)
        #expect(reissued.stderr.contains("already exists"))
        // The signer certificate is for S/MIME signing, issued by the CA, with the role.
        let openssl = try #require(Command.find("openssl"))
        let text = try Command.run(openssl, ["x509", "-in", keys + "/signer.pem", "-noout", "-text"]).stdout
        #expect(text.contains("Digital Signature, Non Repudiation"))
        #expect(text.contains("E-mail Protection, \(PersonRole.technician.objectIdentifier)"))
        #expect(!text.contains(PersonRole.approver.objectIdentifier))
        #expect(text.contains("ASN1 OID: prime256v1"))
        #expect(text.contains("Issuer: O = Example Ltd, CN = Example Ltd disposal CA"))
    }

    @Test func opensslAcceptsTheCertificateAndRejectsAnyOneByteChange() throws {
        let (folder, json, _, ca) = try signedCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let signature = json + ".p7s"
        #expect(try opensslVerify(json, signature, ca: ca) == 0)
        let document = try #require(CanonicalJSON.parse(Array(try Data(contentsOf: URL(fileURLWithPath: json)))))
        #expect(document["media"]?["property_number"]?.string == "LAP-7")
        #expect(document["organisation"]?.string == "Example Ltd")
        #expect(document["verification"]?["method"]?.string == "sample")
        #expect(document["verification"]?["seed"]?.string == "99")
        #expect(document["sanitization"]?["category"]?.string == "clear")

        let original = Array(try Data(contentsOf: URL(fileURLWithPath: json)))
        let signed = Array(try Data(contentsOf: URL(fileURLWithPath: signature)))
        let authority = try PEMFile.certificates(path: ca)
        // In process, every single byte of both files.
        _ = try CMS.verify(signed, content: original, authorities: authority)
        for index in original.indices {
            var changed = original
            changed[index] ^= 0x01
            #expect(throws: OpenSSLError.self) { try CMS.verify(signed, content: changed, authorities: authority) }
        }
        for index in signed.indices {
            var changed = signed
            changed[index] ^= 0x01
            #expect(throws: OpenSSLError.self, "byte \(index)") {
                try CMS.verify(changed, content: original, authorities: authority)
            }
        }
        // With the openssl command, every byte of both files. OpenSSL 3.0 does not check a few
        // unsigned fields of the CMS structure (the version numbers, the content type, the
        // signature algorithm's identifier): a change there passes `openssl cms -verify`, and
        // Vigil's own verification (strict about exactly those fields) rejects it.
        let copy = folder.appendingPathComponent("changed").path
        var passedOpenSSL: [Int] = []
        for (file, bytes) in [(json, original), (signature, signed)] {
            for index in bytes.indices {
                var changed = bytes
                changed[index] ^= 0x01
                try Data(changed).write(to: URL(fileURLWithPath: copy))
                let status =
                    file == json
                    ? try opensslVerify(copy, signature, ca: ca) : try opensslVerify(json, copy, ca: ca)
                if status == 0 {
                    #expect(file == signature, "a change to the certificate passed openssl at byte \(index)")
                    #expect(CMS.structureProblem(changed) != nil, "byte \(index) changed passes both checks")
                    passedOpenSSL.append(index)
                }
            }
        }
        #expect(passedOpenSSL.count < 24, "only the few unsigned structure fields: \(passedOpenSSL)")
        // vigil cert verify agrees.
        let store = (json as NSString).deletingLastPathComponent + "/ledger.sqlite"
        let valid = try VigilBinary.run(["cert", "verify", json, "--ca", ca, "--store", store])
        #expect(valid.status == 0)
        #expect(valid.stdout.contains("ledger:      entry 2 of \(store), chain intact"), "after the CA's pin")
        let html = try VigilBinary.run(["cert", "show", json, "--format", "html", "--ca", ca])
        #expect(html.status == 0)
        #expect(html.stdout.hasPrefix("<!DOCTYPE html>"))
        #expect(html.stdout.contains("Verification: PASSED — signature valid, chained to the CA"))
        #expect(html.stdout.contains("LAP-7"))
        #expect(!html.stdout.contains("<script"), "no script needed")
        #expect(!html.stdout.contains("http://") && !html.stdout.contains("https://"), "nothing fetched")
        var changed = original
        changed[original.count / 2] ^= 0x01
        try Data(changed).write(to: URL(fileURLWithPath: json))
        let rejected = try VigilBinary.run(["cert", "verify", json, "--ca", ca, "--store", store])
        #expect(rejected.status == 1)
        #expect(rejected.stdout.hasPrefix("INVALID"))
    }

    @Test func anotherCAIsNotTrusted() throws {
        let (folder, json, _, ca) = try signedCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let other = folder.appendingPathComponent("other").path
        #expect(try VigilBinary.run(["keys", "init", "--dir", other]).status == 0)
        #expect(try opensslVerify(json, json + ".p7s", ca: other + "/ca.pem") != 0)
        let store = folder.appendingPathComponent("ledger.sqlite").path
        #expect(try VigilBinary.run(["cert", "verify", json, "--ca", other + "/ca.pem", "--store", store]).status == 1)
        // Without --ca, the CA the ledger pins is the one trusted.
        let pinned = try VigilBinary.run(["cert", "verify", json, "--store", store])
        #expect(pinned.status == 0, "\(pinned.stdout)\(pinned.stderr)")
        #expect(try opensslVerify(json, json + ".p7s", ca: ca) == 0)
    }

    @Test func readableKeysAndFailedVerificationsGiveNoCertificate() throws {
        let (folder, _, keys, _) = try signedCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let image = folder.appendingPathComponent("dirty.img").path
        var bytes = Data(count: 4 << 20)
        bytes[1234] = 7
        try bytes.write(to: URL(fileURLWithPath: image))
        let json = folder.appendingPathComponent("dirty.json").path
        let arguments = [
            "wipe", "verify", image, "--expect", "zero", "--full", "--out", json, "--asset", "X", "--method", "zeros",
            "--tool", "nwipe 0.33", "--key", keys + "/signer.key", "--cert", keys + "/signer.pem", "--store",
            folder.appendingPathComponent("ledger.sqlite").path,
        ]
        let failed = try VigilBinary.run(arguments)
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("no certificate written"))
        #expect(!FileManager.default.fileExists(atPath: json))
        #expect(!FileManager.default.fileExists(atPath: json + ".p7s"))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: keys + "/signer.key")
        let readable = try VigilBinary.run(arguments)
        #expect(readable.status == 2)
        #expect(readable.stderr.contains("the signing key can be read by others (mode 644)"))
    }

    /// The private keys never reach an output, an error message or the ledger: every command
    /// that reads them is run (with a key that does not match its certificate too), and their
    /// output and the ledger's files (database, WAL) are searched for the key's PEM text, for
    /// any 16-character piece of it and for its DER bytes. A key readable by its group is refused.
    @Test func signingKeysAreNeverLoggedNorStored() throws {
        let (folder, json, keys, ca) = try signedCertificate()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = folder.appendingPathComponent("ledger.sqlite").path
        let caDir = (ca as NSString).deletingLastPathComponent
        var secrets: [[UInt8]] = []
        // An EC private key's PEM also holds its public point, which certificates (and the CA
        // the ledger pins) carry in the open: the pieces searched for are those of the key that
        // its public certificate does not hold, plus the private scalar itself in every spelling.
        for (keyPath, certificatePath) in [(keys + "/signer.key", keys + "/signer.pem"), (caDir + "/ca.key", ca)] {
            let pem = try String(contentsOfFile: keyPath, encoding: .utf8)
            let body = pem.split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            let der = try #require(Data(base64Encoded: body))
            secrets.append(Array(der))
            let certificate = try String(contentsOfFile: certificatePath, encoding: .utf8)
                .split(separator: "\n").filter { !$0.hasPrefix("-----") }.joined()
            for start in stride(from: 0, to: body.count - 16, by: 16) {
                let piece = String(body.dropFirst(start).prefix(16))
                if !certificate.contains(piece) { secrets.append(Array(piece.utf8)) }
            }
            let openssl = try #require(Command.find("openssl"))
            let text = try Command.run(openssl, ["ec", "-in", keyPath, "-text", "-noout"]).stdout
            let hex = text.components(separatedBy: "priv:").last!.components(separatedBy: "pub:").first!
                .filter(\.isHexDigit)
            var scalar: [UInt8] = []
            var index = hex.startIndex
            while index < hex.endIndex {
                let next = hex.index(index, offsetBy: 2)
                scalar.append(UInt8(hex[index..<next], radix: 16)!)
                index = next
            }
            #expect(scalar.count >= 31)
            secrets.append(scalar)
            secrets.append(Array(hex.lowercased().utf8))
            for shift in 0..<3 {
                let encoded = Data([0, 0].prefix(shift) + scalar).base64EncodedString()
                secrets.append(Array(encoded.dropFirst(4).prefix(24).utf8))
            }
        }
        let outsiders = try TestOrganisation(in: folder.appendingPathComponent("other"))
        let other = try outsiders.person("Other", roles: ["technician", "approver"]).dir
        var outputs: [ProcessResult] = []
        outputs.append(try VigilBinary.run(["cert", "show", json]))
        outputs.append(try VigilBinary.run(["cert", "verify", json, "--ca", ca, "--store", store]))
        outputs.append(try VigilBinary.run(["ledger", "list", "--store", store]))
        outputs.append(try VigilBinary.run(["ledger", "show", "1", "--store", store]))
        // A key that is not the certificate's: refused, without quoting either.
        let image = folder.appendingPathComponent("disk.img").path
        let mismatched = try VigilBinary.run([
            "wipe", "verify", image, "--expect", "zero", "--full", "--out",
            folder.appendingPathComponent("x.json").path,
            "--asset", "LAP-8", "--method", "zeros", "--tool", "nwipe 0.33", "--key", keys + "/signer.key", "--cert",
            other + "/signer.pem", "--store", store,
        ])
        #expect(mismatched.status == 2, "\(mismatched.stderr)")
        outputs.append(mismatched)
        outputs.append(
            try VigilBinary.run([
                "signoff", "LAP-7", "--key", other + "/signer.key", "--cert", other + "/signer.pem", "--store", store,
                "--receipt", folder.appendingPathComponent("r.json").path,
            ]))
        for result in outputs {
            let text = Array((result.stdout + result.stderr).utf8)
            #expect(!(result.stdout + result.stderr).contains("PRIVATE KEY"))
            for secret in secrets {
                #expect(!text.contains(secret), "key material in \(result.stdout + result.stderr)")
            }
        }
        for suffix in ["", "-wal", "-shm"] where FileManager.default.fileExists(atPath: store + suffix) {
            let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: store + suffix)))
            #expect(!bytes.contains(Array("PRIVATE KEY".utf8)), "a key in ledger\(suffix)")
            for secret in secrets { #expect(!bytes.contains(secret), "key material in ledger\(suffix)") }
        }
        // Readable by the group only: refused too.
        try FileManager.default.setAttributes([.posixPermissions: 0o640], ofItemAtPath: keys + "/signer.key")
        let readable = try VigilBinary.run([
            "signoff", "LAP-7", "--key", keys + "/signer.key", "--cert", keys + "/signer.pem", "--store", store,
        ])
        #expect(readable.status == 2)
        #expect(readable.stderr.contains("the signing key can be read by others (mode 640)"), "\(readable.stderr)")
    }
}
