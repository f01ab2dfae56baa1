internal import VigilCore

/// DHCP (RFC 2131/2132): the client's MAC with its host name (option 12), vendor class (60),
/// parameter request list (55, a fingerprint of the client's DHCP stack), and its address:
/// requested (50), in use (ciaddr) or assigned by the server (yiaddr). Recognised by the magic
/// cookie, on any port.
enum DHCPDissector: UDPDissector {
    static let name = "dhcp"
    static let magicCookie: UInt32 = 0x6382_5363

    static func makeSession(_ context: CaptureContext) -> any DatagramSession { DeviceAnnouncements(context, read) }

    static func read(_ datagram: Datagram) -> [DeviceSighting]? {
        let bytes = datagram.payload
        guard bytes.count >= 240, bytes[1] == 1, bytes[2] == 6,
            bytes.integer(at: 236, as: UInt32.self) == magicCookie, let mac = MACAddress(bytes, at: 28), !mac.isZero,
            let clientAddress = IPAddress(v4: bytes, at: 12), let yourAddress = IPAddress(v4: bytes, at: 16)
        else { return nil }
        let fromServer = bytes[0] == 2
        var sighting = DeviceSighting(mac: mac, source: "dhcp")
        var requested: String?
        var messageType: UInt8 = 0
        var options = ByteCursor(bytes, at: 240)
        while let code = options.readByte(), code != 255 {
            if code == 0 { continue }  // padding
            guard let length = options.readByte() else { break }
            let value = options.readBytes(Int(length)) ?? options.rest  // a cut last option: what is there
            switch code {
            case 53 where value.count == 1: messageType = value[0]
            case 12: sighting.hostname = printable(value)
            case 60: printable(value).map { sighting.extra.append((.dhcpVendorClass, $0)) }
            case 55: sighting.extra.append((.dhcpFingerprint, value.map { String($0) }.joined(separator: ",")))
            case 50 where value.count == 4: requested = IPAddress(v4: value, at: 0)?.text
            default: break
            }
            if value.count < Int(length) { break }
        }
        if fromServer {
            // Only an ACK (5) really assigns the address; an OFFER (2) only proposes it.
            sighting.ip = messageType == 5 && !yourAddress.isUnspecified ? yourAddress.text : nil
        } else {
            sighting.ip = requested ?? (clientAddress.isUnspecified ? nil : clientAddress.text)
            if let ip = requested { sighting.extra.append((.dhcpRequestedIP, ip)) }
        }
        return [sighting]
    }
}

/// A UDP dissector that only announces devices: each datagram it can read becomes sightings,
/// with nothing kept between datagrams.
final class DeviceAnnouncements: DatagramSession {
    private let devices: DeviceObserver
    private let read: (Datagram) -> [DeviceSighting]?

    /// Claims the datagrams `read` makes sightings of (an empty list claims without any).
    init(_ context: CaptureContext, _ read: @escaping (Datagram) -> [DeviceSighting]?) {
        devices = context.devices
        self.read = read
    }

    func receive(_ datagram: Datagram, into events: inout [Event]) -> Bool {
        guard let sightings = read(datagram) else { return false }
        for sighting in sightings {
            events.append(devices.event(sighting, packet: datagram.number, time: datagram.time))
        }
        return true
    }
}
