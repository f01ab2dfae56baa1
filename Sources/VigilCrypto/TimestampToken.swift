internal import COpenSSL
internal import Foundation

/// RFC 3161 time-stamping: a request for the SHA-256 of some data, and the check of the TSA's
/// response, so a signature stays verifiable after its signer certificate expires (the chain is
/// then checked at the time the TSA vouched for).
public enum RFC3161 {
    /// A DER TimeStampReq for the SHA-256 of `data`, asking for the TSA's certificate, with a
    /// random nonce.
    public static func request(for data: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        guard let request = TS_REQ_new() else { throw OpenSSLError.drain("TS_REQ_new") }
        defer { TS_REQ_free(request) }
        guard let imprint = TS_MSG_IMPRINT_new() else { throw OpenSSLError.drain("TS_MSG_IMPRINT_new") }
        defer { TS_MSG_IMPRINT_free(imprint) }
        guard let algorithm = X509_ALGOR_new() else { throw OpenSSLError.drain("X509_ALGOR_new") }
        defer { X509_ALGOR_free(algorithm) }
        guard X509_ALGOR_set0(algorithm, OBJ_nid2obj(NID_sha256), V_ASN1_NULL, nil) == 1,
            TS_MSG_IMPRINT_set_algo(imprint, algorithm) == 1
        else { throw OpenSSLError.drain("TS_MSG_IMPRINT_set_algo") }
        var digest = try SHA256.digest(data)
        guard TS_MSG_IMPRINT_set_msg(imprint, &digest, Int32(digest.count)) == 1,
            TS_REQ_set_version(request, 1) == 1, TS_REQ_set_msg_imprint(request, imprint) == 1,
            TS_REQ_set_cert_req(request, 1) == 1
        else { throw OpenSSLError.drain("TS_REQ_set_msg_imprint") }
        var nonceBytes = [UInt8](repeating: 0, count: 8)
        guard RAND_bytes(&nonceBytes, 8) == 1, let number = BN_bin2bn(nonceBytes, 8, nil) else {
            throw OpenSSLError.drain("RAND_bytes")
        }
        defer { BN_free(number) }
        guard let nonce = BN_to_ASN1_INTEGER(number, nil) else { throw OpenSSLError.drain("BN_to_ASN1_INTEGER") }
        defer { ASN1_INTEGER_free(nonce) }
        guard TS_REQ_set_nonce(request, nonce) == 1 else { throw OpenSSLError.drain("TS_REQ_set_nonce") }
        var out: UnsafeMutablePointer<UInt8>?
        let length = i2d_TS_REQ(request, &out)
        guard length > 0, let out else { throw OpenSSLError.drain("i2d_TS_REQ") }
        defer { vigil_openssl_free(out) }
        return Array(UnsafeBufferPointer(start: out, count: Int(length)))
    }

    /// Checks a DER TimeStampResp over `data` against the TSA's `authorities`: granted, signed by
    /// a time-stamping certificate that chains to one of them, for this data. Returns the time
    /// the TSA put in it, in seconds since 1970.
    public static func verify(_ response: [UInt8], data: [UInt8], authorities: [Certificate]) throws(OpenSSLError)
        -> Int64
    {
        var cursor: UnsafePointer<UInt8>?
        let parsed: OpaquePointer? = response.withUnsafeBufferPointer { buffer in
            cursor = buffer.baseAddress
            return d2i_TS_RESP(nil, &cursor, buffer.count)
        }
        guard let parsed else { throw OpenSSLError.drain("d2i_TS_RESP") }
        defer { TS_RESP_free(parsed) }
        guard let context = TS_VERIFY_CTX_new() else { throw OpenSSLError.drain("TS_VERIFY_CTX_new") }
        defer { TS_VERIFY_CTX_free(context) }
        // The context owns the data BIO and the store it is given, and frees them.
        guard let store = X509_STORE_new() else { throw OpenSSLError.drain("X509_STORE_new") }
        for authority in authorities { X509_STORE_add_cert(store, authority.pointer) }
        _ = TS_VERIFY_CTX_set_store(context, store)
        guard let bio = BIO_new(BIO_s_mem()) else { throw OpenSSLError.drain("BIO_new") }
        _ = data.withUnsafeBytes { BIO_write(bio, $0.baseAddress, Int32($0.count)) }
        _ = TS_VERIFY_CTX_set_data(context, bio)
        _ = TS_VERIFY_CTX_set_flags(context, Int32(bitPattern: vigil_ts_verify_flags()))
        guard TS_RESP_verify_response(context, parsed) == 1 else { throw OpenSSLError.drain("TS_RESP_verify_response") }
        guard let info = TS_RESP_get_tst_info(parsed), let time = TS_TST_INFO_get_time(info) else {
            throw OpenSSLError.drain("TS_TST_INFO_get_time")
        }
        var moment = tm()
        guard ASN1_TIME_to_tm(time, &moment) == 1 else { throw OpenSSLError.drain("ASN1_TIME_to_tm") }
        return Int64(timegm(&moment))
    }
}
