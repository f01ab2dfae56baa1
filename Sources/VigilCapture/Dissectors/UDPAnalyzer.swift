internal import VigilCore

/// Reads UDP datagrams: SNMP community strings, DHCP and mDNS/LLMNR device announcements.
///
/// Protocols are recognised by content (SNMP's BER header, DHCP's magic cookie), with the
/// well-known ports as a hint only where the content is ambiguous (mDNS, LLMNR).
final class UDPAnalyzer {
    private let path: String
    private let devices: DeviceObserver
    private var snmp: SNMPTracker
    private var kerberos = KerberosTracker()

    init(path: String, devices: DeviceObserver) {
        self.path = path
        self.devices = devices
        self.snmp = SNMPTracker(path: path)
    }

    func process(
        _ datagram: TransportPacket, sourceMAC: MACAddress?, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        let payload = datagram.payload
        if SNMPTracker.looksLikeSNMP(payload) {
            snmp.process(datagram, packet: packet, time: time, into: &events)
            return
        }
        if let sighting = DHCPReader.read(payload, ports: (datagram.sourcePort, datagram.destinationPort)) {
            events.append(devices.event(sighting, packet: packet, time: time))
            return
        }
        let ports = (datagram.sourcePort, datagram.destinationPort)
        if ports.0 == 88 || ports.1 == 88 {
            kerberos.process(datagram, path: path, packet: packet, time: time, into: &events)
            return
        }
        if ports.0 == 546 || ports.1 == 547 || ports.0 == 547 || ports.1 == 546,
            let sighting = DHCPv6Reader.read(payload, source: sourceMAC)
        {
            events.append(devices.event(sighting, packet: packet, time: time))
            return
        }
        if ports.0 == 137 || ports.1 == 137, let mac = sourceMAC {
            for (name, address) in NBNSReader.registrations(payload) {
                events.append(
                    devices.event(
                        DeviceSighting(mac: mac, ip: address, hostname: name, source: "nbns"), packet: packet,
                        time: time))
            }
            return
        }
        if ports.0 == 5353 || ports.1 == 5353 || ports.0 == 5355 || ports.1 == 5355, let mac = sourceMAC {
            let source = ports.0 == 5355 || ports.1 == 5355 ? "llmnr" : "mdns"
            for (name, address) in DNSReader.addressRecords(payload) {
                events.append(
                    devices.event(
                        DeviceSighting(mac: mac, ip: address, hostname: name, source: source), packet: packet,
                        time: time))
            }
        }
    }

    func finish(into events: inout [Event]) {
        snmp.finish(into: &events)
        kerberos.finish(into: &events)
    }
}

/// Kerberos over UDP: an AS-REQ waits (keyed by the client's address and port and the KDC) for
/// the KDC's answer, which gives its outcome; a TGS-REP is reported at once. At most
/// `maxPending` requests wait; beyond, the oldest is reported with outcome `unknown`.
struct KerberosTracker {
    private struct Key: Hashable {
        var client: FlowEndpoint
        var kdc: IPAddress
    }

    private var pending: [Key: (finding: Kerberos.Finding, context: FlowContext, packet: Int, time: Timestamp)] = [:]
    private var order: [Key] = []
    private let maxPending = 4096

    mutating func process(
        _ datagram: TransportPacket, path: String, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        let toKDC = datagram.destinationPort == 88
        let client = FlowEndpoint(
            address: toKDC ? datagram.source : datagram.destination,
            port: toKDC ? datagram.sourcePort : datagram.destinationPort)
        let key = Key(client: client, kdc: toKDC ? datagram.destination : datagram.source)
        if !toKDC, let outcome = Kerberos.outcome(ofReply: datagram.payload), let request = pending[key] {
            pending[key] = nil
            order.removeAll { $0 == key }
            if let event = Kerberos.event(
                request.finding, context: request.context, packet: request.packet, time: request.time,
                outcome: outcome, replyPacket: packet)
            {
                events.append(event)
            }
        }
        guard let finding = Kerberos.parse(datagram.payload) else { return }
        let context = FlowContext(
            path: path, client: client, server: FlowEndpoint(address: key.kdc, port: 88), transport: "udp")
        guard toKDC, finding.requestedBy == nil else {
            if let event = Kerberos.event(finding, context: context, packet: packet, time: time) {
                events.append(event)
            }
            return
        }
        flush(key, into: &events)  // a retry replaces the request before it
        if order.count >= maxPending, let oldest = order.first { flush(oldest, into: &events) }
        pending[key] = (finding, context, packet, time)
        order.append(key)
    }

