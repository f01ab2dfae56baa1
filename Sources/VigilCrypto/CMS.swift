internal import COpenSSL

/// Detached CMS (PKCS#7) signatures in DER, as `openssl cms -sign -binary -outform DER` makes
/// them and `openssl cms -verify -binary -inform DER -content FILE` checks them.
public enum CMS {
    /// Signs `content` with `key` and `certificate` (included in the signature, with `chain`).
    public static func sign(_ content: [UInt8], certificate: Certificate, key: PrivateKey, chain: [Certificate] = [])
        throws(OpenSSLError) -> [UInt8]
    {
        let data = try MemoryBIO(content)
        var stack: OpaquePointer?
        if !chain.isEmpty {
            stack = OPENSSL_sk_new_null()
            for item in chain { OPENSSL_sk_push(stack, UnsafeRawPointer(item.pointer)) }
        }
        defer { if let stack { OPENSSL_sk_free(stack) } }
        guard let cms = CMS_sign(certificate.pointer, key.pointer, stack, data.pointer, vigil_cms_sign_flags()) else {
            throw OpenSSLError.drain("CMS_sign")
        }
        defer { CMS_ContentInfo_free(cms) }
        let out = try MemoryBIO()
        guard i2d_CMS_bio(out.pointer, cms) == 1 else { throw OpenSSLError.drain("i2d_CMS_bio") }
        return out.bytes()
    }

    /// What a verification found.
    public struct Verification: Sendable {
        /// The signer certificates' subjects.
        public var signers: [String]
        /// The signer certificate's SHA-256 fingerprint.
        public var signerFingerprint: String?
        /// The signer certificates, as the signature carries them.
        public var signerCertificates: [Certificate]
    }

    /// Checks the detached `signature` (DER) over `content` against the trusted `authorities`
    /// (none: the signature alone, by the certificate it carries), the chain checked `at` a given
    /// time (seconds since 1970) when one is given, else now:
    /// the signature, the chain to one of them, the signer's purpose (S/MIME signing), and
    /// (stricter than `openssl cms -verify`) the structure's unsigned fields: version numbers,
    /// content type and algorithm identifiers, which OpenSSL reads without checking.
    ///
    /// - Throws: ``OpenSSLError`` with OpenSSL's reason when it does not verify.
    public static func verify(
        _ signature: [UInt8], content: [UInt8], authorities: [Certificate], at time: Int64? = nil
    ) throws(OpenSSLError) -> Verification {
        if let problem = structureProblem(signature) {
            throw OpenSSLError(function: "CMS structure check", queue: [problem])
        }
        let input = try MemoryBIO(signature)
        guard let cms = d2i_CMS_bio(input.pointer, nil) else { throw OpenSSLError.drain("d2i_CMS_bio") }
        defer { CMS_ContentInfo_free(cms) }
        guard let store = X509_STORE_new() else { throw OpenSSLError.drain("X509_STORE_new") }
        defer { X509_STORE_free(store) }
        for authority in authorities {
            guard X509_STORE_add_cert(store, authority.pointer) == 1 else {
                throw OpenSSLError.drain("X509_STORE_add_cert")
            }
        }
        let data = try MemoryBIO(content)
        // Without authorities, only the signature is checked (its certificate's chain is not).
        // At a given time, the signature is checked by CMS_verify and the chain here, at that time.
        let flags =
            authorities.isEmpty || time != nil ? vigil_cms_verify_signature_only_flags() : vigil_cms_verify_flags()
        guard CMS_verify(cms, nil, store, data.pointer, nil, flags) == 1 else {
            throw OpenSSLError.drain("CMS_verify")
        }
        var result = Verification(signers: [], signerFingerprint: nil, signerCertificates: [])
        if let signers = CMS_get0_signers(cms) {
            defer { OPENSSL_sk_free(signers) }
            for index in 0..<OPENSSL_sk_num(signers) {
                guard let raw = OPENSSL_sk_value(signers, index) else { continue }
                let x509 = OpaquePointer(raw)
                X509_up_ref(x509)
                let certificate = Certificate(owning: x509)
                result.signerCertificates.append(certificate)
                result.signers.append(certificate.subject)
                if result.signerFingerprint == nil { result.signerFingerprint = try? certificate.fingerprint() }
            }
        }
        if let time, !authorities.isEmpty {
            for certificate in result.signerCertificates { try certificate.verifyChain(to: authorities, at: time) }
        }
        return result
    }
}
