/// A JSON value whose objects keep their keys in the order given, so reports read in the
/// contract's order.
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case double(Double)
    case string(String)
    case array([JSONValue])
    case object([(String, JSONValue)])

    /// Equal values, objects compared key by key in order.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        lhs.serialized() == rhs.serialized()
    }

    /// `.string` for a value, `.null` for `nil`.
    public static func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }

    /// The value as JSON text: indented with two spaces when `pretty`, else on one line.
    public func serialized(pretty: Bool = false) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(1024)
        write(into: &out, pretty: pretty, depth: 0)
        return String(decoding: out, as: UTF8.self)
    }

    private func write(into out: inout [UInt8], pretty: Bool, depth: Int) {
        switch self {
        case .null: out.append(contentsOf: "null".utf8)
        case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
        case .int(let number): out.append(contentsOf: String(number).utf8)
        case .double(let number): out.append(contentsOf: (number.isFinite ? String(number) : "null").utf8)
        case .string(let text): Self.quote(text, into: &out)
        case .array(let items):
            if items.isEmpty {
                out += [0x5B, 0x5D]
                return
            }
            out.append(0x5B)
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(0x2C) }
                newline(&out, pretty, depth + 1)
                item.write(into: &out, pretty: pretty, depth: depth + 1)
            }
            newline(&out, pretty, depth)
            out.append(0x5D)
        case .object(let members):
            if members.isEmpty {
                out += [0x7B, 0x7D]
                return
            }
            out.append(0x7B)
            for (index, member) in members.enumerated() {
                if index > 0 { out.append(0x2C) }
                newline(&out, pretty, depth + 1)
                Self.quote(member.0, into: &out)
                out.append(0x3A)
                if pretty { out.append(0x20) }
                member.1.write(into: &out, pretty: pretty, depth: depth + 1)
            }
            newline(&out, pretty, depth)
            out.append(0x7D)
        }
    }

    private static let hexDigits = Array("0123456789abcdef".utf8)

    private func newline(_ out: inout [UInt8], _ pretty: Bool, _ depth: Int) {
        guard pretty else { return }
        out.append(0x0A)
        out += repeatElement(0x20, count: depth * 2)
    }

    /// ``quote(_:into:)`` of text given as bytes that are valid UTF-8 (ASCII, or a `String`'s
    /// own bytes; other bytes go through `String` first, which mends invalid UTF-8).
    public static func quote(utf8 bytes: UnsafeRawBufferPointer, into out: inout [UInt8]) {
        out.append(0x22)
        var start = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C || byte == 0x7F else { continue }
            out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            default:
                out += [0x5C, 0x75, 0x30, 0x30, Self.hexDigits[Int(byte >> 4)], Self.hexDigits[Int(byte & 0x0F)]]
            }
            start = index + 1
        }
        out.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<bytes.count]))
        out.append(0x22)
    }

    /// RFC 8259 string quoting: `"` and `\` escaped, control characters as `\uXXXX`; other
    /// bytes (UTF-8 included) are copied as they are.
    public static func quote(_ text: String, into out: inout [UInt8]) {
        var text = text
        text.withUTF8 { bytes in
            // UTF-8 needs no escape of its own: the same scan as for ASCII, on the bytes in place.
            quote(utf8: UnsafeRawBufferPointer(bytes), into: &out)
        }
    }
}
