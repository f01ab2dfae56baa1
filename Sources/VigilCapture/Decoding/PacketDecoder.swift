internal import VigilCore

/// The transport-layer view of one packet: addresses, ports, TCP sequence state and payload.
///
/// `payload` points into the capture buffer (or a reassembly buffer) and is valid only while
/// that packet is being processed.
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

/// One piece of a fragmented IPv4 datagram.
struct IPv4Fragment {
    var key: FragmentKey
    /// Offset of this piece in the datagram's payload, in bytes.
    var offset: Int
    var moreFragments: Bool
    var data: UnsafeRawBufferPointer
}

/// What identifies the pieces of one IPv4 datagram (RFC 791).
struct FragmentKey: Hashable {
    var source: IPAddress
    var destination: IPAddress
    var identification: UInt16
    var ipProtocol: UInt8
}

/// Everything decoded from one frame; byte views point into the capture buffer.
struct DecodedFrame {
    /// Link-layer addresses as 48-bit integers, where the link type has them.
    var sourceMAC: MACAddress?
    var destinationMAC: MACAddress?
    /// The EtherType after any VLAN tags; 0 for an 802.3 length frame or a link without one.
    var etherType: UInt16 = 0
    /// The bytes after the link-layer header (for 802.3 frames, from the LLC header on).
    var linkPayload: UnsafeRawBufferPointer
    /// The IP source address, when the frame holds IP.
    var ipSource: IPAddress?
    var transport: TransportPacket?
    var fragment: IPv4Fragment?
    /// ICMPv6 message (type byte first), for neighbour discovery.
    var icmpv6: UnsafeRawBufferPointer?
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

/// EtherTypes Vigil reads.
enum EtherType {
    static let ipv4: UInt16 = 0x0800
    static let arp: UInt16 = 0x0806
    static let ipv6: UInt16 = 0x86DD
    static let lldp: UInt16 = 0x88CC
    static let vlanTags: [UInt16] = [0x8100, 0x88A8, 0x9100]
}

/// Decodes link, network and transport headers from raw packet bytes without allocating.
///
/// Checksums are not verified: captures taken on a host with checksum offload carry wrong
/// checksums on every outgoing packet, and a decoder that drops them misses the logins.
enum PacketDecoder {
    /// The TCP or UDP packet inside `bytes`, or `nil` if it holds something else or is malformed.
    static func decode(_ bytes: UnsafeRawBufferPointer, linkType: Int32) -> TransportPacket? {
        decodeFrame(bytes, linkType: linkType)?.transport
    }

    /// Every layer Vigil reads from one frame, or `nil` when the link header itself is cut short.
    static func decodeFrame(_ bytes: UnsafeRawBufferPointer, linkType: Int32) -> DecodedFrame? {
        var frame = DecodedFrame(linkPayload: bytes)
        return decodeFrame(bytes, linkType: linkType, into: &frame) ? frame : nil
    }

