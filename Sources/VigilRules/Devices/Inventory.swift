internal import Foundation
public import VigilCore

/// The organisation's asset inventory, from a CSV export of a spreadsheet or an asset tool.
///
/// The header names the columns, in any order and any case: `asset_tag`, `hostname`, `mac`,
/// `ip`, `owner`, `status` (`active`, `retired`, `disposed`; empty is active). Other columns are
/// ignored. MACs are read in any common notation (`aa:bb:cc:dd:ee:ff`, `AA-BB-…`,
/// `aabb.ccdd.eeff`, `aabbccddeeff`); a cell may list several addresses separated by `;` or
/// spaces. Quoting is RFC 4180's.
public struct Inventory: Sendable {
    /// One row.
    public struct Asset: Sendable, Equatable {
        public var tag: String?
        public var hostname: String?
        public var macs: [String]
        public var ips: [String]
        public var owner: String?
        public var status: String
        /// The row's line in the file.
        public var line: Int
    }

    public private(set) var assets: [Asset] = []
    private var byMAC: [String: Int] = [:]
    private var byHost: [String: Int] = [:]
    private var byIP: [String: Int] = [:]

    /// Reads the CSV at `path`.
    ///
    /// - Throws: ``VigilError`` naming the file and line: unreadable, no header, no column that
    ///   identifies a device, an unknown status, a MAC that is none.
    public init(path: String) throws(VigilError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.unreadable, path: path, reason: "cannot read the inventory")
        }
        try self.init(text: String(decoding: data, as: UTF8.self), path: path)
    }

    /// The inventory in CSV `text`, read from `path` (named in errors).
    public init(text: String, path: String) throws(VigilError) {
        let rows = Self.records(text)
        guard let header = rows.first else {
            throw VigilError(.corrupt, path: path, position: .line(1), reason: "empty inventory: no header")
        }
        let names = header.fields.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        func column(_ wanted: [String]) -> Int? { names.firstIndex { wanted.contains($0) } }
        let tag = column(["asset_tag", "asset tag", "tag", "asset"])
        let host = column(["hostname", "host", "name"])
        let mac = column(["mac", "mac_address", "mac address"])
        let ip = column(["ip", "ip_address", "ip address", "ips"])
        let owner = column(["owner", "user"])
        let status = column(["status", "state"])
        guard mac != nil || host != nil || ip != nil else {
            throw VigilError(
                .corrupt, path: path, position: .line(header.line),
                reason: "the header names no 'mac', 'hostname' or 'ip' column",
                hint: "columns: asset_tag, hostname, mac, ip, owner, status")
        }
        for row in rows.dropFirst() {
            func cell(_ index: Int?) -> String? {
                guard let index, index < row.fields.count else { return nil }
                let value = row.fields[index].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
            if row.fields.allSatisfy({ $0.trimmingCharacters(in: .whitespaces).isEmpty }) { continue }
            var macs: [String] = []
            for text in Self.split(cell(mac)) {
                guard let normal = Self.normalMAC(text) else {
                    throw VigilError(
                        .corrupt, path: path, position: .line(row.line), reason: "'\(text)' is not a MAC address")
                }
                macs.append(normal)
            }
            let state = (cell(status) ?? "active").lowercased()
            guard ["active", "retired", "disposed", "in use", "in stock", "lost", "stolen"].contains(state) else {
                throw VigilError(
                    .corrupt, path: path, position: .line(row.line),
                    reason: "status '\(state)' is not one of active, retired, disposed")
            }
            let asset = Asset(
                tag: cell(tag), hostname: cell(host), macs: macs, ips: Self.split(cell(ip)), owner: cell(owner),
                status: state == "in use" || state == "in stock" ? "active" : state, line: row.line)
            let index = assets.count
            assets.append(asset)
            for address in macs { byMAC[address] = index }
            if let name = asset.hostname?.lowercased() { byHost[name] = index }
            for address in asset.ips { byIP[address] = index }
        }
    }

    /// Adds `other`'s rows; where both name the same MAC, host or address, `other`'s row wins.
    public mutating func add(_ other: Inventory) {
        for asset in other.assets {
            let index = assets.count
            assets.append(asset)
            for address in asset.macs { byMAC[address] = index }
            if let name = asset.hostname?.lowercased() { byHost[name] = index }
            for address in asset.ips { byIP[address] = index }
        }
    }

    /// The asset a device is: by MAC, else by host name, else by IP address (for rows without
    /// a MAC).
    public func asset(mac: String?, hostnames: [String] = [], ips: [String] = []) -> Asset? {
        if let mac, let index = Self.normalMAC(mac).flatMap({ byMAC[$0] }) { return assets[index] }
        for name in hostnames {
            if let index = byHost[name.lowercased()] { return assets[index] }
        }
        for address in ips {
            if let index = byIP[address], assets[index].macs.isEmpty { return assets[index] }
        }
        return nil
    }

    /// `aa:bb:cc:dd:ee:ff` for any common notation, `nil` when it is no MAC.
    public static func normalMAC(_ text: String) -> String? {
        let hex = text.lowercased().filter { $0.isHexDigit }
        let separators = text.filter { !$0.isHexDigit }
        guard hex.count == 12, separators.allSatisfy({ ":-. ".contains($0) }) else { return nil }
        var out = ""
        for (index, character) in hex.enumerated() {
            if index > 0 && index % 2 == 0 { out.append(":") }
            out.append(character)
        }
        return out
    }

    private static func split(_ cell: String?) -> [String] {
        guard let cell else { return [] }
        return cell.split(whereSeparator: { $0 == ";" || $0 == " " || $0 == "," }).map(String.init)
    }

    /// RFC 4180 records: fields separated by commas, quoted fields may hold commas, quotes
    /// (doubled) and line breaks; each record with the line it starts on.
    static func records(_ text: String) -> [(fields: [String], line: Int)] {
        var records: [(fields: [String], line: Int)] = []
        var fields: [String] = []
        var field = ""
        var quoted = false
        var line = 1
        var start = 1
        var characters = Array(text.unicodeScalars)
        if characters.first == "\u{FEFF}" { characters.removeFirst() }  // a spreadsheet's BOM
        var index = 0
        while index < characters.count {
            let character = characters[index]
            if quoted {
                if character == "\"" {
                    if index + 1 < characters.count && characters[index + 1] == "\"" {
                        field.unicodeScalars.append("\"")
                        index += 1
                    } else {
                        quoted = false
                    }
                } else {
                    if character == "\n" { line += 1 }
                    field.unicodeScalars.append(character)
                }
            } else {
                switch character {
                case "\"": quoted = true
                case ",":
                    fields.append(field)
                    field = ""
                case "\r": break
                case "\n":
                    fields.append(field)
                    records.append((fields, start))
                    fields = []
                    field = ""
                    line += 1
                    start = line
                default: field.unicodeScalars.append(character)
                }
            }
            index += 1
        }
        if !field.isEmpty || !fields.isEmpty {
            fields.append(field)
            records.append((fields, start))
        }
        return records
    }
}
