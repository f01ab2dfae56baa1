internal import VigilCore

/// What a device announcement said about a device.
struct DeviceSighting {
    var mac: MACAddress
    var ip: String?
    var hostname: String?
    /// `arp`, `dhcp`, `lldp`, `cdp`, `mdns`, `traffic`, ...
    var source: String
    var platform: String?
    var port: String?
    var extra: [(Field, String)] = []
}

/// Turns device announcements and every MAC/IP pair seen into `device.observed` events.
///
/// Pairs from ordinary traffic count only for local-scope addresses (RFC 1918, 100.64/10,
/// link-local, IPv6 unique-local and link-local): a global address behind a MAC is the
/// router's forwarding, not a host of this network. ARP, DHCP, LLDP and CDP report any address.
///
/// MAC/IP pairs from ordinary traffic are remembered (at most `maxPairs`, and at most
/// `maxAddressesPerMAC` addresses per MAC: a router forwards for many addresses and is not
/// those hosts) so each gives one event at its first sighting and one at its last.
final class DeviceObserver {
    private struct PairKey: PacketKey {
        var mac: MACAddress
        var ip: IPAddress

        @inline(__always)
        func packetHash(_ seed: UInt64) -> UInt64 {
            mixHash(mixHash(mixHash(seed, mac.value), ip.low), ip.high &+ (ip.isV4 ? 1 : 0))
        }
    }

    private struct PairTimes {
        var first: Timestamp
        var last: Timestamp
        var firstPacket: Int
        var lastPacket: Int
    }

    private let path: String
    private let input: InputID
    /// Each pair's place in ``times``: the table is consulted once per new conversation turn,
    /// the times updated in place.
    private var pairs = PacketMap<PairKey, Int>()
    private var times: [PairTimes] = []
    /// The two pairs seen last, with their places: a conversation alternates between its two
    /// ends, so most packets find their pair here without hashing.
    private var recent: [(key: PairKey, index: Int)] = []
    private var addressesPerMAC = PacketMap<MACAddress, Int>()
    private let maxPairs: Int
    private let maxAddressesPerMAC: Int

    init(path: String, maxPairs: Int = 65_536, maxAddressesPerMAC: Int = 16) {
        self.path = path
        input = InputID(path: path)
        self.maxPairs = maxPairs
        self.maxAddressesPerMAC = maxAddressesPerMAC
    }

    /// Looks at one decoded frame: ARP, LLDP and CDP announce devices; IP traffic pairs a MAC
    /// with an address.
    func observe(_ frame: DecodedFrame, packet: Int, time: Timestamp, into events: inout [Event]) {
        switch frame.etherType {
        case EtherType.arp:
            for sighting in ARPReader.read(frame.linkPayload) {
                events.append(event(sighting, packet: packet, time: time))
            }
        case EtherType.lldp:
            if let source = frame.sourceMAC, let sighting = LLDPReader.read(frame.linkPayload, source: source) {
                events.append(event(sighting, packet: packet, time: time))
            }
        case 0:
            if let source = frame.sourceMAC, let sighting = CDPReader.read(frame.linkPayload, source: source) {
                events.append(event(sighting, packet: packet, time: time))
            }
        default:
            break
        }
        if let icmp = frame.icmpv6, let source = frame.sourceMAC {
            for sighting in NeighbourDiscoveryReader.read(icmp, source: source, sourceIP: frame.ipSource) {
                events.append(event(sighting, packet: packet, time: time))
            }
        }
        guard let mac = frame.sourceMAC, !mac.isGroup, !mac.isZero, let ip = frame.ipSource, ip.isLocalScope else {
            return
        }
        let key = PairKey(mac: mac, ip: ip)
        var index = recent.first { $0.key == key }?.index
        if index == nil, let known = pairs[key] {
            index = known
            remember(key, at: known)
        }
        if let index {
            times[index].last = time
            times[index].lastPacket = packet
            return
        }
        let addresses = addressesPerMAC[mac] ?? 0
        guard pairs.count < maxPairs, addresses < maxAddressesPerMAC else { return }
        addressesPerMAC[mac] = addresses + 1
        pairs[key] = times.count
        remember(key, at: times.count)
        times.append(PairTimes(first: time, last: time, firstPacket: packet, lastPacket: packet))
        events.append(
            event(DeviceSighting(mac: mac, ip: ip.text, source: "traffic"), packet: packet, time: time))
    }