    /// Decodes one frame into `frame` (overwritten whole); `false` when the link header itself
    /// is cut short. The analyzer's per-packet path: the frame is a few hundred bytes, and
    /// decoding in place spares copying it out of an optional on every packet.
    static func decodeFrame(
        _ bytes: UnsafeRawBufferPointer, linkType: Int32, into frame: inout DecodedFrame
    ) -> Bool {
        switch linkType {
        case LinkType.ethernet:
            var offset = 12
            guard bytes.count >= 14, var etherType = bytes.integer(at: offset, as: UInt16.self) else { return false }
            var tags = 0
            while EtherType.vlanTags.contains(etherType) && tags < 8 {
                offset += 4
                tags += 1
                guard let inner = bytes.integer(at: offset, as: UInt16.self) else { return false }
                etherType = inner
            }
            frame = DecodedFrame(
                sourceMAC: MACAddress(bytes, at: 6), destinationMAC: MACAddress(bytes, at: 0),
                linkPayload: bytes.slice(offset + 2, bytes.count))
            if etherType >= 0x0600 {
                frame.etherType = etherType
                network(etherType: etherType, into: &frame)
            } else {
                // 802.3: a length, not a type; the payload is bounded by it (CDP, STP, ...).
                frame.linkPayload = bytes.slice(offset + 2, offset + 2 + Int(etherType))
            }
            return true
        case LinkType.null, LinkType.loop:
            guard bytes.count >= 4 else { return false }
            // The address family is in the capturing host's byte order for NULL; try both.
            let family = bytes[0] != 0 ? UInt32(bytes[0]) : UInt32(bytes[3])
            frame = DecodedFrame(linkPayload: bytes.slice(4, bytes.count))
            switch family {
            case 2: network(etherType: EtherType.ipv4, into: &frame)
            case 10, 24, 28, 30: network(etherType: EtherType.ipv6, into: &frame)
            default: break
            }
            return true
        case LinkType.raw, LinkType.rawLinux, LinkType.rawOpenBSD, LinkType.ipv4, LinkType.ipv6:
            frame = DecodedFrame(linkPayload: bytes)
            switch bytes.first.map({ $0 >> 4 }) {
            case 4: network(etherType: EtherType.ipv4, into: &frame)
            case 6: network(etherType: EtherType.ipv6, into: &frame)
            default: break
            }
            return true
        case LinkType.linuxSLL:
            guard bytes.count >= 16, let addressLength = bytes.integer(at: 4, as: UInt16.self),
                let etherType = bytes.integer(at: 14, as: UInt16.self)
            else { return false }
            frame = DecodedFrame(
                sourceMAC: addressLength == 6 ? MACAddress(bytes, at: 6) : nil, etherType: etherType,
                linkPayload: bytes.slice(16, bytes.count))
            network(etherType: frame.etherType, into: &frame)
            return true
        case LinkType.linuxSLL2:
            guard bytes.count >= 20, let etherType = bytes.integer(at: 0, as: UInt16.self) else { return false }
            frame = DecodedFrame(
                sourceMAC: bytes[11] == 6 ? MACAddress(bytes, at: 12) : nil, etherType: etherType,
                linkPayload: bytes.slice(20, bytes.count))
            network(etherType: frame.etherType, into: &frame)
            return true
        default:
            return false
        }
    }

    private static func network(etherType: UInt16, into frame: inout DecodedFrame) {
        switch etherType {
        case EtherType.ipv4: ipv4(frame.linkPayload, into: &frame)
        case EtherType.ipv6: ipv6(frame.linkPayload, into: &frame)
        default: break
        }
    }

    private static func ipv4(_ bytes: UnsafeRawBufferPointer, into frame: inout DecodedFrame) {
        guard bytes.count >= 20, bytes[0] >> 4 == 4, let totalLength = bytes.integer(at: 2, as: UInt16.self),
            let identification = bytes.integer(at: 4, as: UInt16.self),
            let flags = bytes.integer(at: 6, as: UInt16.self),
            let sourceBits = bytes.integer(at: 12, as: UInt32.self),
            let destinationBits = bytes.integer(at: 16, as: UInt32.self)
        else { return }
        let headerLength = Int(bytes[0] & 0x0f) * 4
        guard headerLength >= 20, Int(totalLength) >= headerLength, bytes.count >= headerLength else { return }
        let source = IPAddress(v4: sourceBits)
        let destination = IPAddress(v4: destinationBits)
        frame.ipSource = source
        // Ethernet pads short frames: the IP total length, not the frame, says where data ends.
        let end = min(Int(totalLength), bytes.count)
        let offset = Int(flags & 0x1fff) * 8
        let more = flags & 0x2000 != 0
        if offset != 0 || more {
            frame.fragment = IPv4Fragment(
                key: FragmentKey(
                    source: source, destination: destination, identification: identification, ipProtocol: bytes[9]),
                offset: offset, moreFragments: more, data: bytes.slice(headerLength, end))
            return
        }
        frame.transport = transport(
            protocol: bytes[9], source: source, destination: destination, bytes.slice(headerLength, end))
    }

