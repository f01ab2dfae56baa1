internal import VigilCore

/// What a service parser knows of the line it reads, and how it turns it into events.
struct LineContext {
    let path: String
    let number: Int
    let line: LogLine
    /// The time of the line, or the file's reference time for a line written without one.
    let time: Timestamp
    let service: String

    /// A new event of `kind` carrying the line's provenance and header fields.
    func event(_ kind: EventKind) -> Event {
        var event = Event(kind: kind, time: time, source: SourceLocation(path: path, position: .line(number)))
        event.add(.service, service)
        if !line.host.isEmpty { event.add(.hostName, line.host.text) }
        event.add(.processPID, line.pid)
        event.add(.logFormat, line.format.rawValue)
        return event
    }

    /// An authentication event: failure or success, from `address`, for `user`.
    func auth(
        _ kind: EventKind, from address: LogAddress?, port: Int? = nil, user: String? = nil, method: String? = nil,
        reason: String? = nil, action: String? = nil
    ) -> Event {
        var event = event(kind)
        event.add(.srcIP, address?.ip)
        event.add(.srcDomain, address?.domain)
        event.add(.srcPort, port)
        event.add(.userName, user)
        event.add(.authMethod, method)
        event.add(.eventReason, reason)
        event.add(.eventAction, action ?? (kind == .authFailure ? "login-failed" : "logged-in"))
        return event
    }
}

/// Reads the lines of one log and emits the events they hold: the header is parsed once, and
/// the message goes to the parser of the program that wrote it.
///
/// Not `Sendable`: one analyzer per file, fed from one thread. It keeps a little state per
/// process (an sshd connection's address, for lines that do not repeat it).
final class LogAnalyzer {
    private var header: HeaderParser
    let path: String
    var sshSessions = SSHSessions()
    /// Lines that looked like nothing Vigil knows, for the input's report.
    private(set) var unrecognised = 0
    /// Events carry their line's message as `log.message` (``LogOptions/keepMessages``).
    var keepMessages = false

    init(path: String, clock: LogClock) {
        self.path = path
        header = HeaderParser(clock: clock)
    }

    var reference: Timestamp { header.clock.reference }

    /// Analyses one line; appends the events it holds.
    func analyse(_ bytes: UnsafeRawBufferPointer, number: Int, into events: inout [Event]) {
        guard let line = header.parse(bytes) else { return }
        analyse(parsed: line, number: number, into: &events)
    }

    /// Analyses a line whose header is already known (journald's fields give it).
    func analyse(parsed: LogLine, number: Int, into events: inout [Event]) {
        guard keepMessages else { return analyseMessage(parsed: parsed, number: number, into: &events) }
        let first = events.count
        analyseMessage(parsed: parsed, number: number, into: &events)
        guard events.count > first else { return }
        let message = String(decoding: parsed.message, as: UTF8.self)
        for index in first..<events.count { events[index].set(.logMessage, message) }
    }

    private func analyseMessage(parsed: LogLine, number: Int, into events: inout [Event]) {
        var line = parsed
        if line.message.starts(with: Self.repeated) {
            // `message repeated 3 times: [ Failed password for root from … ]`
            let rest = line.message.from(Self.repeated.count)
            guard let space = rest.index(of: 0x20), let count = rest.cut(0, space).integer,
                let open = rest.find(Self.openBracket), rest.last == 0x5D
            else { return }
            line.message = rest.cut(open + 2, rest.count - 1).trimmed
            for _ in 0..<min(count, 10_000) { dispatch(line, number: number, into: &events) }
            return
        }
        dispatch(line, number: number, into: &events)
    }

    static let repeated = Array("message repeated ".utf8)
    static let openBracket = Array("[ ".utf8)

    private func dispatch(_ line: LogLine, number: Int, into events: inout [Event]) {
        switch line.format {
        case .apacheError, .nginxError, .access:
            let service = line.format == .access ? "http" : (line.format == .apacheError ? "apache" : "nginx")
            let context = LineContext(
                path: path, number: number, line: line, time: line.time ?? reference, service: service)
            Web.parse(line, context: context, into: &events)
            return
        case .xrdp:
            let context = LineContext(
                path: path, number: number, line: line, time: line.time ?? reference, service: "xrdp")
            XRDP.parse(line.message, context: context, into: &events)
            return
        case .vsftpd:
            let context = LineContext(
                path: path, number: number, line: line, time: line.time ?? reference, service: "vsftpd")
            FTP.vsftpd(line.message, context: context, into: &events)
            return
        case .audit:
            AuditLog.parse(line.message, path: path, number: number, into: &events)
            return
        default:
            break
        }
        let (service, parser) = lookUp(line.programBase)
        let context = LineContext(
            path: path, number: number, line: line, time: line.time ?? reference, service: service)
        let before = events.count
        switch parser {
        case .sshd: SSHD.parse(line.message, context: context, sessions: &sshSessions, into: &events)
        case .other: route(service, line: line, context: context, into: &events)
        }
        if events.count == before && parser != .sshd {
            // Any program may log through PAM (sshd's own parser weighs its PAM lines).
            PAM.parse(line.message, context: context, program: line.program, into: &events)
        }
        if events.count == before { unrecognised += 1 }
    }