    private func remember(_ key: PairKey, at index: Int) {
        if recent.count == 2 { recent.removeFirst() }
        recent.append((key, index))
    }

    /// Reports the last sighting of each pair seen more than once, at the end of the capture.
    func finish(into events: inout [Event]) {
        let seen = pairs.entries.map { (key: $0.key, times: times[$0.value]) }
        let ordered = seen.filter { $0.times.last != $0.times.first }.sorted {
            ($0.times.lastPacket, $0.times.last) < ($1.times.lastPacket, $1.times.last)
        }
        for pair in ordered {
            events.append(
                event(
                    DeviceSighting(mac: pair.key.mac, ip: pair.key.ip.text, source: "traffic"),
                    packet: pair.times.lastPacket, time: pair.times.last))
        }
    }

    /// A `device.observed` event for a sighting from an application protocol (DHCP, mDNS).
    func event(_ sighting: DeviceSighting, packet: Int, time: Timestamp) -> Event {
        var event = Event(
            kind: .deviceObserved, time: time, source: SourceLocation(input: input, position: .packet(packet)))
        event.set(.srcMAC, sighting.mac.text)
        event.set(.srcIP, address: sighting.ip)
        event.set(.hostName, sighting.hostname)
        event.set(.deviceSource, sighting.source)
        event.set(.devicePlatform, sighting.platform)
        event.set(.devicePort, sighting.port)
        for (field, value) in sighting.extra { event.set(field, value) }
        return event
    }
}

extension IPAddress {
    /// 0.0.0.0 or ::, which name no host.
    var isUnspecified: Bool { high == 0 && low == 0 }

    /// Private, shared, link-local or unique-local: an address a host on this network holds.
    /// A global address behind a MAC is usually a router forwarding for somebody far away.
    var isLocalScope: Bool {
        if isV4 {
            let v = UInt32(truncatingIfNeeded: low)
            return v >> 24 == 10 || v >> 20 == 0xAC1 || v >> 16 == 0xC0A8 || v >> 22 == 0x191 || v >> 16 == 0xA9FE
        }
        let top = high >> 48
        return top & 0xFE00 == 0xFC00 || top & 0xFFC0 == 0xFE80
    }
}

/// ARP (RFC 826) for Ethernet and IPv4: the sender of every request and reply, and the target
/// of a reply, are devices with an address. A gratuitous ARP announces its sender.
enum ARPReader {
    static func read(_ bytes: UnsafeRawBufferPointer) -> [DeviceSighting] {
        guard bytes.count >= 28, bytes.integer(at: 0, as: UInt16.self) == 1,
            bytes.integer(at: 2, as: UInt16.self) == EtherType.ipv4, bytes[4] == 6, bytes[5] == 4,
            let operation = bytes.integer(at: 6, as: UInt16.self)
        else { return [] }
        var sightings: [DeviceSighting] = []
        if let sender = MACAddress(bytes, at: 8), !sender.isZero, !sender.isGroup, let ip = IPAddress(v4: bytes, at: 14)
        {
            sightings.append(DeviceSighting(mac: sender, ip: ip.isUnspecified ? nil : ip.text, source: "arp"))
        }
        if operation == 2, let target = MACAddress(bytes, at: 18), !target.isZero, !target.isGroup,
            let ip = IPAddress(v4: bytes, at: 24)
        {
            sightings.append(DeviceSighting(mac: target, ip: ip.isUnspecified ? nil : ip.text, source: "arp"))
        }
        return sightings
    }
}

/// IPv6 neighbour discovery (RFC 4861): a neighbour advertisement names its target address
/// (and its link-layer address in option 2); solicitations and router messages carry their
/// sender's link-layer address (option 1) for their source address.
enum NeighbourDiscoveryReader {
    static func read(_ bytes: UnsafeRawBufferPointer, source: MACAddress, sourceIP: IPAddress?) -> [DeviceSighting] {
        guard let type = bytes.first, (133...136).contains(type) else { return [] }
        let optionsStart: Int
        var address: IPAddress?
        switch type {
        case 135, 136:
            guard bytes.count >= 24 else { return [] }
            optionsStart = 24
            if type == 136 { address = IPAddress(v6: bytes, at: 8) }
        case 134: optionsStart = 16
        default: optionsStart = 8
        }
        var linkLayer: MACAddress?
        var offset = optionsStart
        while offset + 2 <= bytes.count {
            let optionType = bytes[offset]
            let length = Int(bytes[offset + 1]) * 8
            guard length > 0, offset + length <= bytes.count else { break }
            if (optionType == 1 || optionType == 2) && length >= 8 { linkLayer = MACAddress(bytes, at: offset + 2) }
            offset += length
        }
        let mac = linkLayer ?? source
        guard !mac.isGroup, !mac.isZero else { return [] }
        let ip = address ?? sourceIP
        guard let ip, !ip.isUnspecified else { return [] }
        return [DeviceSighting(mac: mac, ip: ip.text, source: "ndp")]
    }
}

