internal import Foundation

/// MAC address prefixes to organisation names, from the IEEE registry files of Debian's
/// `ieee-data` package (`oui.csv` for 24-bit MA-L, `mam.csv` 28-bit MA-M, `oui36.csv` 36-bit
/// MA-S). The longest matching prefix wins.
///
/// Only the organisations of the addresses asked about are kept: one pass over the registry's
/// bytes finds them, so a report with a few devices does not pay for 40,000 names.
public struct VendorRegistry: Sendable {
    /// Where Debian installs the registry; `VIGIL_IEEE_DATA` overrides it.
    public static var defaultFolder: String {
        ProcessInfo.processInfo.environment["VIGIL_IEEE_DATA"] ?? "/usr/share/ieee-data"
    }

    private var names: [String: String] = [:]
    /// Whether any registry file could be read.
    public private(set) var available = false

    /// Looks up the vendors of `macs` (`aa:bb:cc:dd:ee:ff`) in the registry in `folder`; a
    /// missing folder gives no vendors.
    public init(folder: String = VendorRegistry.defaultFolder, macs: some Sequence<String>) {
        var wanted: [Int: [UInt64: [String]]] = [24: [:], 28: [:], 36: [:]]
        for mac in macs {
            guard let value = Self.value(of: mac) else { continue }
            for bits in [24, 28, 36] { wanted[bits]?[value >> UInt64(48 - bits), default: []].append(mac) }
        }
        var matches: [String: (bits: Int, name: String)] = [:]
        for (file, bits) in [("oui.csv", 24), ("mam.csv", 28), ("oui36.csv", 36)] {
            guard let data = FileManager.default.contents(atPath: folder + "/" + file), let table = wanted[bits] else {
                continue
            }
            available = true
            data.withUnsafeBytes { bytes in
                guard let base = bytes.baseAddress else { return }
                // memchr finds the line ends: a byte-by-byte loop over 4 MB of registry would
                // cost more than every lookup together.
                var start = 0
                var first = true
                while start < bytes.count {
                    let found: UnsafeMutableRawPointer? = memchr(base + start, 0x0A, bytes.count - start)
                    let end = found.map { base.distance(to: UnsafeRawPointer($0)) } ?? bytes.count
                    let line = UnsafeRawBufferPointer(rebasing: bytes[start..<end])
                    if !first, let prefix = Self.prefix(line), let macs = table[prefix],
                        let (_, name) = Self.assignment(line)
                    {
                        for mac in macs where (matches[mac]?.bits ?? 0) < bits { matches[mac] = (bits, name) }
                    }
                    first = false
                    start = end + 1
                }
            }
        }
        names = matches.mapValues(\.name)
    }

    /// The organisation the address was assigned to, if known.
    public func vendor(of mac: String) -> String? { names[mac] }

    private static func value(of mac: String) -> UInt64? {
        var value: UInt64 = 0
        var digits = 0
        for byte in mac.utf8 where byte != 0x3A {
            guard let digit = hexDigit(byte) else { return nil }
            value = value << 4 | UInt64(digit)
            digits += 1
        }
        return digits == 12 ? value : nil
    }

    /// The hexadecimal assignment (second field) of a registry line, without building strings.
    private static func prefix(_ line: UnsafeRawBufferPointer) -> UInt64? {
        guard let comma = line.firstIndex(of: 0x2C) else { return nil }
        var value: UInt64 = 0
        var index = comma + 1
        while index < line.count, line[index] != 0x2C {
            guard let digit = hexDigit(line[index]) else { return nil }
            value = value << 4 | UInt64(digit)
            index += 1
        }
        return index > comma + 1 ? value : nil
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

    static func hexDigit(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: byte - 0x30
        case 0x41...0x46: byte - 0x41 + 10
        case 0x61...0x66: byte - 0x61 + 10
        default: nil
        }
    }
}
