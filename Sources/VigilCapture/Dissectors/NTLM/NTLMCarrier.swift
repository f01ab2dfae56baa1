internal import VigilCore

/// DCE-RPC (connection-oriented, over TCP) and SMB (over NetBIOS session service or direct TCP):
/// framed into whole PDUs, each scanned for NTLMSSP messages.
enum NTLMCarrierDissector: TCPDissector {
    static let name = "ntlm-carrier"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        // Sides come from the PDU types, not from who spoke first: a capture may start mid-way.
        if let fromClient = direction(input.client) { return .yes(swapSides: !fromClient) }
        if let fromClient = direction(input.server) { return .yes(swapSides: fromClient) }
        if input.client.count >= 16 || input.server.count >= 16 { return .no }
        return .undecided
    }

    /// `true` for a PDU only clients send, `false` for one only servers send, `nil` for neither
    /// DCE-RPC nor SMB.
    static func direction(_ bytes: UnsafeRawBufferPointer) -> Bool? {
        if bytes.count >= 16 && bytes[0] == 5 && bytes[1] <= 1 && (Int(bytes[8]) | Int(bytes[9]) << 8) >= 16 {
            switch bytes[2] {
            case 0, 11, 14, 16: return true  // request, bind, alter_context, auth3
            case 2, 12, 13, 15: return false  // response, bind_ack, bind_nak, alter_context_resp
            default: return nil
            }
        }
        guard bytes.count >= 24, bytes[0] == 0, bytes[5] == 0x53, bytes[6] == 0x4D, bytes[7] == 0x42 else {
            return nil
        }
        switch bytes[4] {
        case 0xFE: return bytes[20] & 0x01 == 0  // SMB2 flags: SERVER_TO_REDIR
        case 0xFF: return bytes[13] & 0x80 == 0  // SMB1 flags: REPLY
        default: return nil
        }
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { NTLMCarrierSession(context: context) }
}

/// Whole DCE-RPC PDUs (their fragment length, in either byte order) or SMB messages (behind the
/// NetBIOS session service's 17-bit length, which SMB2 over direct TCP shares).
struct NTLMCarrierDecoder: FrameDecoder {
    let limit = 256 * 1024

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<UnsafeRawBufferPointer> {
        guard bytes.count >= 10 else { return .needMore }
        let length: Int
        if bytes[0] == 5 {
            let endianness: Endianness = bytes[4] & 0x10 != 0 ? .little : .big
            length = max(Int(bytes.integer(at: 8, as: UInt16.self, endianness: endianness) ?? 0), 16)
        } else {
            length = 4 + (Int(bytes[1] & 1) << 16 | Int(bytes[2]) << 8 | Int(bytes[3]))
        }
        guard length <= limit else { return .stop }  // framing beyond reason: stop reading this direction
        guard bytes.count >= length else { return .needMore }
        return .frame(bytes.slice(0, length), consumed: length)
    }
}

