internal import VigilCore

/// SMTP submission (RFC 4954): `AUTH PLAIN` (initial response or after a 334 prompt) and
/// `AUTH LOGIN` (user and password base64 on separate lines after 334 prompts); 235 success,
/// 535 and other 4xx/5xx failure; reading stops after `STARTTLS` is accepted (220).
enum SMTPDissector: TCPDissector {
    static let name = "smtp"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if [25, 587, 2525].contains(input.serverPort) { return .yes(swapSides: false) }
        let client = input.clientLine
        let server = input.serverLine
        if case .text(let line) = client, ["EHLO", "HELO", "LHLO"].contains(TextCommand.verb(of: line)) {
            if case .text(let banner) = server { return banner.hasPrefix("220") ? .yes(swapSides: false) : .no }
            return .yes(swapSides: false)
        }
        if case .text(let line) = server, ["EHLO", "HELO"].contains(TextCommand.verb(of: line)) {
            return .yes(swapSides: true)
        }
        if case .text(let banner) = server, banner.hasPrefix("220"), client == .pending { return .undecided }
        return .no
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { SMTPSession(context: context) }
}

/// One SMTP connection.
final class SMTPSession: LineProtocolSession {
    private enum Step {
        case idle
        case plainPrompt(Int)
        case loginUser(Int)
        case loginPassword(user: String, packets: [Int])
    }

    var clientLines = LineStream()
    var serverLines = LineStream()
    private var step = Step.idle
    private var logins: LoginTracker
    private var startTLS = false
    private(set) var encrypted = false
    private var inData = false

    init(context: FlowContext) { logins = LoginTracker(context: context) }

    private func login(
        user: String, secret: [UInt8], packets: [Int], time: Timestamp, method: String, into events: inout [Event]
    ) {
        logins.begin(
            PendingLogin(protocolName: .smtp, user: user, secret: secret, packets: packets, time: time, method: method),
            into: &events)
    }

    func clientLine(_ line: String, packet: Int, time: Timestamp, into events: inout [Event]) {
        if inData {
            if line == "." { inData = false }
            return
        }
        switch step {
        case .plainPrompt(let started):
            step = .idle
            if let (user, secret) = TextCommand.saslPlain(line) {
                login(
                    user: user, secret: secret, packets: [started, packet], time: time, method: "plain", into: &events)
            }
            return
        case .loginUser(let started):
            let user = TextCommand.base64(line).map { String(decoding: $0, as: UTF8.self) } ?? line
            step = .loginPassword(user: user, packets: [started, packet])
            return
        case .loginPassword(let user, let packets):
            step = .idle
            if let secret = TextCommand.base64(line) {
                login(
                    user: user, secret: secret, packets: packets + [packet], time: time, method: "login", into: &events)
            }
            return
        case .idle:
            break
        }
        let words = line.split(separator: " ").map(String.init)
        switch words.first?.uppercased() {
        case "AUTH" where words.count >= 2:
            switch words[1].uppercased() {
            case "PLAIN":
                if words.count >= 3, let (user, secret) = TextCommand.saslPlain(words[2]) {
                    login(user: user, secret: secret, packets: [packet], time: time, method: "plain", into: &events)
                } else {
                    step = .plainPrompt(packet)
                }
            case "LOGIN":
                if words.count >= 3, let user = TextCommand.base64(words[2]) {
                    step = .loginPassword(user: String(decoding: user, as: UTF8.self), packets: [packet])
                } else {
                    step = .loginUser(packet)
                }
            default: break
            }
        case "STARTTLS": startTLS = true
        case "DATA": inData = true
        default: break
        }
    }

    func serverLine(_ line: String, packet: Int, into events: inout [Event]) {
        guard let reply = TextCommand.replyCode(line), !reply.continues else { return }
        if startTLS {
            startTLS = false
            if reply.code == 220 { encrypted = true }
            return
        }
        if reply.code == 354 { inData = true }
        guard reply.code != 334, logins.isWaiting() else {
            if reply.code >= 400 { step = .idle }
            return
        }
        let outcome: AuthOutcome =
            reply.code == 235
            ? .success(reply: "235") : reply.code >= 400 ? .failure(reply: String(reply.code)) : .unknown
        logins.resolve(outcome, replyPacket: packet, into: &events)
    }

    func finish(into events: inout [Event]) { logins.flush(into: &events) }
}
