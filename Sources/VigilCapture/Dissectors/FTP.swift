internal import VigilCore

/// FTP (RFC 959): recognises the control connection on any port and reports each `USER`/`PASS`
/// login with the server's verdict (230 success, 530 and other 4xx/5xx failure).
///
/// After `AUTH TLS` is accepted (234) the connection is encrypted and reading stops.
enum FTPDissector: TCPDissector {
    static let name = "ftp"
    static let wellKnownPort: UInt16 = 21

    /// Commands only an FTP client sends first (`USER` is shared with POP3, which answers `+OK`
    /// rather than a three-digit code, so a `USER` needs an FTP-style reply or banner too).
    private static let openingCommands: Set<String> = ["USER", "AUTH", "FEAT", "SYST", "OPTS", "PASS", "ACCT", "CLNT"]

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if input.serverPort == wellKnownPort { return .yes(swapSides: false) }
        if input.clientPort == wellKnownPort { return .yes(swapSides: true) }
        let a = input.clientLine
        let b = input.serverLine
        if let verdict = judge(command: a, reply: b) { return verdict == .no ? .no : .yes(swapSides: false) }
        if let verdict = judge(command: b, reply: a) { return verdict == .no ? .no : .yes(swapSides: true) }
        if a == .binary || b == .binary { return .no }
        if case .text = a, case .text = b { return .no }
        return .undecided
    }

    /// `.yes` if `command` is an FTP opening command answered by an FTP reply (or banner), `.no`
    /// if both are complete and don't fit, `nil` when this pairing says nothing yet.
    private static func judge(command: FirstLine, reply: FirstLine) -> ProbeVerdict? {
        guard case .text(let line) = command, hasFourLetterVerb(line),
            openingCommands.contains(TextCommand.verb(of: line))
        else {
            return nil
        }
        switch reply {
        case .text(let text): return TextCommand.replyCode(text) != nil ? .yes(swapSides: false) : .no
        case .binary: return .no
        case .pending: return nil
        }
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { FTPSession(context: context) }

    /// Whether `line` starts with a four-byte word, as every opening command does: a cheap
    /// test that turns away other protocols' first lines before any string is made.
    private static func hasFourLetterVerb(_ line: String) -> Bool {
        var utf8 = line.utf8.makeIterator()
        for _ in 0..<4 {
            guard let byte = utf8.next(), byte > 0x20 else { return false }
        }
        let fifth = utf8.next()
        return fifth == nil || fifth == 0x20
    }
}

/// One FTP control connection.
final class FTPSession: TCPSession {
    private let context: FlowContext
    private var clientLines = LineStream()
    private var serverLines = LineStream()
    private var user: (name: String, packet: Int)?
    private var logins: LoginTracker
    private var multilineCode: Int?
    private var tlsRequested = false
    private var encrypted = false
    private var firstSeen: (packet: Int, time: Timestamp)?

    init(context: FlowContext) {
        self.context = context
        logins = LoginTracker(context: context)
    }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        if firstSeen == nil { firstSeen = (packet, time) }
        guard !encrypted else { return }
        switch side {
        case .client:
            clientLines.feed(bytes) { line in command(line, packet: packet, time: time, into: &events) }
        case .server:
            serverLines.feed(bytes) { line in reply(line, packet: packet, into: &events) }
        }
    }

    func gap(on side: Side) {
        switch side {
        case .client: clientLines.gap()
        case .server:
            serverLines.gap()
            multilineCode = nil
        }
    }

    func finish(into events: inout [Event]) {
        logins.flush(into: &events)
        if let first = firstSeen {
            events.append(
                context.protocolEvent(
                    "ftp", packet: first.packet, time: first.time,
                    fields: [(.tlsVersion, encrypted ? "AUTH TLS" : nil)]))
        }
    }

    private func command(_ line: UnsafeRawBufferPointer, packet: Int, time: Timestamp, into events: inout [Event]) {
        let space = line.firstIndex(of: 0x20) ?? line.count
        let verb = String(decoding: line.slice(0, space), as: UTF8.self).uppercased()
        let argument = line.slice(space + 1, line.count)
        switch verb {
        case "USER":
            logins.flush(into: &events)
            user = (String(decoding: argument, as: UTF8.self), packet)
        case "PASS":
            logins.begin(
                PendingLogin(
                    protocolName: .ftp, user: user?.name ?? "", secret: Array(argument),
                    packets: [user?.packet, packet].compactMap { $0 }, time: time),
                into: &events)
        case "AUTH":
            tlsRequested = true
        default:
            break
        }
    }

    private func reply(_ line: UnsafeRawBufferPointer, packet: Int, into events: inout [Event]) {
        let text = String(decoding: line.prefix(4), as: UTF8.self)
        if let open = multilineCode {
            // Inside a multi-line reply only "code<space>" ends it; other lines are free text.
            guard let parsed = TextCommand.replyCode(text), parsed.code == open, !parsed.continues else { return }
            multilineCode = nil
            final(code: open, packet: packet, into: &events)
            return
        }
        guard let parsed = TextCommand.replyCode(text) else { return }
        if parsed.continues {
            multilineCode = parsed.code
        } else {
            final(code: parsed.code, packet: packet, into: &events)
        }
    }

    private func final(code: Int, packet: Int, into events: inout [Event]) {
        if code == 234 && tlsRequested {
            encrypted = true
            return
        }
        guard code >= 200 else { return }
        let outcome: AuthOutcome =
            switch code {
            case 230, 202: .success(reply: String(code))
            case 400...599: .failure(reply: String(code))
            default: .unknown
            }
        logins.resolve(outcome, replyPacket: packet, into: &events)
    }
}
