internal import Foundation
internal import VigilCore

/// The values HTTP carries credentials in: Digest parameters, login form and JSON bodies, and
/// the `Content-Length` that says how long a body is.
enum HTTPFields {
    /// `key="value", key=value` pairs of a Digest header (RFC 7616).
    static func digest(_ text: String) -> [String: String] {
        var fields: [String: String] = [:]
        var rest = Substring(text)
        while !rest.isEmpty {
            rest = rest.drop { $0 == " " || $0 == "," || $0 == "\t" }
            guard let equals = rest.firstIndex(of: "=") else { break }
            let key = rest[..<equals].lowercased().trimmingSpaces
            rest = rest[rest.index(after: equals)...]
            var value = ""
            if rest.first == "\"" {
                rest = rest.dropFirst()
                var escaped = false
                while let character = rest.first {
                    rest = rest.dropFirst()
                    if escaped {
                        value.append(character)
                        escaped = false
                    } else if character == "\\" {
                        escaped = true
                    } else if character == "\"" {
                        break
                    } else {
                        value.append(character)
                    }
                }
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = String(rest[..<end]).trimmingSpaces
                rest = rest[end...]
            }
            fields[key] = value
        }
        return fields
    }

    static func formPairs(_ body: [UInt8]) -> [(String, String)] {
        String(decoding: body, as: UTF8.self).split(separator: "&").compactMap { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let name = parts.first else { return nil }
            func decode(_ text: Substring) -> String {
                String(text).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? String(text)
            }
            return (decode(name), parts.count > 1 ? decode(parts[1]) : "")
        }
    }

    static func jsonPairs(_ body: [UInt8]) -> [(String, String)] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body)) else { return [] }
        var pairs: [(String, String)] = []
        func walk(_ value: Any, _ name: String, depth: Int) {
            guard depth < 4 else { return }
            if let dictionary = value as? [String: Any] {
                for key in dictionary.keys.sorted() { walk(dictionary[key] as Any, key, depth: depth + 1) }
            } else if let text = value as? String {
                pairs.append((name, text))
            } else if let number = value as? NSNumber {
                pairs.append((name, number.stringValue))
            }
        }
        walk(object, "", depth: 0)
        return pairs
    }

    /// A `Content-Length` value: digits only (RFC 9110), so never negative; `nil` otherwise.
    static func contentLength(_ value: String) -> Int? {
        let digits = value.trimmingSpaces
        guard !digits.isEmpty, digits.utf8.count <= 15, digits.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            return nil
        }
        return Int(digits)
    }
}
