internal import Foundation
public import VigilCore
public import VigilCrypto

/// Who signed something, as their certificate says: the name (common name), the certificate's
/// and the key's SHA-256, and the roles it grants. The two-person rule compares ``keySHA256``,
/// never names.
public struct SignerIdentity: Sendable, Hashable {
    /// The common name as written in the certificate.
    public var name: String
    public var certificateSHA256: String
    /// SHA-256 of the public key: one person's key, whatever certificate carries it.
    public var keySHA256: String
    public var roles: [PersonRole]

    /// The identity a certificate states.
    public init(_ certificate: Certificate) throws(OpenSSLError) {
        name = certificate.commonName ?? certificate.subject
        certificateSHA256 = try certificate.fingerprint()
        keySHA256 = try certificate.publicKeyFingerprint()
        roles = PersonRole.roles(of: certificate)
    }

    /// The name NFKC-normalised, invisible characters shown (``PersonName/display(_:)``).
    public var displayName: String { PersonName.display(name) }

    /// `Ann Lee (key 3f2a…9c01)`: a name and enough of the key to tell two keys apart.
    public var label: String { "\(displayName) (key \(keySHA256.prefix(8))…)" }

    /// As a ledger document records it.
    var json: CanonicalJSON {
        .object([
            "name": .string(name), "certificate_sha256": .string(certificateSHA256), "key_sha256": .string(keySHA256),
            "roles": .array(roles.map { .string($0.rawValue) }),
        ])
    }
}

/// A person's signing material: their private key and the certificate the organisation's CA
/// issued them, read from files and checked to belong together.
public struct Signer: Sendable {
    public let key: PrivateKey
    public let certificate: Certificate
    public let identity: SignerIdentity

    /// Reads the key (see ``KeyFile/read(_:)``) and the first certificate of `certificate`.
    ///
    /// - Throws: ``VigilError``: a key others may read or owned by another user, files that do
    ///   not parse, a key that is not the certificate's.
    public init(key keyPath: String, certificate certificatePath: String) throws {
        let key = try KeyFile.read(keyPath)
        guard let certificate = try PEMFile.certificates(path: certificatePath).first else {
            throw VigilError(.corrupt, path: certificatePath, reason: "no certificate in it")
        }
        guard certificate.matches(key) else {
            throw VigilError(.usage, path: keyPath, reason: "this key is not the key of \(certificatePath)")
        }
        self.key = key
        self.certificate = certificate
        identity = try SignerIdentity(certificate)
    }

    /// Checks that this signer may sign as `role` for an organisation whose CA is `authority`,
    /// now: the certificate chains to the CA, is within its validity, is for S/MIME signing, and
    /// carries the role.
    ///
    /// - Throws: ``VigilError`` (`notAllowed`) saying which of these fails, naming the certificate.
    public func check(role: PersonRole?, authority: Certificate, at time: Int64 = Timestamp.now().seconds) throws {
        do {
            try certificate.verifyChain(to: [authority], at: time)
        } catch {
            let caName = authority.commonName ?? authority.subject
            let reason = error.queue.first ?? "\(error)"
            if time > certificate.notAfter {
                throw VigilError(
                    .notAllowed,
                    reason:
                        "\(identity.displayName)'s certificate expired on \(Timestamp(seconds: certificate.notAfter).iso8601)",
                    remedy: .issueAKey(role: nil))
            }
            if time < certificate.notBefore {
                throw VigilError(
                    .notAllowed,
                    reason:
                        "\(identity.displayName)'s certificate is not valid before \(Timestamp(seconds: certificate.notBefore).iso8601)"
                )
            }
            throw VigilError(
                .notAllowed,
                reason:
                    "\(identity.displayName)'s certificate is not issued by the ledger's CA, \(caName) (SHA-256 \((try? authority.fingerprint()) ?? "?")): \(reason)",
                hint: "sign with a key issued by the organisation's CA", remedy: .issueAKey(role: nil))
        }
        if let role, !identity.roles.contains(role) {
            let held = identity.roles.isEmpty ? "no role" : identity.roles.map(\.rawValue).joined(separator: " and ")
            throw VigilError(
                .notAllowed,
                reason:
                    "\(identity.displayName)'s certificate does not carry the \(role.rawValue) role (it has \(held))",
                remedy: .issueAKey(role: role.rawValue))
        }
    }
}

/// Private key files: read only when no one else may read them and they belong to the user
/// running Vigil (or root); written 0600, never over an existing file.
public enum KeyFile {
    /// Reads a PEM private key from `path`.
    ///
    /// - Throws: ``VigilError``: missing, readable by group or others, owned by another user,
    ///   not a key.
    public static func read(_ path: String) throws -> PrivateKey {
        var bytes = try PrivateFile.read(path, what: "the signing key")
        defer { for index in bytes.indices { bytes[index] = 0 } }
        do {
            return try PrivateKey(pem: bytes)
        } catch {
            throw VigilError(.corrupt, path: path, reason: "not a PEM private key (\(error))")
        }
    }

    /// Writes `key` to `path`, 0600, refusing an existing file.
    public static func write(_ key: PrivateKey, to path: String) throws {
        var pem = try key.pem()
        defer { for index in pem.indices { pem[index] = 0 } }
        try FileOutput.write(pem, to: path, permissions: 0o600, existing: .refuse)
    }
}

/// PEM certificate files (one or several certificates in a file).
public enum PEMFile {
    /// Reads every certificate in `path`.
    ///
    /// - Throws: ``VigilError`` if the file cannot be read, holds none, or one does not parse.
    public static func certificates(path: String) throws -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.unreadable, path: path, reason: "cannot read the certificate")
        }
        do {
            return try certificates(pem: Array(data))
        } catch let error as VigilError {
            var error = error
            error.path = path
            throw error
        }
    }

    /// Every certificate in PEM text.
    public static func certificates(pem bytes: [UInt8]) throws -> [Certificate] {
        let text = String(decoding: bytes, as: UTF8.self)
        var found: [Certificate] = []
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = rest.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<rest.endIndex)
        {
            let pem = String(rest[begin.lowerBound..<end.upperBound]) + "\n"
            do {
                found.append(try Certificate(pem: Array(pem.utf8)))
            } catch {
                throw VigilError(.corrupt, reason: "a certificate in it does not parse (\(error))")
            }
            rest = rest[end.upperBound...]
        }
        guard !found.isEmpty else { throw VigilError(.corrupt, reason: "no PEM certificate in it") }
        return found
    }
}
