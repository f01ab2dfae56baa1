internal import COpenSSL
internal import Foundation

/// A private key (ECDSA P-256), freed with the value.
public final class PrivateKey: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { EVP_PKEY_free(pointer) }

    /// A new ECDSA P-256 key (Ed25519 does not work in CMS with OpenSSL 3.0).
    public static func generateP256() throws(OpenSSLError) -> PrivateKey {
        guard let key = vigil_ec_p256_generate() else { throw OpenSSLError.drain("EVP_EC_gen") }
        return PrivateKey(owning: key)
    }

    /// Reads a PEM private key (unencrypted PKCS#8 or traditional).
    public convenience init(pem: [UInt8]) throws(OpenSSLError) {
        let bio = try MemoryBIO(pem)
        guard let key = PEM_read_bio_PrivateKey(bio.pointer, nil, nil, nil) else {
            throw OpenSSLError.drain("PEM_read_bio_PrivateKey")
        }
        self.init(owning: key)
    }

    /// PKCS#8 PEM, unencrypted (protect the file instead: 0600).
    public func pem() throws(OpenSSLError) -> [UInt8] {
        let bio = try MemoryBIO()
        guard PEM_write_bio_PrivateKey(bio.pointer, pointer, nil, nil, 0, nil, nil) == 1 else {
            throw OpenSSLError.drain("PEM_write_bio_PrivateKey")
        }
        return bio.bytes()
    }
}

/// An X.509 certificate, freed with the value.
public final class Certificate: @unchecked Sendable {
    let pointer: OpaquePointer

    init(owning pointer: OpaquePointer) { self.pointer = pointer }
    deinit { X509_free(pointer) }

    /// Reads a PEM certificate.
    public convenience init(pem: [UInt8]) throws(OpenSSLError) {
        let bio = try MemoryBIO(pem)
        guard let certificate = PEM_read_bio_X509(bio.pointer, nil, nil, nil) else {
            throw OpenSSLError.drain("PEM_read_bio_X509")
        }
        self.init(owning: certificate)
    }

    /// The certificate as PEM text.
    public func pem() throws(OpenSSLError) -> [UInt8] {
        let bio = try MemoryBIO()
        guard PEM_write_bio_X509(bio.pointer, pointer) == 1 else { throw OpenSSLError.drain("PEM_write_bio_X509") }
        return bio.bytes()
    }

    /// The subject as OpenSSL prints it one-line (`CN = …, O = …`).
    public var subject: String { Self.name(X509_get_subject_name(pointer)) }
    public var issuer: String { Self.name(X509_get_issuer_name(pointer)) }

    /// The subject's organisation (O), if it names one.
    public var organisation: String? {
        guard let name = X509_get_subject_name(pointer) else { return nil }
        var buffer = [CChar](repeating: 0, count: 256)
        let length = X509_NAME_get_text_by_NID(name, NID_organizationName, &buffer, Int32(buffer.count))
        guard length > 0 else { return nil }
        return String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// SHA-256 of the DER encoding, in hex: the fingerprint `openssl x509 -fingerprint -sha256` shows.
    public func fingerprint() throws(OpenSSLError) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_digest(pointer, EVP_sha256(), &digest, &length) == 1 else { throw OpenSSLError.drain("X509_digest") }
        return digest.prefix(Int(length)).map { String(format: "%02x", $0) }.joined()
    }

    private static func name(_ name: OpaquePointer?) -> String {
        guard let name, let bio = try? MemoryBIO() else { return "" }
        X509_NAME_print_ex(bio.pointer, name, 0, vigil_name_flags())
        return String(decoding: bio.bytes(), as: UTF8.self)
    }

    /// What a certificate is for.
    public enum Role: Sendable {
        /// A local certificate authority: basicConstraints CA, keyCertSign and cRLSign.
        case authority
        /// A signer of certificates of sanitization: digitalSignature and nonRepudiation, EKU
        /// emailProtection (what `openssl cms -verify` checks by default).
        case signer
    }

