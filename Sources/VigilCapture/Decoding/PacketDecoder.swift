/// The transport-layer view of one packet: addresses, ports, TCP sequence state and payload.
///
/// `payload` points into the capture buffer and is valid only while that packet is.
struct TransportPacket {
    var source: IPAddress
    var destination: IPAddress
    /// IP protocol number: 6 for TCP, 17 for UDP.
    var ipProtocol: UInt8
    var sourcePort: UInt16
    var destinationPort: UInt16
    var sequence: UInt32 = 0
    var acknowledgement: UInt32 = 0
    var tcpFlags: UInt8 = 0
    var payload: UnsafeRawBufferPointer
}

/// TCP header flag bits.
enum TCPFlag {
    static let fin: UInt8 = 0x01
    static let syn: UInt8 = 0x02
    static let rst: UInt8 = 0x04
    static let ack: UInt8 = 0x10
}

/// Link-layer header types Vigil decodes, by their libpcap DLT_/LINKTYPE_ number.
enum LinkType {
    static let null: Int32 = 0
    static let ethernet: Int32 = 1
    static let rawOpenBSD: Int32 = 14
    static let rawLinux: Int32 = 12
    static let raw: Int32 = 101
    static let loop: Int32 = 108
    static let linuxSLL: Int32 = 113
    static let ipv4: Int32 = 228
    static let ipv6: Int32 = 229
    static let linuxSLL2: Int32 = 276

    static func isSupported(_ type: Int32) -> Bool {
        [null, ethernet, rawOpenBSD, rawLinux, raw, loop, linuxSLL, ipv4, ipv6, linuxSLL2].contains(type)
    }
}

/// Decodes link, network and transport headers from raw packet bytes without allocating.
///
/// Checksums are not verified: captures taken on a host with checksum offload carry wrong
/// checksums on every outgoing packet, and a decoder that drops them misses the logins.
enum PacketDecoder {
    private static let etherTypeIPv4: UInt16 = 0x0800
    private static let etherTypeIPv6: UInt16 = 0x86DD
    private static let vlanTags: Set<UInt16> = [0x8100, 0x88A8, 0x9100]

    /// The TCP or UDP packet inside `bytes`, or `nil` if it holds something else or is malformed.
    static func decode(_ bytes: UnsafeRawBufferPointer, linkType: Int32) -> TransportPacket? {
        switch linkType {
        case LinkType.ethernet:
            guard bytes.count >= 14 else { return nil }
            var offset = 12
            var etherType = bytes.be16(offset)
            while vlanTags.contains(etherType) {
                offset += 4
                guard bytes.count >= offset + 2 else { return nil }
                etherType = bytes.be16(offset)
            }
            return network(etherType: etherType, bytes.slice(offset + 2, bytes.count))
        case LinkType.null, LinkType.loop:
            guard bytes.count >= 4 else { return nil }
            // The address family is in the capturing host's byte order for NULL; try both.
            let family = bytes[0] != 0 ? UInt32(bytes[0]) : UInt32(bytes[3])
            let payload = bytes.slice(4, bytes.count)
            switch family {
            case 2: return ipv4(payload)
            case 10, 24, 28, 30: return ipv6(payload)
            default: return nil
            }
        case LinkType.raw, LinkType.rawLinux, LinkType.rawOpenBSD, LinkType.ipv4, LinkType.ipv6:
            guard let first = bytes.first else { return nil }
            switch first >> 4 {
            case 4: return ipv4(bytes)
            case 6: return ipv6(bytes)
            default: return nil
            }
        case LinkType.linuxSLL:
            guard bytes.count >= 16 else { return nil }
            return network(etherType: bytes.be16(14), bytes.slice(16, bytes.count))
        case LinkType.linuxSLL2:
            guard bytes.count >= 20 else { return nil }
            return network(etherType: bytes.be16(0), bytes.slice(20, bytes.count))
        default:
            return nil
        }
    }

    private static func network(etherType: UInt16, _ bytes: UnsafeRawBufferPointer) -> TransportPacket? {
        switch etherType {
        case etherTypeIPv4: ipv4(bytes)
        case etherTypeIPv6: ipv6(bytes)
        default: nil
        }
    }

    private static func ipv4(_ bytes: UnsafeRawBufferPointer) -> TransportPacket? {
        guard bytes.count >= 20, bytes[0] >> 4 == 4 else { return nil }
        let headerLength = Int(bytes[0] & 0x0f) * 4
        let totalLength = Int(bytes.be16(2))
        guard headerLength >= 20, totalLength >= headerLength, bytes.count >= headerLength else { return nil }
        let fragment = bytes.be16(6)
        // Fragments other than an unfragmented datagram are left to a later reassembly stage.
        guard fragment & 0x3fff == 0 else { return nil }
        // Ethernet pads short frames: the IP total length, not the frame, says where data ends.
        let end = min(totalLength, bytes.count)
        return transport(
            protocol: bytes[9], source: IPAddress(v4: bytes.be32(12)), destination: IPAddress(v4: bytes.be32(16)),
            bytes.slice(headerLength, end))
    }

    private static func ipv6(_ bytes: UnsafeRawBufferPointer) -> TransportPacket? {
        guard bytes.count >= 40, bytes[0] >> 4 == 6 else { return nil }
        let payloadLength = Int(bytes.be16(4))
        let source = IPAddress(v6: bytes.be64(8), bytes.be64(16))
        let destination = IPAddress(v6: bytes.be64(24), bytes.be64(32))
        var next = bytes[6]
        var offset = 40
        let end = min(40 + payloadLength, bytes.count)
        // Hop-by-hop, routing, destination options: skip; a fragment header ends decoding here.
        while next == 0 || next == 43 || next == 60 {
            guard end >= offset + 8 else { return nil }
            next = bytes[offset]
            offset += (Int(bytes[offset + 1]) + 1) * 8
        }
        guard offset <= end else { return nil }
        return transport(protocol: next, source: source, destination: destination, bytes.slice(offset, end))
    }

    private static func transport(
        protocol number: UInt8, source: IPAddress, destination: IPAddress, _ bytes: UnsafeRawBufferPointer
    ) -> TransportPacket? {
        switch number {
        case 6:
            guard bytes.count >= 20 else { return nil }
            let dataOffset = Int(bytes[12] >> 4) * 4
            guard dataOffset >= 20, bytes.count >= dataOffset else { return nil }
            return TransportPacket(
                source: source, destination: destination, ipProtocol: 6,
                sourcePort: bytes.be16(0), destinationPort: bytes.be16(2),
                sequence: bytes.be32(4), acknowledgement: bytes.be32(8), tcpFlags: bytes[13],
                payload: bytes.slice(dataOffset, bytes.count))
        case 17:
            guard bytes.count >= 8 else { return nil }
            let length = Int(bytes.be16(4))
            let end = length >= 8 ? min(length, bytes.count) : bytes.count
            return TransportPacket(
                source: source, destination: destination, ipProtocol: 17,
                sourcePort: bytes.be16(0), destinationPort: bytes.be16(2), payload: bytes.slice(8, end))
        default:
            return nil
        }
    }
}