    private static func ipv6(_ bytes: UnsafeRawBufferPointer, into frame: inout DecodedFrame) {
        guard bytes.count >= 40, bytes[0] >> 4 == 6, let payloadLength = bytes.integer(at: 4, as: UInt16.self),
            let source = IPAddress(v6: bytes, at: 8), let destination = IPAddress(v6: bytes, at: 24)
        else { return }
        frame.ipSource = source
        var next = bytes[6]
        var offset = 40
        let end = min(40 + Int(payloadLength), bytes.count)
        // Hop-by-hop (0), routing (43), destination options (60), mobility (135): skip, each
        // giving its length in 8-octet units after the first 8. A fragment header (44) is 8
        // octets; only a first fragment (offset 0) is decoded further.
        var headers = 0
        while headers < 16 {
            headers += 1
            switch next {
            case 0, 43, 60, 135:
                guard end >= offset + 8 else { return }
                next = bytes[offset]
                offset += (Int(bytes[offset + 1]) + 1) * 8
            case 44:
                guard end >= offset + 8, let fragmentField = bytes.integer(at: offset + 2, as: UInt16.self) else {
                    return
                }
                let fragmentOffset = fragmentField & 0xfff8
                let more = bytes[offset + 3] & 1 != 0
                guard fragmentOffset == 0, !more else { return }
                next = bytes[offset]
                offset += 8
            case 51:  // authentication header: length in 4-octet units, plus 2
                guard end >= offset + 8 else { return }
                next = bytes[offset]
                offset += (Int(bytes[offset + 1]) + 2) * 4
            case 58:
                guard offset <= end else { return }
                frame.icmpv6 = bytes.slice(offset, end)
                return
            default:
                guard offset <= end else { return }
                frame.transport = transport(
                    protocol: next, source: source, destination: destination, bytes.slice(offset, end))
                return
            }
        }
    }

    /// The TCP or UDP header at the start of `bytes`.
    static func transport(
        protocol number: UInt8, source: IPAddress, destination: IPAddress, _ bytes: UnsafeRawBufferPointer
    ) -> TransportPacket? {
        switch number {
        case 6:
            var header = ByteCursor(bytes)
            guard let sourcePort = header.readInteger(as: UInt16.self),
                let destinationPort = header.readInteger(as: UInt16.self),
                let sequence = header.readInteger(as: UInt32.self),
                let acknowledgement = header.readInteger(as: UInt32.self), let offsetByte = header.readByte(),
                let flags = header.readByte()
            else { return nil }
            let dataOffset = Int(offsetByte >> 4) * 4
            guard dataOffset >= 20, bytes.count >= dataOffset else { return nil }
            return TransportPacket(
                source: source, destination: destination, ipProtocol: 6, sourcePort: sourcePort,
                destinationPort: destinationPort, sequence: sequence, acknowledgement: acknowledgement,
                tcpFlags: flags, payload: bytes.slice(dataOffset, bytes.count))
        case 17:
            var header = ByteCursor(bytes)
            guard let sourcePort = header.readInteger(as: UInt16.self),
                let destinationPort = header.readInteger(as: UInt16.self),
                let length = header.readInteger(as: UInt16.self).map(Int.init)
            else { return nil }
            let end = length >= 8 ? min(length, bytes.count) : bytes.count
            return TransportPacket(
                source: source, destination: destination, ipProtocol: 17, sourcePort: sourcePort,
                destinationPort: destinationPort, payload: bytes.slice(8, end))
        default:
            return nil
        }
    }
}

/// A 48-bit IEEE MAC address.
struct MACAddress: Hashable, PacketKey {
    var value: UInt64

    @inline(__always)
    func packetHash(_ seed: UInt64) -> UInt64 { mixHash(seed, value) }

    init(_ value: UInt64) { self.value = value & 0xFFFF_FFFF_FFFF }

    /// The address at `offset` in `bytes`, or `nil` when the bytes are too short.
    init?(_ bytes: UnsafeRawBufferPointer, at offset: Int) {
        guard bytes.count >= offset + 6 else { return nil }
        var value: UInt64 = 0
        for index in offset..<offset + 6 { value = value << 8 | UInt64(bytes[index]) }
        self.value = value
    }

    /// `aa:bb:cc:dd:ee:ff`, lower case.
    var text: String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(17)
        for shift in stride(from: 40, through: 0, by: -8) {
            let byte = UInt8(truncatingIfNeeded: value >> UInt64(shift))
            if shift != 40 { out.append(0x3A) }
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Group (multicast or broadcast) addresses name no single device.
    var isGroup: Bool { (value >> 40) & 1 == 1 }
    var isZero: Bool { value == 0 }
}
