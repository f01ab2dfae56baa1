internal import VigilCore

/// POP3 (RFC 1939, RFC 5034): `USER`/`PASS`, `APOP` (an MD5 digest of the banner's timestamp and
/// the password), `AUTH PLAIN`; `+OK` success, `-ERR` failure; reading stops after `STLS`.
enum POP3Dissector: TCPDissector {
    static let name = "pop3"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if input.serverPort == 110 { return .yes(swapSides: false) }
        // The banner comes first; a "+OK" answering a client that spoke first is Redis or other.
        if case .text(let line) = input.serverLine, line.hasPrefix("+OK"), input.firstSpeaker != .client {
            return .yes(swapSides: false)
        }
        if case .text(let line) = input.clientLine, line.hasPrefix("+OK"), input.firstSpeaker == .client {
            return .yes(swapSides: true)
        }
        if case .text = input.serverLine { return .no }
        return input.clientLine == .pending && input.server.isEmpty ? .undecided : .no
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { POP3Session(context: context) }
}

/// One POP3 connection.
final class POP3Session: LineProtocolSession {
    var clientLines = LineStream()
    var serverLines = LineStream()
    private var user: (name: String, packet: Int)?
    private var logins: LoginTracker
    private var awaitingPlain: Int?
    private(set) var encrypted = false
    private var stlsRequested = false

    init(context: FlowContext) { logins = LoginTracker(context: context) }

    func serverLine(_ line: String, packet: Int, into events: inout [Event]) {
        let ok = line.hasPrefix("+OK")
        let error = line.hasPrefix("-ERR")
        if stlsRequested && ok {
            encrypted = true
            return
        }
        stlsRequested = false
        guard ok || error else { return }
        logins.resolve(ok ? .success(reply: "+OK") : .failure(reply: "-ERR"), replyPacket: packet, into: &events)
    }

    func clientLine(_ line: String, packet: Int, time: Timestamp, into events: inout [Event]) {
        if let started = awaitingPlain {
            awaitingPlain = nil
            if let (name, secret) = TextCommand.saslPlain(line) {
                login(
                    .pop3, user: name, secret: secret, packets: [started, packet], time: time, method: "plain", &events)
            }
            return
        }
        let words = line.split(separator: " ", maxSplits: 1).map(String.init)
        let argument = words.count > 1 ? words[1] : ""
        switch words.first?.uppercased() ?? "" {
        case "USER": user = (argument, packet)
        case "PASS":
            login(
                .pop3, user: user?.name ?? "", secret: Array(argument.utf8),
                packets: [user?.packet, packet].compactMap { $0 }, time: time, method: "password", &events)
        case "APOP":
            let parts = argument.split(separator: " ").map(String.init)
            if parts.count == 2 {
                login(
                    .pop3APOP, user: parts[0], secret: Array(parts[1].utf8), kind: .hash, packets: [packet], time: time,
                    method: "apop", &events)
            }
        case "AUTH":
            let parts = argument.split(separator: " ").map(String.init)
            guard parts.first?.uppercased() == "PLAIN" else { break }
            if parts.count == 2, let (name, secret) = TextCommand.saslPlain(parts[1]) {
                login(.pop3, user: name, secret: secret, packets: [packet], time: time, method: "plain", &events)
            } else {
                awaitingPlain = packet
            }
        case "STLS": stlsRequested = true
        default: break
        }
    }

    private func login(
        _ name: CredentialProtocol, user: String, secret: [UInt8], kind: CredentialKind = .password, packets: [Int],
        time: Timestamp, method: String, _ events: inout [Event]
    ) {
        logins.begin(
            PendingLogin(
                protocolName: name, user: user, secret: secret, kind: kind, packets: packets, time: time, method: method
            ),
            into: &events)
    }

    func finish(into events: inout [Event]) { logins.flush(into: &events) }
}
