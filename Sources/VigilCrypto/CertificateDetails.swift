internal import COpenSSL
internal import Foundation

extension Certificate {
    /// The subject's common name (CN), decoded as UTF-8, if it has one.
    public var commonName: String? { Self.entry(X509_get_subject_name(pointer), nid: NID_commonName) }

    /// The extended key usages, as dotted object identifiers (`1.3.6.1.5.5.7.3.4` for
    /// emailProtection); empty when the certificate has no such extension.
    public var extendedKeyUsages: [String] {
        guard let raw = X509_get_ext_d2i(pointer, NID_ext_key_usage, nil, nil) else { return [] }
        let stack = OpaquePointer(raw)
        defer { vigil_eku_free(raw) }
        var usages: [String] = []
        for index in 0..<OPENSSL_sk_num(stack) {
            guard let object = OPENSSL_sk_value(stack, index) else { continue }
            var buffer = [CChar](repeating: 0, count: 128)
            let length = OBJ_obj2txt(&buffer, Int32(buffer.count), OpaquePointer(object), 1)
            guard length > 0, Int(length) < buffer.count else { continue }
            usages.append(String(decoding: buffer.prefix(Int(length)).map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return usages
    }

    /// The first second the certificate is valid, in seconds since 1970.
    public var notBefore: Int64 { Self.seconds(X509_get0_notBefore(pointer)) }

    /// The last second the certificate is valid, in seconds since 1970.
    public var notAfter: Int64 { Self.seconds(X509_get0_notAfter(pointer)) }

    /// SHA-256 of the subject public key, in hex: the same for every certificate issued for one
    /// key, so two certificates of one person's key are recognised as one key.
    public func publicKeyFingerprint() throws(OpenSSLError) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard X509_pubkey_digest(pointer, EVP_sha256(), &digest, &length) == 1 else {
            throw OpenSSLError.drain("X509_pubkey_digest")
        }
        return digest.prefix(Int(length)).hexString
    }

    /// A certificate authority that signed itself: basicConstraints CA and its own issuer.
    public var isSelfSignedAuthority: Bool {
        X509_check_ca(pointer) > 0 && X509_check_issued(pointer, pointer) == X509_V_OK
    }

    /// Checks that this certificate chains to one of `authorities`, for signing S/MIME (CMS)
    /// messages, at `time` (seconds since 1970; now when `nil`): the issuer's signature, the
    /// validity period of every certificate in the chain, and the purpose.
    ///
    /// - Throws: ``OpenSSLError`` with OpenSSL's reason (`certificate has expired`, `unable to get
    ///   local issuer certificate`, `unsupported certificate purpose`, ...).
    public func verifyChain(to authorities: [Certificate], at time: Int64? = nil) throws(OpenSSLError) {
        guard let store = X509_STORE_new() else { throw OpenSSLError.drain("X509_STORE_new") }
        defer { X509_STORE_free(store) }
        for authority in authorities {
            guard X509_STORE_add_cert(store, authority.pointer) == 1 else {
                throw OpenSSLError.drain("X509_STORE_add_cert")
            }
        }
        guard let context = X509_STORE_CTX_new() else { throw OpenSSLError.drain("X509_STORE_CTX_new") }
        defer { X509_STORE_CTX_free(context) }
        guard X509_STORE_CTX_init(context, store, pointer, nil) == 1 else {
            throw OpenSSLError.drain("X509_STORE_CTX_init")
        }
        X509_STORE_CTX_set_purpose(context, X509_PURPOSE_SMIME_SIGN)
        if let time { X509_STORE_CTX_set_time(context, 0, time_t(time)) }
        guard X509_verify_cert(context) == 1 else {
            let code = X509_STORE_CTX_get_error(context)
            throw OpenSSLError(
                function: "X509_verify_cert", queue: [String(cString: X509_verify_cert_error_string(Int(code)))])
        }
    }

    /// The DER encoding.
    public func der() throws(OpenSSLError) -> [UInt8] {
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_X509(pointer, &out)
        guard length > 0, let out else { throw OpenSSLError.drain("i2d_X509") }
        defer { vigil_openssl_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    static func entry(_ name: OpaquePointer?, nid: Int32) -> String? {
        guard let name else { return nil }
        let index = X509_NAME_get_index_by_NID(name, nid, -1)
        guard index >= 0, let entry = X509_NAME_get_entry(name, index),
            let data = X509_NAME_ENTRY_get_data(entry)
        else { return nil }
        var utf8: UnsafeMutablePointer<UInt8>?
        let length = ASN1_STRING_to_UTF8(&utf8, data)
        guard length >= 0, let utf8 else { return nil }
        defer { vigil_openssl_free(utf8) }
        return String(decoding: UnsafeBufferPointer(start: utf8, count: Int(length)), as: UTF8.self)
    }

    private static func seconds(_ time: UnsafePointer<ASN1_TIME>?) -> Int64 {
        guard let time else { return 0 }
        var moment = tm()
        guard ASN1_TIME_to_tm(time, &moment) == 1 else { return 0 }
        return Int64(timegm(&moment))
    }
}
