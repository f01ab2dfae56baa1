internal import Foundation
internal import VigilCore

/// What the text protocols (FTP, POP3, IMAP, SMTP, Redis inline) share: words, reply codes,
/// SASL and base64.
enum TextCommand {
    /// The first word of `line` in upper case (ASCII: commands are), made without a heap
    /// allocation for words of up to 15 bytes.
    static func verb(of line: String) -> String {
        let utf8 = line.utf8
        let end = utf8.firstIndex(of: 0x20) ?? utf8.endIndex
        let word = utf8[..<end]
        guard word.count <= 15 else { return String(line[..<end]).uppercased() }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 15) { buffer in
            var count = 0
            for byte in word {
                buffer[count] = byte >= 0x61 && byte <= 0x7A ? byte - 0x20 : byte
                count += 1
            }
            return String(decoding: UnsafeBufferPointer(rebasing: buffer[..<count]), as: UTF8.self)
        }
    }

    /// The three-digit code starting a reply line (FTP, SMTP), and whether the line continues
    /// (`220-`).
    static func replyCode(_ line: String) -> (code: Int, continues: Bool)? {
        let bytes = Array(line.utf8.prefix(4))
        guard bytes.count >= 3, bytes[0...2].allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else { return nil }
        let code = Int(bytes[0] - 0x30) * 100 + Int(bytes[1] - 0x30) * 10 + Int(bytes[2] - 0x30)
        if bytes.count == 4 && bytes[3] != 0x20 && bytes[3] != 0x2D { return nil }
        return (code, bytes.count == 4 && bytes[3] == 0x2D)
    }

    /// The user and password of a SASL PLAIN message (RFC 4616): `authzid NUL authcid NUL passwd`,
    /// base64-encoded.
    static func saslPlain(_ base64: String) -> (user: String, secret: [UInt8])? {
        guard let data = Data(base64Encoded: base64.trimmingSpaces) else { return nil }
        let parts = data.split(separator: 0, omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        let user = String(decoding: parts[1].isEmpty ? parts[0] : parts[1], as: UTF8.self)
        return (user, Array(parts[2]))
    }

    /// Base64 text decoded to bytes, or `nil`.
    static func base64(_ text: String) -> [UInt8]? { Data(base64Encoded: text.trimmingSpaces).map(Array.init) }
}

/// Printable ASCII of `bytes` (others dropped), trimmed; `nil` when nothing is left.
func printable(_ bytes: UnsafeRawBufferPointer) -> String? {
    let kept = bytes.filter { $0 >= 0x20 && $0 < 0x7F }
    let text = String(decoding: kept, as: UTF8.self).trimmingSpaces
    return text.isEmpty ? nil : text
}