/// LLDP (IEEE 802.1AB): chassis, port and system name of the switch or host that sent it.
enum LLDPReader {
    static func read(_ bytes: UnsafeRawBufferPointer, source: MACAddress) -> DeviceSighting? {
        var offset = 0
        var sighting = DeviceSighting(mac: source, source: "lldp")
        var portDescription: String?
        var managementIP: String?
        while let header = bytes.integer(at: offset, as: UInt16.self) {
            let type = Int(header >> 9)
            let length = Int(header & 0x1ff)
            let value = bytes.slice(offset + 2, offset + 2 + length)
            offset += 2 + length
            if type == 0 { break }
            switch type {
            case 2 where value.count > 1:  // port ID: subtype, then the ID
                let subtype = value[0]
                let id = value.slice(1, value.count)
                sighting.port = subtype == 3 && id.count == 6 ? MACAddress(id, at: 0)?.text : printable(id)
            case 4: portDescription = printable(value)
            case 5: sighting.hostname = printable(value)
            case 6: sighting.platform = printable(value)
            case 8 where value.count >= 6 && value[1] == 1 && value[0] == 5:  // management address, IPv4
                managementIP = IPAddress(v4: value, at: 2)?.text
            default: break
            }
        }
        if sighting.port == nil { sighting.port = portDescription }
        sighting.ip = managementIP
        return sighting
    }
}

/// CDP (Cisco Discovery Protocol) in an 802.3 frame with an LLC/SNAP header (OUI 00000C,
/// protocol 0x2000): device ID, port ID and platform.
enum CDPReader {
    static func read(_ bytes: UnsafeRawBufferPointer, source: MACAddress) -> DeviceSighting? {
        guard bytes.count >= 12, bytes[0] == 0xAA, bytes[1] == 0xAA, bytes[2] == 0x03, bytes[3] == 0, bytes[4] == 0,
            bytes[5] == 0x0C, bytes.integer(at: 6, as: UInt16.self) == 0x2000
        else { return nil }
        var sighting = DeviceSighting(mac: source, source: "cdp")
        var offset = 12  // SNAP (8) + version, TTL, checksum (4)
        while let type = bytes.integer(at: offset, as: UInt16.self),
            let length = bytes.integer(at: offset + 2, as: UInt16.self).map(Int.init)
        {
            guard length >= 4 else { break }
            let value = bytes.slice(offset + 4, offset + length)
            offset += length
            switch type {
            case 0x0001: sighting.hostname = printable(value)
            case 0x0003: sighting.port = printable(value)
            case 0x0006: sighting.platform = printable(value)
            case 0x0002: sighting.ip = sighting.ip ?? firstIPv4(value)
            default: break
            }
        }
        return sighting
    }

    /// The first IPv4 address in a CDP Addresses TLV (count, then protocol type/length/address).
    private static func firstIPv4(_ value: UnsafeRawBufferPointer) -> String? {
        guard let count = value.integer(at: 0, as: UInt32.self) else { return nil }
        var offset = 4
        for _ in 0..<min(Int(count), 8) {
            guard offset + 2 <= value.count else { return nil }
            let protocolLength = Int(value[offset + 1])
            let addressAt = offset + 2 + protocolLength
            guard let addressLength = value.integer(at: addressAt, as: UInt16.self).map(Int.init) else { return nil }
            if protocolLength == 1 && value[offset + 2] == 0xCC && addressLength == 4,
                let address = IPAddress(v4: value, at: addressAt + 2)
            {
                return address.text
            }
            offset = addressAt + 2 + addressLength
        }
        return nil
    }
}