    /// A certificate for `key` with the common name and organisation given, valid for `days`,
    /// signed by `issuer` (its certificate and key), or self-signed when `issuer` is `nil`;
    /// `seconds`, when given, replaces `days` (short-lived certificates for tests of expiry).
    /// A signer certificate carries `extendedKeyUsages` (dotted object identifiers) beside
    /// emailProtection: Vigil writes a person's roles there.
    public static func issue(
        commonName: String, organisation: String, key: PrivateKey, role: Role, days: Int,
        issuer: (certificate: Certificate, key: PrivateKey)? = nil, seconds: Int? = nil,
        extendedKeyUsages: [String] = []
    ) throws(OpenSSLError) -> Certificate {
        guard let x509 = X509_new() else { throw OpenSSLError.drain("X509_new") }
        let certificate = Certificate(owning: x509)
        guard X509_set_version(x509, 2) == 1 else { throw OpenSSLError.drain("X509_set_version") }
        var serial = [UInt8](repeating: 0, count: 16)
        guard RAND_bytes(&serial, 16) == 1 else { throw OpenSSLError.drain("RAND_bytes") }
        serial[0] &= 0x7F
        guard let number = BN_bin2bn(serial, 16, nil) else { throw OpenSSLError.drain("BN_bin2bn") }
        defer { BN_free(number) }
        guard BN_to_ASN1_INTEGER(number, X509_get_serialNumber(x509)) != nil else {
            throw OpenSSLError.drain("BN_to_ASN1_INTEGER")
        }
        guard X509_gmtime_adj(X509_getm_notBefore(x509), -300) != nil,
            X509_gmtime_adj(X509_getm_notAfter(x509), seconds ?? days * 86_400) != nil
        else { throw OpenSSLError.drain("X509_gmtime_adj") }
        guard let name = X509_NAME_new() else { throw OpenSSLError.drain("X509_NAME_new") }
        defer { X509_NAME_free(name) }
        for (field, value) in [("O", organisation), ("CN", commonName)] {
            guard X509_NAME_add_entry_by_txt(name, field, MBSTRING_UTF8, value, -1, -1, 0) == 1 else {
                throw OpenSSLError.drain("X509_NAME_add_entry_by_txt")
            }
        }
        guard X509_set_subject_name(x509, name) == 1,
            X509_set_issuer_name(x509, issuer.map { X509_get_subject_name($0.certificate.pointer) } ?? name) == 1,
            X509_set_pubkey(x509, key.pointer) == 1
        else { throw OpenSSLError.drain("X509_set_subject_name") }
        var context = X509V3_CTX()
        X509V3_set_ctx(&context, issuer?.certificate.pointer ?? x509, x509, nil, nil, 0)
        let extensions: [(Int32, String)] =
            switch role {
            case .authority:
                [
                    (NID_basic_constraints, "critical,CA:TRUE,pathlen:0"),
                    (NID_key_usage, "critical,keyCertSign,cRLSign"),
                    (NID_subject_key_identifier, "hash"),
                ]
            case .signer:
                [
                    (NID_basic_constraints, "critical,CA:FALSE"),
                    (NID_key_usage, "critical,digitalSignature,nonRepudiation"),
                    (NID_ext_key_usage, (["emailProtection"] + extendedKeyUsages).joined(separator: ",")),
                    (NID_subject_key_identifier, "hash"),
                    (NID_authority_key_identifier, "keyid:always"),
                ]
            }
        for (nid, value) in extensions {
            guard let ext = X509V3_EXT_nconf_nid(nil, &context, nid, value) else {
                throw OpenSSLError.drain("X509V3_EXT_nconf_nid")
            }
            defer { X509_EXTENSION_free(ext) }
            guard X509_add_ext(x509, ext, -1) == 1 else { throw OpenSSLError.drain("X509_add_ext") }
        }
        guard X509_sign(x509, (issuer?.key ?? key).pointer, EVP_sha256()) > 0 else {
            throw OpenSSLError.drain("X509_sign")
        }
        return certificate
    }

    /// Whether `key` is this certificate's key.
    public func matches(_ key: PrivateKey) -> Bool { X509_check_private_key(pointer, key.pointer) == 1 }
}

/// A memory BIO, freed with the value.
final class MemoryBIO {
    let pointer: OpaquePointer

    init() throws(OpenSSLError) {
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain("BIO_new") }
        pointer = bio
    }

    /// A read-only BIO over a copy of `bytes`.
    convenience init(_ bytes: [UInt8]) throws(OpenSSLError) {
        try self.init()
        let written = bytes.withUnsafeBytes { BIO_write(pointer, $0.baseAddress, Int32($0.count)) }
        guard written == Int32(bytes.count) || bytes.isEmpty else { throw OpenSSLError.drain("BIO_write") }
    }

    deinit { BIO_free(pointer) }

    func bytes() -> [UInt8] {
        var data: UnsafeMutablePointer<CChar>?
        let count = vigil_bio_mem_data(pointer, &data)
        guard let data, count > 0 else { return [] }
        return Array(UnsafeRawBufferPointer(start: data, count: count))
    }
}
