/// A minimal reader of ASN.1 BER (X.690) as SNMP, LDAP and Kerberos use it: tag, definite
/// length (short or long form, at most 4 length octets), value. Never reads past its buffer.
struct BERReader {
    private let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int

    init(_ bytes: UnsafeRawBufferPointer, offset: Int = 0) {
        self.bytes = bytes
        self.offset = offset
    }

    var atEnd: Bool { offset >= bytes.count }

    /// One element: its tag byte, and its value bytes.
    struct Element {
        var tag: UInt8
        var value: UnsafeRawBufferPointer
        /// The element's total length, header included.
        var length: Int
    }

    /// The header at the current offset: tag, value length and header length; `nil` if the
    /// bytes end before the header does or the length is indefinite or absurd.
    static func header(_ bytes: UnsafeRawBufferPointer, at offset: Int) -> (tag: UInt8, length: Int, header: Int)? {
        guard offset + 2 <= bytes.count else { return nil }
        let tag = bytes[offset]
        guard tag & 0x1F != 0x1F else { return nil }  // multi-byte tags are not used by these protocols
        let first = bytes[offset + 1]
        if first < 0x80 { return (tag, Int(first), 2) }
        let count = Int(first & 0x7F)
        guard count >= 1, count <= 4, offset + 2 + count <= bytes.count else { return nil }
        var length = 0
        for index in 0..<count { length = length << 8 | Int(bytes[offset + 2 + index]) }
        return (tag, length, 2 + count)
    }

    /// Reads the next element; `nil` (and no move) when it does not fit in the buffer.
    mutating func next() -> Element? {
        guard let (tag, length, header) = Self.header(bytes, at: offset), offset + header + length <= bytes.count
        else { return nil }
        let element = Element(
            tag: tag, value: bytes.slice(offset + header, offset + header + length), length: header + length)
        offset += header + length
        return element
    }

    /// Reads the next element if it has `tag`.
    mutating func next(tag: UInt8) -> Element? {
        let saved = offset
        guard let element = next(), element.tag == tag else {
            offset = saved
            return nil
        }
        return element
    }

    /// A non-negative INTEGER's value (at most 8 octets).
    static func integer(_ value: UnsafeRawBufferPointer) -> Int? {
        guard !value.isEmpty, value.count <= 8 else { return nil }
        var result = 0
        for byte in value { result = result << 8 | Int(byte) }
        return result
    }
}
