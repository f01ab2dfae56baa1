internal import Foundation

/// MAC address prefixes to organisation names, from the IEEE registry files of Debian's
/// `ieee-data` package (`oui.csv` for 24-bit MA-L, `mam.csv` 28-bit MA-M, `oui36.csv` 36-bit
/// MA-S). The longest matching prefix wins.
public final class VendorRegistry: Sendable {
    /// Where Debian installs the registry; `VIGIL_IEEE_DATA` overrides it.
    public static var defaultFolder: String {
        ProcessInfo.processInfo.environment["VIGIL_IEEE_DATA"] ?? "/usr/share/ieee-data"
    }

    private let byPrefix: [Int: [UInt64: String]]
    /// Assignments loaded; 0 when the registry files are missing.
    public let count: Int

    /// Loads the registry from `folder`; a missing folder gives an empty registry.
    public init(folder: String = VendorRegistry.defaultFolder) {
        var tables: [Int: [UInt64: String]] = [:]
        var total = 0
        for (file, bits) in [("oui.csv", 24), ("mam.csv", 28), ("oui36.csv", 36)] {
            guard let data = FileManager.default.contents(atPath: folder + "/" + file) else { continue }
            var table: [UInt64: String] = [:]
            data.withUnsafeBytes { bytes in
                var start = 0
                var first = true
                while start < bytes.count {
                    let end = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
                    if !first,
                        let (prefix, name) = Self.assignment(UnsafeRawBufferPointer(rebasing: bytes[start..<end]))
                    {
                        table[prefix] = name
                    }
                    first = false
                    start = end + 1
                }
            }
            total += table.count
            tables[bits] = table
        }
        byPrefix = tables
        count = total
    }

    /// The organisation the address `aa:bb:cc:dd:ee:ff` was assigned to, if known.
    public func vendor(of mac: String) -> String? {
        guard let value = UInt64(mac.replacingOccurrences(of: ":", with: ""), radix: 16) else { return nil }
        for bits in [36, 28, 24] {
            if let name = byPrefix[bits]?[value >> UInt64(48 - bits)] { return name }
        }
        return nil
    }

    /// Whether the U/L bit of the first octet marks a locally administered (random) address.
    public static func isLocallyAdministered(_ mac: String) -> Bool {
        guard let first = UInt8(mac.prefix(2), radix: 16) else { return false }
        return first & 0x02 != 0
    }

    /// The assignment (second field, hex) and organisation (third field, maybe quoted with
    /// doubled quotes inside) of one registry line: `MA-L,002272,"Name, Inc.",Address`.
    static func assignment(_ line: UnsafeRawBufferPointer) -> (UInt64, String)? {
        guard let firstComma = line.firstIndex(of: 0x2C) else { return nil }
        var index = firstComma + 1
        var prefix: UInt64 = 0
        var digits = 0
        while index < line.count, line[index] != 0x2C {
            guard let digit = hexDigit(line[index]) else { return nil }
            prefix = prefix << 4 | UInt64(digit)
            digits += 1
            index += 1
        }
        guard digits > 0, index < line.count else { return nil }
        index += 1
        var name: [UInt8] = []
        if index < line.count && line[index] == 0x22 {
            index += 1
            while index < line.count {
                if line[index] == 0x22 {
                    if index + 1 < line.count && line[index + 1] == 0x22 {
                        name.append(0x22)
                        index += 2
                        continue
                    }
                    break
                }
                name.append(line[index])
                index += 1
            }
        } else {
            while index < line.count && line[index] != 0x2C && line[index] != 0x0D {
                name.append(line[index])
                index += 1
            }
        }
        let text = String(decoding: name, as: UTF8.self).trimmingCharacters(in: .whitespaces)
        return text.isEmpty ? nil : (prefix, text)
    }

    private static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
