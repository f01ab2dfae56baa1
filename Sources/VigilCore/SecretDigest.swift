internal import Foundation
internal import VigilCrypto

/// The keyed digest reports give of each secret, so that two reports (or two findings) can be
/// told to hold the same secret without the digest revealing it: HMAC-SHA-256 under a key that
/// never leaves the machine (the installation's) or the organisation (one given on purpose, so
/// that several machines' reports compare). Without the key, a dictionary of passwords cannot
/// be checked against a digest, as it could against a plain SHA-256.
public struct SecretDigest: Sendable {
    /// Where the key came from.
    public enum Origin: String, Sendable {
        /// Created on this machine on first use, beside the store (`digest.key`, 0600).
        case installation
        /// Given by the user (`--digest-key FILE` or `VIGIL_DIGEST_KEY`).
        case organisation
        /// Made for this run only (no key could be kept): digests compare within one report.
        case ephemeral
    }

    private let key: [UInt8]
    public let origin: Origin
    /// The key's fingerprint, which reports name (never the key): the first 16 hex digits of
    /// SHA-256 over a label and the key.
    public let fingerprint: String
    /// Where the key is, when it is a file.
    public let path: String?

    /// A digest under `key` (at least 16 bytes).
    public init(key: [UInt8], origin: Origin, path: String? = nil) throws(VigilError) {
        guard key.count >= 16 else {
            throw VigilError(
                .usage, path: path, reason: "a digest key needs at least 16 bytes (it has \(key.count))",
                hint: "openssl rand -hex 32 > KEY; chmod 600 KEY")
        }
        self.key = key
        self.origin = origin
        self.path = path
        do {
            fingerprint = String(try SHA256.hex(Array("vigil secret digest key".utf8) + key).prefix(16))
        } catch {
            throw VigilError(.library, reason: "\(error)")
        }
    }

    /// The hex HMAC-SHA-256 of `secret` under the key.
    public func digest(_ secret: Secret) -> String {
        secret.withClearBytes { clear in
            ((try? HMACSHA256.digest(key: key, data: clear)) ?? []).hexString
        }
    }

    /// A key for this run only.
    public static func ephemeral() -> SecretDigest {
        let key = (try? SecureRandom.bytes(32)) ?? Array(UUID().uuidString.utf8)
        return try! SecretDigest(key: key, origin: .ephemeral)
    }

    /// The organisation's key in `path` (0600, the user's): its bytes, or the hex text they hold.
    public static func organisation(path: String) throws(VigilError) -> SecretDigest {
        try SecretDigest(
            key: decode(try PrivateFile.read(path, what: "the digest key")), origin: .organisation, path: path)
    }

    /// The installation's key, `digest.key` in `folder` (Vigil's data folder), created 0600 with
    /// 32 random bytes the first time; `nil` when it can be neither read nor created.
    public static func installation(folder: String) throws(VigilError) -> SecretDigest {
        let path = folder + "/digest.key"
        if !FileManager.default.fileExists(atPath: path) {
            try? FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            let key: [UInt8]
            do {
                key = try SecureRandom.bytes(32)
            } catch {
                throw VigilError(.library, reason: "\(error)")
            }
            do {
                try FileOutput.write(
                    Array((key.hexString + "\n").utf8), to: path, permissions: 0o600, existing: .refuse)
            } catch  where FileManager.default.fileExists(atPath: path) {
                // Another run created it at the same moment: use theirs.
            }
        }
        return try SecretDigest(
            key: decode(try PrivateFile.read(path, what: "the digest key")), origin: .installation, path: path)
    }

    /// Hex text (64 or more hex digits, spaces and line ends ignored) as bytes; anything else as
    /// it is.
    private static func decode(_ bytes: [UInt8]) -> [UInt8] {
        let text = bytes.filter { $0 != 0x0A && $0 != 0x0D && $0 != 0x20 }
        let digits = Array("0123456789abcdefABCDEF".utf8)
        guard text.count >= 32, text.count % 2 == 0, text.allSatisfy(digits.contains) else { return bytes }
        var out: [UInt8] = []
        var index = 0
        while index < text.count {
            out.append(UInt8(String(decoding: text[index..<index + 2], as: UTF8.self), radix: 16)!)
            index += 2
        }
        return out
    }
}
