internal import Foundation

/// JSON written one way only, so a signature over it can be checked by re-reading the bytes:
/// object keys sorted (by UTF-16 code units, as RFC 8785), no insignificant whitespace, strings
/// escaped as JSON.stringify does, and only integers for numbers (a certificate has no need of
/// fractions, and leaving them out sidesteps RFC 8785's number formatting).
public indirect enum CanonicalJSON: Sendable, Equatable {
    case null
    case bool(Bool)
    case int(Int64)
    case string(String)
    case array([CanonicalJSON])
    case object([String: CanonicalJSON])

    /// The canonical bytes.
    public var bytes: [UInt8] {
        var out: [UInt8] = []
        write(into: &out)
        return out
    }

    private func write(into out: inout [UInt8]) {
        switch self {
        case .null: out += Array("null".utf8)
        case .bool(let flag): out += Array((flag ? "true" : "false").utf8)
        case .int(let number): out += Array(String(number).utf8)
        case .string(let text): Self.quote(text, into: &out)
        case .array(let items):
            out.append(0x5B)
            for (index, item) in items.enumerated() {
                if index > 0 { out.append(0x2C) }
                item.write(into: &out)
            }
            out.append(0x5D)
        case .object(let members):
            out.append(0x7B)
            let keys = members.keys.sorted { Array($0.utf16).lexicographicallyPrecedes(Array($1.utf16)) }
            for (index, key) in keys.enumerated() {
                if index > 0 { out.append(0x2C) }
                Self.quote(key, into: &out)
                out.append(0x3A)
                members[key]!.write(into: &out)
            }
            out.append(0x7D)
        }
    }

    private static func quote(_ text: String, into out: inout [UInt8]) {
        out.append(0x22)
        for byte in text.utf8 {
            switch byte {
            case 0x22: out += [0x5C, 0x22]
            case 0x5C: out += [0x5C, 0x5C]
            case 0x08: out += [0x5C, 0x62]
            case 0x0C: out += [0x5C, 0x66]
            case 0x0A: out += [0x5C, 0x6E]
            case 0x0D: out += [0x5C, 0x72]
            case 0x09: out += [0x5C, 0x74]
            case 0..<0x20:
                let digits = Array("0123456789abcdef".utf8)
                out += [0x5C, 0x75, 0x30, 0x30, digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]]
            default: out.append(byte)
            }
        }
        out.append(0x22)
    }

    /// Reads JSON text back (as Foundation parses it) into the model: numbers must be integers.
    public static func parse(_ bytes: [UInt8]) -> CanonicalJSON? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(bytes), options: [.fragmentsAllowed]) else {
            return nil
        }
        return from(object)
    }

    private static func from(_ value: Any) -> CanonicalJSON? {
        switch value {
        case is NSNull: return .null
        case let text as String: return .string(text)
        case let number as NSNumber:
            // Foundation on Linux gives true and false as NSNumbers of type 'c' (char).
            if String(cString: number.objCType) == "c" { return .bool(number.boolValue) }
            let integer = number.int64Value
            return NSNumber(value: integer) == number ? .int(integer) : nil
        case let items as [Any]:
            var out: [CanonicalJSON] = []
            for item in items {
                guard let converted = from(item) else { return nil }
                out.append(converted)
            }
            return .array(out)
        case let members as [String: Any]:
            var out: [String: CanonicalJSON] = [:]
            for (key, item) in members {
                guard let converted = from(item) else { return nil }
                out[key] = converted
            }
            return .object(out)
        default: return nil
        }
    }

    /// The member `key` of an object; `nil` for a missing key or another kind of value.
    public subscript(key: String) -> CanonicalJSON? {
        if case .object(let members) = self { return members[key] }
        return nil
    }

    /// The item at `index` of an array; `nil` out of range or for another kind of value.
    public subscript(index: Int) -> CanonicalJSON? {
        if case .array(let items) = self, items.indices.contains(index) { return items[index] }
        return nil
    }

    /// The items of an array; `nil` for another kind of value.
    public var array: [CanonicalJSON]? { if case .array(let items) = self { items } else { nil } }

    /// The scalar at `path` (keys of nested objects) as text for people: strings as they are,
    /// numbers and booleans written out, `missing` for anything else.
    public func text(at path: [String], missing: String) -> String {
        var node: CanonicalJSON? = self
        for key in path { node = node?[key] }
        switch node {
        case .string(let text)?: return text
        case .int(let number)?: return String(number)
        case .bool(let flag)?: return flag ? "yes" : "no"
        default: return missing
        }
    }

    /// The text of a string; `nil` for another kind of value.
    public var string: String? { if case .string(let text) = self { text } else { nil } }
    /// The number of an integer; `nil` for another kind of value.
    public var int: Int64? { if case .int(let number) = self { number } else { nil } }
}