    private mutating func flush(_ key: Key, into events: inout [Event]) {
        guard let request = pending.removeValue(forKey: key) else { return }
        order.removeAll { $0 == key }
        if let event = Kerberos.event(
            request.finding, context: request.context, packet: request.packet, time: request.time)
        {
            events.append(event)
        }
    }

    /// Reports every request still unanswered, at the end of the capture.
    mutating func finish(into events: inout [Event]) {
        for key in order { flush(key, into: &events) }
    }
}

/// SNMP v1 and v2c (RFC 1157, RFC 3416): the community string is a password in clear. One
/// event per client, agent and community, with outcome `success` once the agent answered
/// (agents stay silent on a wrong community), else `unknown`.
struct SNMPTracker {
    private struct Key: Hashable {
        var client: IPAddress
        var server: IPAddress
        var serverPort: UInt16
        var community: [UInt8]
    }

    private struct Pending {
        var context: FlowContext
        var version: String
        var community: [UInt8]
        var packet: Int
        var time: Timestamp
        var answered: Int?
        var emitted = false
    }

    private let path: String
    private var seen: [Key: Pending] = [:]
    private var order: [Key] = []
    private let maxTracked = 4096

    init(path: String) { self.path = path }

    /// SEQUENCE { INTEGER version (0 or 1), OCTET STRING community, PDU [0..8] }.
    static func looksLikeSNMP(_ bytes: UnsafeRawBufferPointer) -> Bool {
        parse(bytes) != nil
    }

    private static func parse(_ bytes: UnsafeRawBufferPointer) -> (version: Int, community: [UInt8], pdu: UInt8)? {
        guard bytes.count >= 10, bytes[0] == 0x30 else { return nil }
        var outer = BERReader(bytes)
        guard let message = outer.next(tag: 0x30) else { return nil }
        var reader = BERReader(message.value)
        guard let version = reader.next(tag: 0x02), let number = BERReader.integer(version.value), number <= 1,
            let community = reader.next(tag: 0x04), let pdu = reader.next(), (0xA0...0xA8).contains(pdu.tag)
        else { return nil }
        return (number, Array(community.value), pdu.tag)
    }

    mutating func process(_ datagram: TransportPacket, packet: Int, time: Timestamp, into events: inout [Event]) {
        guard let (version, community, pdu) = Self.parse(datagram.payload) else { return }
        let isResponse = pdu == 0xA2
        // Requests go from manager to agent; traps and informs (A4, A6, A7) from agent to manager.
        let fromClient = !isResponse
        let client = fromClient ? datagram.source : datagram.destination
        let server = fromClient ? datagram.destination : datagram.source
        let serverPort = fromClient ? datagram.destinationPort : datagram.sourcePort
        let clientPort = fromClient ? datagram.sourcePort : datagram.destinationPort
        let key = Key(client: client, server: server, serverPort: serverPort, community: community)
        if var entry = seen[key] {
            if isResponse && entry.answered == nil {
                entry.answered = packet
                seen[key] = entry
                emit(key, into: &events)
            }
            return
        }
        guard !isResponse, seen.count < maxTracked else { return }
        let context = FlowContext(
            path: path, client: FlowEndpoint(address: client, port: clientPort),
            server: FlowEndpoint(address: server, port: serverPort), transport: "udp")
        seen[key] = Pending(
            context: context, version: version == 0 ? "v1" : "v2c", community: community, packet: packet, time: time)
        order.append(key)
    }

    private mutating func emit(_ key: Key, into events: inout [Event]) {
        guard var entry = seen[key], !entry.emitted else { return }
        entry.emitted = true
        seen[key] = entry
        let outcome: AuthOutcome = entry.answered != nil ? .success(reply: "response") : .unknown
        guard
            let credential = entry.context.credential(
                "snmp", user: "", secret: entry.community, kind: .community, outcome: outcome,
                packets: [entry.packet] + (entry.answered.map { [$0] } ?? []),
                attributes: [CredentialAttribute("version", entry.version)])
        else { return }
        events.append(entry.context.credentialEvent(credential, time: entry.time, packet: entry.packet))
        events.append(
            entry.context.cleartextLoginEvent(
                "snmp", method: "community", packet: entry.packet, time: entry.time,
                fields: [(.snmpVersion, entry.version)]))
    }

