public import VigilCore

/// The output of `vigil devices`: every device seen, with vendor, addresses, names, first and
/// last sighting and whether the inventory knows it.
public struct DeviceList: Sendable {
    /// `text` (a table for people), `json` (the report contract's device objects in an array)
    /// or `csv` (RFC 4180, one row per device, stable columns).
    public enum Format: String, Sendable, CaseIterable {
        case text, json, csv
    }

    public var devices: [Device]
    /// An inventory was given: `managed` means something.
    public var hasInventory: Bool

    /// The list of `devices`; `hasInventory` when they were matched against one.
    public init(devices: [Device], hasInventory: Bool) {
        self.devices = devices
        self.hasInventory = hasInventory
    }

    /// The list as text, JSON or CSV.
    public func render(_ format: Format) -> String {
        switch format {
        case .json:
            return JSONValue.array(devices.map(JSONReport.device)).serialized(pretty: true) + "\n"
        case .csv:
            var out = "mac,vendor,ips,hostnames,first_seen,last_seen,managed,asset_tag,asset_status,seen_by\r\n"
            for device in devices {
                let row = [
                    device.mac, device.vendor ?? "", device.ips.joined(separator: " "),
                    device.hostnames.joined(separator: " "), device.firstSeen.iso8601, device.lastSeen.iso8601,
                    hasInventory ? String(device.managed) : "", device.assetTag ?? "", device.assetStatus ?? "",
                    device.seenBy.joined(separator: " "),
                ]
                out += row.map(Self.csvField).joined(separator: ",") + "\r\n"
            }
            return out
        case .text:
            let unmanaged = devices.filter { !$0.managed }.count
            var out =
                hasInventory
                ? "\(devices.count) device(s), \(unmanaged) not in the inventory\n"
                : "\(devices.count) device(s); no inventory given, so managed devices cannot be told from others\n"
            for device in devices {
                var parts = [device.mac]
                if hasInventory {
                    parts.append(
                        device.managed
                            ? "managed \(device.assetTag ?? "")\(device.assetStatus.map { $0 == "active" ? "" : " (\($0))" } ?? "")"
                            : "UNMANAGED")
                }
                parts.append(device.vendor ?? (device.locallyAdministered ? "(random MAC)" : "(vendor unknown)"))
                if !device.ips.isEmpty { parts.append(device.ips.prefix(4).joined(separator: " ")) }
                if !device.hostnames.isEmpty { parts.append(device.hostnames.joined(separator: " ")) }
                parts.append("\(device.firstSeen.iso8601) to \(device.lastSeen.iso8601)")
                parts.append("seen by \(device.seenBy.joined(separator: ", "))")
                out += "  " + parts.map(Printable.visible).joined(separator: "  ") + "\n"
            }
            return out
        }
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break; quotes doubled. A leading
    /// `=`, `+`, `-` or `@` is prefixed with `'` so a spreadsheet does not run it as a formula.
    /// One CSV cell (RFC 4180): control characters shown (`\\n`, `\\x1b`), a cell a spreadsheet
    /// would run as a formula (starting with `=`, `+`, `-`, `@`, a tab or a carriage return)
    /// neutralised with a leading `'`, quoted when it holds a comma or a quote.
    static func csvField(_ text: String) -> String {
        var value = Printable.visible(text)
        if let first = text.unicodeScalars.first, "=+-@\t\r".unicodeScalars.contains(first) { value = "'" + value }
        guard value.contains(where: { $0 == "," || $0 == "\"" }) else { return value }
        return "\"" + value.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
