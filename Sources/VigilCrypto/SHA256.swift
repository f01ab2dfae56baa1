internal import COpenSSL

/// SHA-256 computed by OpenSSL's EVP digest API.
///
/// Used for the `secret_sha256` of credentials and for stable finding identifiers. The digest
/// context is allocated per call and freed before returning; nothing is retained.
public enum SHA256 {
    /// The 32-byte digest of `bytes`.
    ///
    /// - Throws: ``OpenSSLError`` if OpenSSL cannot allocate or run the digest (out of memory,
    ///   or a FIPS configuration that forbids it).
    public static func digest(_ bytes: some Sequence<UInt8>) throws(OpenSSLError) -> [UInt8] {
        let input = Array(bytes)
        guard let context = EVP_MD_CTX_new() else { throw OpenSSLError.drain("EVP_MD_CTX_new") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            throw OpenSSLError.drain("EVP_DigestInit_ex")
        }
        let updated = input.withUnsafeBytes { buffer in
            EVP_DigestUpdate(context, buffer.baseAddress, buffer.count)
        }
        guard updated == 1 else { throw OpenSSLError.drain("EVP_DigestUpdate") }
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        guard EVP_DigestFinal_ex(context, &output, &length) == 1 else {
            throw OpenSSLError.drain("EVP_DigestFinal_ex")
        }
        return Array(output.prefix(Int(length)))
    }

    /// The digest of `bytes` as 64 lower-case hexadecimal characters.
    public static func hex(_ bytes: some Sequence<UInt8>) throws(OpenSSLError) -> String {
        try digest(bytes).hexString
    }

    /// The digest of the UTF-8 bytes of `string` as lower-case hexadecimal.
    public static func hex(_ string: String) throws(OpenSSLError) -> String {
        try hex(Array(string.utf8))
    }
}

extension Sequence<UInt8> {
    /// Lower-case hexadecimal rendering of the bytes.
    public var hexString: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(underestimatedCount * 2)
        for byte in self {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}
