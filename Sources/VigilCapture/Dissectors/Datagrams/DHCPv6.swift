internal import VigilCore

/// DHCPv6 (RFC 8415): the client's MAC from its DUID (link-layer types 1 and 3), its FQDN
/// (option 39) and the addresses assigned in IA_NA (option 3, IA Address 5). On ports 546 and
/// 547.
enum DHCPv6Dissector: UDPDissector {
    static let name = "dhcpv6"

    static func makeSession(_ context: CaptureContext) -> any DatagramSession {
        DeviceAnnouncements(context) { datagram in
            guard datagram.uses(546, 547) else { return nil }
            return read(datagram.payload, source: datagram.sourceMAC).map { [$0] }
        }
    }

    static func read(_ bytes: UnsafeRawBufferPointer, source: MACAddress?) -> DeviceSighting? {
        guard bytes.count >= 4, (1...13).contains(bytes[0]) else { return nil }
        var mac: MACAddress?
        var hostname: String?
        var address: String?
        var options = ByteCursor(bytes, at: 4)
        while let code = options.readInteger(as: UInt16.self), let length = options.readInteger(as: UInt16.self),
            let value = options.readBytes(Int(length))
        {
            switch code {
            case 1 where length >= 10:  // client identifier: a DUID
                let type = value.integer(at: 0, as: UInt16.self)
                let hardware = value.integer(at: 2, as: UInt16.self)
                if type == 1 && length >= 14 && hardware == 1 { mac = MACAddress(value, at: 8) }
                if type == 3 && hardware == 1 { mac = MACAddress(value, at: 4) }
            case 39 where length > 1:  // client FQDN: flags, then DNS wire-format name
                hostname = DNSMessage.name(value, at: 1)?.0
            case 3 where length > 12:  // IA_NA: IAID, T1, T2, then options
                var inner = ByteCursor(value, at: 12)
                while let innerCode = inner.readInteger(as: UInt16.self),
                    let innerLength = inner.readInteger(as: UInt16.self)
                {
                    let innerValue = inner.readBytes(Int(innerLength)) ?? inner.rest
                    if innerCode == 5 && innerLength >= 24, let assigned = IPAddress(v6: innerValue, at: 0) {
                        address = assigned.text
                    }
                    if innerValue.count < Int(innerLength) { break }
                }
            default:
                break
            }
        }
        guard let device = mac ?? source, !device.isGroup, !device.isZero else { return nil }
        guard hostname != nil || address != nil || mac != nil else { return nil }
        return DeviceSighting(mac: device, ip: address, hostname: hostname, source: "dhcpv6")
    }
}
