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
        while let index = bytes.find(signature, from: start) {
            if let message = parse(bytes.slice(index, bytes.count)) { found.append(message) }
            start = index + signature.count
        }
        return found
    }

    private static func le16(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int {
        bytes.integer(at: offset, as: UInt16.self, endianness: .little).map(Int.init) ?? 0
    }

    private static func le32(_ bytes: UnsafeRawBufferPointer, _ offset: Int) -> Int {
        bytes.integer(at: offset, as: UInt32.self, endianness: .little).map(Int.init) ?? 0
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
        let protocolName: CredentialProtocol = version2 ? .ntlmv2 : .ntlmv1
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
