internal import COpenSSL

/// An OpenSSL call failed; carries the function that failed and OpenSSL's own error queue.
public struct OpenSSLError: Error, Sendable, CustomStringConvertible {
    /// The OpenSSL function whose call failed.
    public let function: String
    /// OpenSSL's error strings, oldest first, as `ERR_error_string_n` renders them.
    public let queue: [String]

    public var description: String {
        queue.isEmpty ? "OpenSSL \(function) failed" : "OpenSSL \(function) failed: \(queue.joined(separator: "; "))"
    }

    /// Empties OpenSSL's thread-local error queue into a new error value.
    static func drain(_ function: String) -> OpenSSLError {
        var messages: [String] = []
        while true {
            let code = vigil_err_get_error()
            if code == 0 { break }
            var buffer = [CChar](repeating: 0, count: 256)
            ERR_error_string_n(code, &buffer, buffer.count)
            messages.append(String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self))
        }
        return OpenSSLError(function: function, queue: messages)
    }
}
