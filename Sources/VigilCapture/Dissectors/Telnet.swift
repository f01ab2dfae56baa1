internal import VigilCore

/// Telnet (RFC 854): option negotiation (IAC sequences) stripped from both directions, the
/// login typed one character per packet (echoed by the server) and the password typed without
/// echo, told apart by the server's prompts (`login:`, `Username:`, `Password:`); the server's
/// next words give the outcome (`Login incorrect` failure, a shell prompt or `Last login` success).
enum TelnetDissector: TCPDissector {
    static let name = "telnet"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if input.serverPort == 23 { return .yes(swapSides: false) }
        if input.clientPort == 23 { return .yes(swapSides: true) }
        // Negotiation (IAC DO/DONT/WILL/WONT) from either end.
        func negotiates(_ bytes: UnsafeRawBufferPointer) -> Bool {
            bytes.count >= 3 && bytes[0] == 0xFF && (0xFB...0xFE).contains(bytes[1])
        }
        if negotiates(input.server) { return .yes(swapSides: false) }
        if negotiates(input.client) {
            return input.server.isEmpty || negotiates(input.server) ? .yes(swapSides: false) : .undecided
        }
        return .no
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { TelnetSession(context: context) }
}

final class TelnetSession: TCPSession {
    private enum Expecting {
        case nothing, user, password
    }

    private let context: FlowContext
    private var logins: LoginTracker
    /// The last characters the server printed, IAC sequences removed.
    private var screen: [UInt8] = []
    private var typed: [UInt8] = []
    private var typedPackets: [Int] = []
    private var expecting = Expecting.nothing
    private var user: (name: String, packets: [Int])?
    private var iacState: [Side: Int] = [:]
    private var firstSeen: (packet: Int, time: Timestamp)?

    init(context: FlowContext) {
        self.context = context
        logins = LoginTracker(context: context)
    }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        if firstSeen == nil { firstSeen = (packet, time) }
        for byte in bytes {
            guard let data = stripIAC(byte, side: side) else { continue }
            if side == .server {
                screen.append(data)
                if screen.count > 512 { screen.removeFirst(screen.count - 512) }
                serverPrinted(packet: packet, into: &events)
            } else {
                clientTyped(data, packet: packet, time: time, into: &events)
            }
        }
    }

    /// Feeds one byte through the IAC parser; returns it if it is data.
    private func stripIAC(_ byte: UInt8, side: Side) -> UInt8? {
        let state = iacState[side, default: 0]
        switch state {
        case 0:
            if byte == 0xFF {
                iacState[side] = 1
                return nil
            }
            return byte
        case 1:
            switch byte {
            case 0xFF:
                iacState[side] = 0
                return 0xFF  // an escaped 255
            case 0xFB...0xFE:
                iacState[side] = 2  // WILL/WONT/DO/DONT: one option byte follows
            case 0xFA:
                iacState[side] = 3  // subnegotiation until IAC SE
            default:
                iacState[side] = 0
            }
            return nil
        case 2:
            iacState[side] = 0
            return nil
        case 3:
            if byte == 0xFF { iacState[side] = 4 }
            return nil
        default:  // 4: IAC seen inside a subnegotiation
            iacState[side] = byte == 0xF0 ? 0 : 3
            return nil
        }
    }

    private func serverPrinted(packet: Int, into events: inout [Event]) {
        let tail = String(decoding: screen.suffix(64), as: UTF8.self).lowercased()
        let trimmed = tail.trimmingCharacters(in: .whitespaces)
        if trimmed.hasSuffix("password:") || trimmed.hasSuffix("passcode:") {
            expecting = .password
            screen.removeAll()
        } else if trimmed.hasSuffix("login:") || trimmed.hasSuffix("username:") || trimmed.hasSuffix("user:") {
            // Asked to log in again: the previous attempt failed.
            logins.resolve(.failure(reply: "login prompt again"), replyPacket: packet, into: &events)
            expecting = .user
            screen.removeAll()
        } else if logins.isWaiting() {
            if tail.contains("incorrect") || tail.contains("failed") || tail.contains("denied")
                || tail.contains("invalid")
            {
                logins.resolve(.failure(reply: "login incorrect"), replyPacket: packet, into: &events)
                screen.removeAll()
            } else if tail.contains("last login") || trimmed.hasSuffix("$") || trimmed.hasSuffix("#")
                || trimmed.hasSuffix(">") || tail.contains("welcome")
            {
                logins.resolve(.success(reply: "shell"), replyPacket: packet, into: &events)
                screen.removeAll()
            }
        }
    }

    private func clientTyped(_ byte: UInt8, packet: Int, time: Timestamp, into events: inout [Event]) {
        switch byte {
        case 0x0D, 0x0A:
            guard !typed.isEmpty || expecting == .password else { return }
            let line = typed
            let packets = typedPackets
            typed = []
            typedPackets = []
            switch expecting {
            case .user:
                user = (String(decoding: line, as: UTF8.self), packets)
                expecting = .nothing
            case .password:
                logins.begin(
                    PendingLogin(
                        protocolName: .telnet, user: user?.name ?? "", secret: line,
                        packets: (user?.packets.prefix(1).map { $0 } ?? []) + (packets.last.map { [$0] } ?? [packet]),
                        time: time),
                    into: &events)
                expecting = .nothing
            case .nothing:
                break
            }
        case 0x00:
            return  // CR NUL
        case 0x08, 0x7F:
            if !typed.isEmpty { typed.removeLast() }
        default:
            if typed.count < 256 {
                typed.append(byte)
                typedPackets.append(packet)
            }
        }
    }

    func gap(on side: Side) {
        if side == .client {
            typed = []
            typedPackets = []
        } else {
            screen = []
        }
    }

    func finish(into events: inout [Event]) {
        logins.flush(into: &events)
        if let first = firstSeen {
            events.append(context.protocolEvent("telnet", packet: first.packet, time: first.time))
            firstSeen = nil
        }
    }
}