/// One DCE-RPC or SMB connection.
final class NTLMCarrierSession: TCPSession {
    private let context: FlowContext
    private var streams: [Side: FramedStream<NTLMCarrierDecoder>] = [
        .client: FramedStream(NTLMCarrierDecoder()), .server: FramedStream(NTLMCarrierDecoder()),
    ]
    private var exchange: NTLMExchange?
    private var smb1Reported = false
    /// SMB logins awaiting the session setup's response.
    private var awaiting: [Event] = []

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        streams[side]?.feed(bytes) { pdu in handle(pdu, from: side, packet: packet, time: time, into: &events) }
    }

    private func handle(
        _ pdu: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        var exchange = self.exchange ?? NTLMExchange(carrier: pdu[0] == 5 ? "dce-rpc" : "smb")
        defer { self.exchange = exchange }
        if !smb1Reported && pdu.count >= 8 && pdu[0] == 0 && pdu[4] == 0xFF && pdu[5] == 0x53 {
            smb1Reported = true
            events.append(context.protocolEvent("smb1", packet: packet, time: time))
        }
        // Only binds and alter-contexts (DCE-RPC) and session setups (SMB) carry NTLMSSP
        // negotiation; file transfers and calls are not scanned.
        guard Self.mayCarryNTLM(pdu) else { return }
        var found: [Event] = []
        _ = exchange.scan(pdu, from: side, context: context, packet: packet, time: time, into: &found)
        if pdu[0] == 5 {
            events += found  // DCE-RPC: auth3 has no answer to wait for
        } else if side == .client {
            // SMB: the session setup's response says whether the login worked.
            awaiting += found.filter { $0.kind == .credentialObserved }
            events += found.filter { $0.kind != .credentialObserved }
        } else {
            events += found
            if !awaiting.isEmpty, let outcome = Self.sessionSetupOutcome(pdu) {
                for event in awaiting { events.append(Self.answered(event, outcome, packet, context)) }
                awaiting = []
            }
        }
    }

    /// Whether `pdu` is of a kind that carries NTLMSSP messages.
    static func mayCarryNTLM(_ pdu: UnsafeRawBufferPointer) -> Bool {
        if pdu[0] == 5 { return (11...16).contains(pdu[2]) }  // bind … auth3
        guard pdu.count >= 8 else { return false }
        if pdu[4] == 0xFE { return pdu.count >= 18 && pdu[16] == 1 && pdu[17] == 0 }  // SMB2 SESSION_SETUP
        if pdu[4] == 0xFF { return pdu[8] == 0x73 }  // SMB1 SESSION_SETUP_ANDX
        return false
    }

    func gap(on side: Side) { streams[side]?.stop() }

    func finish(into events: inout [Event]) {
        events += awaiting
        awaiting = []
    }

    /// The verdict of an SMB1 or SMB2 session setup response (its NT status), or `nil` while the
    /// exchange goes on (`STATUS_MORE_PROCESSING_REQUIRED`, the challenge) or for a request.
    static func sessionSetupOutcome(_ pdu: UnsafeRawBufferPointer) -> AuthOutcome? {
        let status: UInt32
        switch pdu[4] {
        case 0xFE where pdu.count >= 24 && pdu[20] & 0x01 != 0:  // SMB2 response
            status = pdu.integer(at: 12, as: UInt32.self, endianness: .little) ?? 0
        case 0xFF where pdu.count >= 18 && pdu[13] & 0x80 != 0:  // SMB1 reply
            status = pdu.integer(at: 9, as: UInt32.self, endianness: .little) ?? 0
        default:
            return nil
        }
        switch status {
        case 0: return .success(reply: "STATUS_SUCCESS")
        case 0xC000_0016: return nil
        case 0xC000_006D: return .failure(reply: "STATUS_LOGON_FAILURE")
        case 0xC000_006E: return .failure(reply: "STATUS_ACCOUNT_RESTRICTION")
        case 0xC000_0071: return .success(reply: "STATUS_PASSWORD_EXPIRED")  // right password, too old
        case 0xC000_0072: return .failure(reply: "STATUS_ACCOUNT_DISABLED")
        case 0xC000_0234: return .failure(reply: "STATUS_ACCOUNT_LOCKED_OUT")
        case 0xC000_0022: return .failure(reply: "STATUS_ACCESS_DENIED")
        default: return .failure(reply: "NT status 0x" + String(status, radix: 16, uppercase: true))
        }
    }

    /// `event` again with the server's verdict and the reply's packet.
    private static func answered(_ event: Event, _ outcome: AuthOutcome, _ packet: Int, _ context: FlowContext) -> Event
    {
        guard var credential = event.credential, case .packet(let first) = event.source.position else { return event }
        credential.outcome = outcome
        credential.packets.append(packet)
        return context.credentialEvent(credential, time: event.time, packet: first)
    }
}
