internal import VigilCore

/// SNMP v1 and v2c (RFC 1157, RFC 3416): the community string is a password in clear. One
/// event per client, agent and community, with outcome `success` once the agent answered
/// (agents stay silent on a wrong community), else `unknown`. Recognised by its BER header, on
/// any port.
enum SNMPDissector: UDPDissector {
    static let name = "snmp"

    static func makeSession(_ context: CaptureContext) -> any DatagramSession { SNMPSession(path: context.path) }

    /// SEQUENCE { INTEGER version (0 or 1), OCTET STRING community, PDU [0..8] }.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> (version: Int, community: [UInt8], pdu: UInt8)? {
        guard bytes.count >= 10, bytes[0] == 0x30 else { return nil }
        var outer = BERReader(bytes)
        guard let message = outer.next(tag: 0x30) else { return nil }
        var reader = BERReader(message.value)
        guard let version = reader.next(tag: 0x02), let number = BERReader.integer(version.value), number <= 1,
            let community = reader.next(tag: 0x04), let pdu = reader.next(), (0xA0...0xA8).contains(pdu.tag)
        else { return nil }
        return (number, Array(community.value), pdu.tag)
    }
}

/// The SNMP communities of one capture.
final class SNMPSession: DatagramSession {
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
    private let input: InputID
    private var seen: [Key: Pending] = [:]
    private var order: [Key] = []
    private let maxTracked = 4096

    init(path: String) {
        self.path = path
        input = InputID(path: path)
    }

    func receive(_ datagram: Datagram, into events: inout [Event]) -> Bool {
        guard let (version, community, pdu) = SNMPDissector.parse(datagram.payload) else { return false }
        let segment = datagram.packet
        let isResponse = pdu == 0xA2
        // Requests go from manager to agent; traps and informs (A4, A6, A7) from agent to manager.
        let fromClient = !isResponse
        let client = fromClient ? segment.source : segment.destination
        let server = fromClient ? segment.destination : segment.source
        let serverPort = fromClient ? segment.destinationPort : segment.sourcePort
        let clientPort = fromClient ? segment.sourcePort : segment.destinationPort
        let key = Key(client: client, server: server, serverPort: serverPort, community: community)
        if var entry = seen[key] {
            if isResponse && entry.answered == nil {
                entry.answered = datagram.number
                seen[key] = entry
                emit(key, into: &events)
            }
            return true
        }
        guard !isResponse, seen.count < maxTracked else { return true }
        let context = FlowContext(
            input: input, client: FlowEndpoint(address: client, port: clientPort),
            server: FlowEndpoint(address: server, port: serverPort), transport: .udp)
        seen[key] = Pending(
            context: context, version: version == 0 ? "v1" : "v2c", community: community, packet: datagram.number,
            time: datagram.time)
        order.append(key)
        return true
    }

    private func emit(_ key: Key, into events: inout [Event]) {
        guard var entry = seen[key], !entry.emitted else { return }
        entry.emitted = true
        seen[key] = entry
        let outcome: AuthOutcome = entry.answered != nil ? .success(reply: "response") : .unknown
        let credential = entry.context.credential(
            .snmp, user: "", secret: entry.community, kind: .community, outcome: outcome,
            packets: [entry.packet] + (entry.answered.map { [$0] } ?? []),
            attributes: [CredentialAttribute("version", entry.version)])
        events.append(entry.context.credentialEvent(credential, time: entry.time, packet: entry.packet))
        events.append(
            entry.context.cleartextLoginEvent(
                "snmp", method: "community", packet: entry.packet, time: entry.time,
                fields: [(.snmpVersion, entry.version)]))
    }

    func finish(into events: inout [Event]) {
        for key in order { emit(key, into: &events) }
    }
}
