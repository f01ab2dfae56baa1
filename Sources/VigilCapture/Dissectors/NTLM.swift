internal import VigilCore

/// NTLMSSP messages (MS-NLMP) wherever they travel: DCE-RPC auth verifiers, SMB session setups
/// (inside SPNEGO), HTTP `NTLM`/`Negotiate` headers. The CHALLENGE (type 2) comes from the server;
/// the AUTHENTICATE (type 3) from the client carries domain, user, workstation and the response,
/// which with the challenge is a hash hashcat cracks (mode 5600 for NTLMv2, 5500 for NTLMv1).
enum NTLM {
    static let signature: [UInt8] = Array("NTLMSSP\0".utf8)

    /// A parsed AUTHENTICATE message.
    struct Authenticate {
        var domain: String
        var user: String
        var workstation: String
        var lmResponse: [UInt8]
        var ntResponse: [UInt8]
    }

    enum Message {
        case challenge([UInt8])
        case authenticate(Authenticate)
    }

    /// Every NTLMSSP message found in `bytes`.
    static func messages(in bytes: UnsafeRawBufferPointer) -> [Message] {
        var found: [Message] = []
        var start = 0
        while let index = find(signature, in: bytes, from: start) {
            if let message = parse(bytes.slice(index, bytes.count)) { found.append(message) }
            start = index + signature.count
        }
        return found
    }

    private static func find(_ needle: [UInt8], in bytes: UnsafeRawBufferPointer, from start: Int) -> Int? {
        guard bytes.count >= needle.count, start <= bytes.count - needle.count else { return nil }
        var index = start
        while index <= bytes.count - needle.count {
            if bytes[index] == needle[0] {
                var matched = 1
                while matched < needle.count && bytes[index + matched] == needle[matched] { matched += 1 }
                if matched == needle.count { return index }
            }
            index += 1
        }
        return nil
    }

    private static func le16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int {
        Int(bytes[offset]) | Int(bytes[offset + 1]) << 8
    }

    private static func le32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int {
        le16(bytes, offset) | le16(bytes, offset + 2) << 16
    }

    /// A message starting with the signature at the start of `bytes`.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Message? {
        guard bytes.count >= 12 else { return nil }
        switch le32(bytes, 8) {
        case 2:
            guard bytes.count >= 32 else { return nil }
            return .challenge(Array(bytes.slice(24, 32)))
        case 3:
            guard bytes.count >= 64 else { return nil }
            func field(_ at: Int) -> UnsafeRawBufferPointer? {
                let length = le16(bytes, at)
                let offset = le32(bytes, at + 4)
                guard offset >= 0, offset + length <= bytes.count else { return nil }
                return bytes.slice(offset, offset + length)
            }
            let flags = le32(bytes, 60)
            let unicode = flags & 1 != 0
            func text(_ value: UnsafeRawBufferPointer) -> String {
                guard unicode else { return String(decoding: value, as: UTF8.self) }
                var units: [UInt16] = []
                var index = 0
                while index + 1 < value.count {
                    units.append(UInt16(value[index]) | UInt16(value[index + 1]) << 8)
                    index += 2
                }
                return String(decoding: units, as: UTF16.self)
            }
            guard let lm = field(12), let nt = field(20), let domain = field(28), let user = field(36),
                let host = field(44)
            else { return nil }
            return .authenticate(
                Authenticate(
                    domain: text(domain), user: text(user), workstation: text(host), lmResponse: Array(lm),
                    ntResponse: Array(nt)))
        default:
            return nil
        }
    }

    /// The credential for an AUTHENTICATE, with the hashcat line when the challenge is known.
    /// Anonymous (null session) authentications give none.
    static func credential(
        _ message: Authenticate, challenge: [UInt8]?, carrier: String, context: FlowContext, packet: Int,
        outcome: AuthOutcome = .unknown
    ) -> Credential? {
        guard !message.user.isEmpty, !message.ntResponse.isEmpty else { return nil }
        let version2 = message.ntResponse.count > 24
        let protocolName = version2 ? "ntlmv2" : "ntlmv1"
        var attributes = [CredentialAttribute("carrier", carrier)]
        var line: String
        var mode: Int?
        if let challenge {
            attributes.append(CredentialAttribute("server_challenge", challenge.hexString))
            if version2 {
                let proof = message.ntResponse.prefix(16).hexString
                let blob = message.ntResponse.dropFirst(16).hexString
                line = "\(message.user)::\(message.domain):\(challenge.hexString):\(proof):\(blob)"
                mode = 5600
            } else {
                line =
                    "\(message.user)::\(message.domain):\(message.lmResponse.hexString):"
                    + "\(message.ntResponse.hexString):\(challenge.hexString)"
                mode = 5500
            }
        } else {
            // Without the server's challenge the response cannot be cracked; keep it as evidence.
            line = message.ntResponse.hexString
        }
        return context.credential(
            protocolName, user: message.user, secret: Array(line.utf8), kind: .hash, outcome: outcome,
            packets: [packet], domain: message.domain.isEmpty ? nil : message.domain,
            workstation: message.workstation.isEmpty ? nil : message.workstation, hashcatMode: mode,
            attributes: attributes)
    }
}

/// Tracks the NTLM exchange of one connection: the last challenge from the server, then each
/// AUTHENTICATE from the client as a credential event.
struct NTLMExchange {
    var challenge: [UInt8]?
    let carrier: String