    private enum Parser { case sshd, other }

    /// The last program seen, its name as text and its parser: a log's lines come mostly from a
    /// few programs, so the name is compared as bytes and rarely made into a string again.
    private var lastProgram: [UInt8] = []
    private var lastService = "syslog"
    private var lastParser = Parser.other

    private func lookUp(_ base: UnsafeRawBufferPointer) -> (String, Parser) {
        if base.count == lastProgram.count && base.elementsEqual(lastProgram) { return (lastService, lastParser) }
        lastProgram = Array(base)
        lastService = base.isEmpty ? "syslog" : base.text
        lastParser = ["sshd", "sshd-session", "sshd-auth"].contains(lastService) ? .sshd : .other
        return (lastService, lastParser)
    }

    private func route(_ service: String, line: LogLine, context: LineContext, into events: inout [Event]) {
        switch service {
        case "dropbear":
            Dropbear.parse(line.message, context: context, into: &events)
        case "sudo":
            Privilege.sudo(line.message, context: context, into: &events)
        case "su":
            Privilege.su(line.message, context: context, into: &events)
        case "login", "agetty", "systemd-logind", "gdm-password", "lightdm", "sddm":
            Privilege.login(line.message, context: context, into: &events)
        case "useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "passwd", "chpasswd",
            "chage", "adduser", "deluser":
            Accounts.parse(line.message, context: context, into: &events)
        case "vsftpd":
            FTP.vsftpd(line.message, context: context, into: &events)
        case "proftpd":
            FTP.proftpd(line.message, context: context, into: &events)
        case "dovecot", "auth", "auth-worker", "imap-login", "pop3-login", "managesieve-login", "submission-login",
            "dovecot-auth":
            Mail.dovecot(line.message, context: context, into: &events)
        case "imapd", "pop3d", "imapd-ssl", "pop3d-ssl", "courierpop3login", "courierpop3d", "courieresmtpd",
            "courier-imapd", "courier-pop3d":
            Mail.courier(line.message, context: context, into: &events)
        case "sm-mta", "sendmail", "sm-acceptingconnections", "sm-msp-queue":
            Mail.sendmail(line.message, context: context, into: &events)
        case "xrdp", "xrdp-sesman":
            XRDP.parse(line.message, context: context, into: &events)
        case "nginx", "apache2", "httpd":
            Web.embedded(line.message, context: context, into: &events)
        default:
            if service.hasPrefix("postfix") {
                Mail.postfix(line.message, context: context, into: &events)
            }
        }
    }
}

/// Whether a failed login's "user name" is in fact a password typed in the wrong field: long
/// enough, mixing upper and lower case with digits or symbols, as few account names do.
func looksLikePassword(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard bytes.count >= 8, bytes.count <= 64, !bytes.contains(0x20) else { return false }
    var lower = false
    var upper = false
    var digit = false
    var symbol = false
    for byte in bytes {
        switch byte {
        case 0x61...0x7A: lower = true
        case 0x41...0x5A: upper = true
        case 0x30...0x39: digit = true
        default: symbol = true
        }
    }
    let classes = [lower, upper, digit, symbol].filter { $0 }.count
    return upper && lower && classes >= 3
}

extension LineContext {
    /// The `credential.observed` event of a password typed as a user name: the secret is
    /// evidence (masked in every report), the name field left empty.
    func leakedPassword(_ text: String, from address: LogAddress?, port: Int? = nil) -> Event? {
        let secret = Secret(clear: Array(text.utf8))
        let credential = Credential(
            protocolName: service, username: "", secret: secret, kind: .password,
            client: address?.ip.map { Endpoint(ip: $0, port: port ?? 0) }, server: nil, outcome: .failure(reply: nil),
            packets: [])
        var event = event(.credentialObserved)
        event.credential = credential
        event.set(.srcIP, address?.ip)
        event.set(.srcDomain, address?.domain)
        event.set(.userName, "")
        event.set(.credentialProtocol, service)
        event.set(.credentialKind, "password")
        event.set(.credentialOutcome, "failure")
        event.set(.eventReason, "a password typed as the user name")
        return event
    }

    /// Appends a failure, and a leaked-password event when the user name looks like one.
    func appendFailure(
        from address: LogAddress?, port: Int? = nil, user: String?, method: String? = nil, reason: String? = nil,
        action: String? = nil, invalidUser: Bool = false, into events: inout [Event]
    ) {
        if invalidUser, let user, looksLikePassword(user), let leaked = leakedPassword(user, from: address, port: port)
        {
            // The "user" is a password: the failure names it masked, the leak is its own event; both
            // carry it, so that their line is shown scrubbed wherever it is shown.
            let masked = leaked.credential?.secret.masked ?? ""
            var failure = auth(
                .authFailure, from: address, port: port, user: masked, method: method,
                reason: (reason.map { $0 + "; " } ?? "") + "a password typed as the user name", action: action)
            failure.secretsInText = leaked.secrets
            events.append(failure)
            var leak = leaked
            leak.secretsInText = leaked.secrets
            events.append(leak)
            return
        }
        events.append(
            auth(.authFailure, from: address, port: port, user: user, method: method, reason: reason, action: action))
    }
}
