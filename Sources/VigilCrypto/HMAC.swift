internal import COpenSSL

/// HMAC-SHA-256 computed by OpenSSL, for keyed digests of secrets: without the key, a digest
/// cannot be checked against a dictionary of passwords.
public enum HMACSHA256 {
    /// The 32-byte HMAC-SHA-256 of `data` under `key`.
    ///
    /// - Throws: ``OpenSSLError`` if OpenSSL cannot compute it.
    public static func digest(key: [UInt8], data: [UInt8]) throws(OpenSSLError) -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let done = key.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { dataBytes in
                HMAC(
                    EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                    dataBytes.baseAddress?.assumingMemoryBound(to: UInt8.self), dataBytes.count, &output, &length)
            }
        }
        guard done != nil else { throw OpenSSLError.drain("HMAC") }
        return Array(output.prefix(Int(length)))
    }
}

/// Random bytes from OpenSSL's generator.
public enum SecureRandom {
    /// `count` random bytes.
    public static func bytes(_ count: Int) throws(OpenSSLError) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        guard RAND_bytes(&bytes, Int32(count)) == 1 else { throw OpenSSLError.drain("RAND_bytes") }
        return bytes
    }
}