    mutating func scan(
        _ bytes: UnsafeRawBufferPointer, from side: Side, context: FlowContext, packet: Int, time: Timestamp,
        into events: inout [Event]
    ) -> Bool {
        var sawAuthenticate = false
        for message in NTLM.messages(in: bytes) {
            switch (message, side) {
            case (.challenge(let value), .server):
                challenge = value
            case (.authenticate(let auth), .client):
                if let credential = NTLM.credential(
                    auth, challenge: challenge, carrier: carrier, context: context, packet: packet)
                {
                    events.append(context.credentialEvent(credential, time: time, packet: packet))
                    sawAuthenticate = true
                }
            default:
                break
            }
        }
        return sawAuthenticate
    }
}

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

/// One DCE-RPC or SMB connection.
final class NTLMCarrierSession: TCPSession {
    private let context: FlowContext
    private var buffers: [Side: [UInt8]] = [.client: [], .server: []]
    private var packets: [Side: Int] = [:]
    private var exchange = NTLMExchange(carrier: "dce-rpc")
    private var carrierKnown = false
    private var lost: Set<Side> = []
    private var smb1Reported = false
    /// SMB logins awaiting the session setup's response.
    private var awaiting: [Event] = []
    private static let maxPDU = 256 * 1024

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !lost.contains(side) else { return }
        var buffer = buffers[side, default: []]
        buffer.append(contentsOf: bytes)
        packets[side] = packet
        while let length = pduLength(buffer) {
            guard length <= Self.maxPDU else {
                lost.insert(side)  // framing beyond reason: stop reading this direction
                buffer.removeAll()
                break
            }
            guard buffer.count >= length else { break }
            if !smb1Reported && buffer.count >= 8 && buffer[0] == 0 && buffer[4] == 0xFF && buffer[5] == 0x53 {
                smb1Reported = true
                events.append(context.protocolEvent("smb1", packet: packet, time: time))
            }
            // Only binds and alter-contexts (DCE-RPC) and session setups (SMB) carry NTLMSSP
            // negotiation; file transfers and calls are not scanned.
            guard Self.mayCarryNTLM(buffer) else {
                buffer.removeFirst(length)
                continue
            }
            var found: [Event] = []
            buffer.withUnsafeBytes { all in
                _ = exchange.scan(
                    all.slice(0, length), from: side, context: context, packet: packet, time: time, into: &found)
            }
            if buffer[0] == 5 {
                events += found  // DCE-RPC: auth3 has no answer to wait for
            } else if side == .client {
                // SMB: the session setup's response says whether the login worked.
                awaiting += found.filter { $0.kind == .credentialObserved }
                events += found.filter { $0.kind != .credentialObserved }
            } else {
                events += found
                if !awaiting.isEmpty, let outcome = Self.sessionSetupOutcome(buffer) {
                    for event in awaiting { events.append(Self.answered(event, outcome, packet, context)) }
                    awaiting = []
                }
            }
            buffer.removeFirst(length)
        }
        buffers[side] = buffer
    }

    /// The whole length of the PDU at the start of `buffer`, when its header is there.
    private func pduLength(_ buffer: [UInt8]) -> Int? {
        guard buffer.count >= 10 else { return nil }
        if !carrierKnown {
            carrierKnown = true
            exchange = NTLMExchange(carrier: buffer[0] == 5 ? "dce-rpc" : "smb")
        }
        if buffer[0] == 5 {
            let littleEndian = buffer[4] & 0x10 != 0
            let length =
                littleEndian ? Int(buffer[8]) | Int(buffer[9]) << 8 : Int(buffer[8]) << 8 | Int(buffer[9])
            return max(length, 16)
        }
        // NetBIOS session service: type, then a 17-bit length (RFC 1002; SMB2 direct TCP alike).
        return 4 + (Int(buffer[1] & 1) << 16 | Int(buffer[2]) << 8 | Int(buffer[3]))
    }

    /// Whether the PDU at the start of `buffer` is of a kind that carries NTLMSSP messages.
    static func mayCarryNTLM(_ buffer: [UInt8]) -> Bool {
        if buffer[0] == 5 { return (11...16).contains(buffer[2]) }  // bind … auth3
        guard buffer.count >= 8 else { return false }
        if buffer[4] == 0xFE { return buffer.count >= 18 && buffer[16] == 1 && buffer[17] == 0 }  // SMB2 SESSION_SETUP
        if buffer[4] == 0xFF { return buffer[8] == 0x73 }  // SMB1 SESSION_SETUP_ANDX
        return false
    }

    func gap(on side: Side) {
        buffers[side] = []
        lost.insert(side)
    }

    func finish(into events: inout [Event]) {
        events += awaiting
        awaiting = []
    }

    /// The verdict of an SMB1 or SMB2 session setup response (its NT status), or `nil` while the
    /// exchange goes on (`STATUS_MORE_PROCESSING_REQUIRED`, the challenge) or for a request.
    static func sessionSetupOutcome(_ pdu: [UInt8]) -> AuthOutcome? {
        let status: UInt32
        switch pdu[4] {
        case 0xFE where pdu.count >= 24 && pdu[20] & 0x01 != 0:  // SMB2 response
            status = UInt32(pdu[12]) | UInt32(pdu[13]) << 8 | UInt32(pdu[14]) << 16 | UInt32(pdu[15]) << 24
        case 0xFF where pdu.count >= 18 && pdu[13] & 0x80 != 0:  // SMB1 reply
            status = UInt32(pdu[5 + 4]) | UInt32(pdu[6 + 4]) << 8 | UInt32(pdu[7 + 4]) << 16 | UInt32(pdu[8 + 4]) << 24
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
