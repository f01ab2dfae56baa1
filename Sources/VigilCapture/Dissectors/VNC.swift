internal import VigilCore

/// VNC (RFB 3.3 to 3.8) with VNC authentication: the server's 16-byte challenge and the
/// client's DES response, an offline-crackable pair (`$vnc$*challenge*response`), and the
/// SecurityResult (0 success).
enum VNCDissector: TCPDissector {
    static let name = "vnc"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        let banner = Array("RFB 00".utf8)
        if input.server.starts(with: banner) { return .yes(swapSides: false) }
        if input.client.starts(with: banner) {
            return input.server.starts(with: banner) ? .yes(swapSides: false) : .yes(swapSides: true)
        }
        return input.server.count >= 6 || input.client.count >= 6 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { VNCSession(context: context) }
}

/// One VNC connection: a handshake whose steps alternate between the two ends, read from what
/// each end has sent so far.
final class VNCSession: TCPSession {
    private enum Stage {
        case version, securityTypes, choice, challenge, response, result, done
    }

    private var server = ByteAccumulator()
    private var client = ByteAccumulator()
    private var minor = 8
    private var stage = Stage.version
    private var clientVersionSeen = false
    private var challenge: [UInt8] = []
    private var logins: LoginTracker
    /// The handshake is a few dozen bytes: more held is not VNC.
    private static let limit = 4096

    init(context: FlowContext) { logins = LoginTracker(context: context) }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard stage != .done else { return }
        if side == .server { server.append(bytes) } else { client.append(bytes) }
        advance(packet: packet, time: time, into: &events)
        if server.count > Self.limit || client.count > Self.limit { stage = .done }
    }

    private func advance(packet: Int, time: Timestamp, into events: inout [Event]) {
        while true {
            switch stage {
            case .version:
                guard let version = server.take(12) else { return }
                minor = Int(String(decoding: version[8..<11], as: UTF8.self)) ?? 8
                stage = .securityTypes
            case .securityTypes:
                if !clientVersionSeen {
                    guard client.take(12) != nil else { return }
                    clientVersionSeen = true
                }
                if minor < 7 {
                    guard let type = server.take(4) else { return }
                    stage = type[3] == 2 ? .challenge : .done
                } else {
                    guard let count = server.first, count > 0, let types = server.take(1 + Int(count)) else { return }
                    stage = types.dropFirst().contains(2) ? .choice : .done
                }
            case .choice:
                guard let chosen = client.take(1) else { return }
                stage = chosen[0] == 2 ? .challenge : .done
            case .challenge:
                guard let value = server.take(16) else { return }
                challenge = value
                stage = .response
            case .response:
                guard let response = client.take(16) else { return }
                logins.begin(
                    PendingLogin(
                        protocolName: .vnc, user: "",
                        secret: Array(
                            "$vnc$*\(challenge.hexString.uppercased())*\(response.hexString.uppercased())".utf8),
                        kind: .hash, packets: [packet], time: time),
                    into: &events)
                stage = .result
            case .result:
                guard let result = server.take(4) else { return }
                let ok = result == [0, 0, 0, 0]
                logins.resolve(
                    ok ? .success(reply: "0") : .failure(reply: String(result[3])), replyPacket: packet, into: &events)
                stage = .done
            case .done:
                return
            }
        }
    }

    func gap(on side: Side) { stage = .done }

    func finish(into events: inout [Event]) { logins.flush(into: &events) }
}