    mutating func finish(into events: inout [Event]) {
        for key in order { emit(key, into: &events) }
    }
}

/// DHCP (RFC 2131/2132): the client's MAC with its host name (option 12), vendor class (60),
/// parameter request list (55, a fingerprint of the client's DHCP stack), and its address:
/// requested (50), in use (ciaddr) or assigned by the server (yiaddr).
enum DHCPReader {
    static func read(_ bytes: UnsafeRawBufferPointer, ports: (UInt16, UInt16)) -> DeviceSighting? {
        guard bytes.count >= 240, bytes[1] == 1, bytes[2] == 6, bytes.be32(236) == 0x6382_5363,
            let mac = MACAddress(bytes, at: 28), !mac.isZero
        else { return nil }
        let fromServer = bytes[0] == 2
        var sighting = DeviceSighting(mac: mac, source: "dhcp")
        var requested: String?
        var offset = 240
        var messageType: UInt8 = 0
        while offset < bytes.count {
            let code = bytes[offset]
            if code == 255 { break }
            if code == 0 {
                offset += 1
                continue
            }
            guard offset + 2 <= bytes.count else { break }
            let length = Int(bytes[offset + 1])
            let value = bytes.slice(offset + 2, offset + 2 + length)
            offset += 2 + length
            switch code {
            case 53 where value.count == 1: messageType = value[0]
            case 12: sighting.hostname = printable(value)
            case 60: printable(value).map { sighting.extra.append((.dhcpVendorClass, $0)) }
            case 55: sighting.extra.append((.dhcpFingerprint, value.map { String($0) }.joined(separator: ",")))
            case 50 where value.count == 4: requested = IPAddress(v4: value.be32(0)).text
            default: break
            }
        }
        let clientAddress = IPAddress(v4: bytes.be32(12))
        let yourAddress = IPAddress(v4: bytes.be32(16))
        if fromServer {
            // Only an ACK (5) really assigns the address; an OFFER (2) only proposes it.
            sighting.ip = messageType == 5 && !yourAddress.isUnspecified ? yourAddress.text : nil
        } else {
            sighting.ip = requested ?? (clientAddress.isUnspecified ? nil : clientAddress.text)
            if let ip = requested { sighting.extra.append((.dhcpRequestedIP, ip)) }
        }
        return sighting
    }
}

/// DNS messages (RFC 1035) as mDNS and LLMNR carry them: names with compression pointers.
enum DNSReader {
    /// Every A and AAAA record among the answers and additional records: (name, address).
    static func addressRecords(_ bytes: UnsafeRawBufferPointer) -> [(String, String)] {
        guard bytes.count >= 12 else { return [] }
        let flags = bytes.be16(2)
        guard flags & 0x8000 != 0 else { return [] }  // responses only
        let questions = Int(bytes.be16(4))
        let records = Int(bytes.be16(6)) + Int(bytes.be16(8)) + Int(bytes.be16(10))
        var offset = 12
        for _ in 0..<min(questions, 64) {
            guard let (_, next) = name(bytes, at: offset), next + 4 <= bytes.count else { return [] }
            offset = next + 4
        }
        var found: [(String, String)] = []
        for _ in 0..<min(records, 256) {
            guard let (owner, next) = name(bytes, at: offset), next + 10 <= bytes.count else { break }
            let type = bytes.be16(next)
            let length = Int(bytes.be16(next + 8))
            let data = bytes.slice(next + 10, next + 10 + length)
            offset = next + 10 + length
            guard data.count == length else { break }
            if type == 1 && length == 4 {
                found.append((owner, IPAddress(v4: data.be32(0)).text))
            } else if type == 28 && length == 16 {
                found.append((owner, IPAddress(v6: data.be64(0), data.be64(8)).text))
            }
        }
        return found
    }

    /// The name at `offset` and the offset after it; follows at most 16 compression pointers.
    static func name(_ bytes: UnsafeRawBufferPointer, at start: Int) -> (String, Int)? {
        var labels: [String] = []
        var offset = start
        var end: Int?
        var jumps = 0
        while offset < bytes.count {
            let length = Int(bytes[offset])
            if length == 0 {
                return (labels.joined(separator: "."), end ?? offset + 1)
            }
            if length & 0xC0 == 0xC0 {
                guard offset + 1 < bytes.count, jumps < 16 else { return nil }
                if end == nil { end = offset + 2 }
                offset = (length & 0x3F) << 8 | Int(bytes[offset + 1])
                jumps += 1
                continue
            }
            guard length < 64, offset + 1 + length <= bytes.count, labels.count < 64 else { return nil }
            labels.append(String(decoding: bytes.slice(offset + 1, offset + 1 + length), as: UTF8.self))
            offset += 1 + length
        }
        return nil
    }
}

