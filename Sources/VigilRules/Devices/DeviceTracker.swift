public import VigilCore

/// Builds the report's device list from `device.observed` events: one device per MAC with
/// every address, name and source it was seen with, and its vendor.
///
/// Bounded: at most `maxDevices` MACs, 32 addresses and 8 names each.
public final class DeviceTracker {
    private struct Entry {
        var ips: [String] = []
        var hostnames: [String] = []
        var first: Timestamp
        var last: Timestamp
        var platform: String?
        var port: String?
        var seenBy: [String] = []
    }

    private var devices: [String: Entry] = [:]
    private var order: [String] = []
    private let vendorFolder: String
    private let maxDevices: Int
    /// Devices beyond the limit, not tracked.
    public private(set) var dropped = 0

    /// - Parameter vendorFolder: where the IEEE registry is; it is read only if devices were seen.
    public init(vendorFolder: String = VendorRegistry.defaultFolder, maxDevices: Int = 100_000) {
        self.vendorFolder = vendorFolder
        self.maxDevices = maxDevices
    }

    /// Takes a `device.observed` event; other events are ignored.
    public func process(_ event: Event) {
        guard event.kind == .deviceObserved, let mac = event[.srcMAC]?.description else { return }
        var entry: Entry
        if let existing = devices[mac] {
            entry = existing
        } else {
            guard devices.count < maxDevices else {
                dropped += 1
                return
            }
            entry = Entry(first: event.time, last: event.time)
            order.append(mac)
        }
        entry.first = min(entry.first, event.time)
        entry.last = max(entry.last, event.time)
        if let ip = event[.srcIP]?.description, !entry.ips.contains(ip), entry.ips.count < 32 { entry.ips.append(ip) }
        if let name = event[.hostName]?.description, !entry.hostnames.contains(name), entry.hostnames.count < 8 {
            entry.hostnames.append(name)
        }
        if let platform = event[.devicePlatform]?.description { entry.platform = platform }
        if let port = event[.devicePort]?.description { entry.port = port }
        if let source = event[.deviceSource]?.description, !entry.seenBy.contains(source) {
            entry.seenBy.append(source)
        }
        devices[mac] = entry
    }

    /// The devices, in MAC order. `managed` is false and `assetTag` nil until an inventory is
    /// matched against them.
    public func list() -> [Device] {
        guard !order.isEmpty else { return [] }
        let vendors = VendorRegistry(folder: vendorFolder, macs: order)
        return order.sorted().compactMap { mac in
            guard let entry = devices[mac] else { return nil }
            return Device(
                mac: mac, ips: entry.ips, hostnames: entry.hostnames, vendor: vendors.vendor(of: mac),
                firstSeen: entry.first, lastSeen: entry.last, managed: false, assetTag: nil, platform: entry.platform,
                port: entry.port, locallyAdministered: VendorRegistry.isLocallyAdministered(mac), seenBy: entry.seenBy)
        }
    }
}