/// DHCPv6 (RFC 8415): the client's MAC from its DUID (link-layer types 1 and 3), its FQDN
/// (option 39) and the addresses assigned in IA_NA (option 3, IA Address 5).
enum DHCPv6Reader {
    static func read(_ bytes: UnsafeRawBufferPointer, source: MACAddress?) -> DeviceSighting? {
        guard bytes.count >= 4, (1...13).contains(bytes[0]) else { return nil }
        var mac: MACAddress?
        var hostname: String?
        var address: String?
        var offset = 4
        while offset + 4 <= bytes.count {
            let code = bytes.be16(offset)
            let length = Int(bytes.be16(offset + 2))
            let value = bytes.slice(offset + 4, offset + 4 + length)
            guard value.count == length else { break }
            offset += 4 + length
            switch code {
            case 1 where length >= 10:  // client identifier: a DUID
                let type = value.be16(0)
                if type == 1 && length >= 14 && value.be16(2) == 1 { mac = MACAddress(value, at: 8) }
                if type == 3 && value.be16(2) == 1 { mac = MACAddress(value, at: 4) }
            case 39 where length > 1:  // client FQDN: flags, then DNS wire-format name
                hostname = DNSReader.name(value, at: 1)?.0
            case 3 where length > 12:  // IA_NA: IAID, T1, T2, then options
                var inner = 12
                while inner + 4 <= value.count {
                    let innerCode = value.be16(inner)
                    let innerLength = Int(value.be16(inner + 2))
                    if innerCode == 5 && innerLength >= 24 && inner + 4 + 16 <= value.count {
                        address = IPAddress(v6: value.be64(inner + 4), value.be64(inner + 12)).text
                    }
                    inner += 4 + innerLength
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

/// NetBIOS name service (RFC 1002): names a host registers (or answers for) with their address.
enum NBNSReader {
    static func registrations(_ bytes: UnsafeRawBufferPointer) -> [(String, String)] {
        guard bytes.count >= 12 else { return [] }
        let flags = bytes.be16(2)
        let opcode = (flags >> 11) & 0x0F
        let isResponse = flags & 0x8000 != 0
        // Registrations (5), refreshes (8, 9) and positive query responses name the sender's host.
        guard [5, 8, 9].contains(opcode) || (isResponse && opcode == 0) else { return [] }
        let questions = Int(bytes.be16(4))
        let records = Int(bytes.be16(6)) + Int(bytes.be16(8)) + Int(bytes.be16(10))
        var offset = 12
        var questionName: String?
        for _ in 0..<min(questions, 4) {
            guard let (name, next) = DNSReader.name(bytes, at: offset), next + 4 <= bytes.count else { return [] }
            questionName = decode(name)
            offset = next + 4
        }
        var found: [(String, String)] = []
        for _ in 0..<min(records, 8) {
            guard let (name, next) = DNSReader.name(bytes, at: offset), next + 10 <= bytes.count else { break }
            let type = bytes.be16(next)
            let length = Int(bytes.be16(next + 8))
            let data = bytes.slice(next + 10, next + 10 + length)
            offset = next + 10 + length
            guard type == 0x20, data.count == length, length >= 6 else { continue }
            if let host = decode(name) ?? questionName {
                found.append((host, IPAddress(v4: data.be32(2)).text))
            }
        }
        return found
    }

    /// The NetBIOS name of a first-level encoded label (32 letters A–P), without its padding and
    /// suffix byte; `nil` for other names.
    static func decode(_ encoded: String) -> String? {
        let first = encoded.split(separator: ".").first.map(String.init) ?? ""
        let label = Array(first.utf8)
        guard label.count == 32, label.allSatisfy({ $0 >= 0x41 && $0 <= 0x50 }) else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 32, by: 2) {
            bytes.append((label[index] - 0x41) << 4 | (label[index + 1] - 0x41))
        }
        let name = String(decoding: bytes.prefix(15), as: UTF8.self).trimmingSpaces
        return name.isEmpty ? nil : name
    }
}
