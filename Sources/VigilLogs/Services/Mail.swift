internal import VigilCore

/// Mail servers: Dovecot, Postfix (smtpd SASL failures and the rejections and protocol abuse
/// that mark a spam or brute-force client), Courier and Sendmail.
enum Mail {
    private static let rip = Array("rip=".utf8)
    private static let user = Array("user=<".utf8)
    private static let method = Array("method=".utf8)
    private static let authFailed = Array("auth failed".utf8)
    private static let plaintext = Array("plaintext auth".utf8)
    private static let disallowed = Array("(tried to use disallowed".utf8)
    private static let proxyAuthFailed = Array("proxy dest auth failed".utf8)
    private static let noAuthAttempts = Array("no auth attempts".utf8)
    private static let loggedIn = Array("Login: user=<".utf8)
    private static let pamAuthenticate = Array("pam_authenticate() failed".utf8)
    private static let unknownUser = Array("unknown user".utf8)
    private static let passwordMismatch = Array("assword mismatch".utf8)
    private static let invalidCredentials = Array("invalid credentials".utf8)
    private static let handshake = Array("TLS handshak".utf8)
    private static let sslAccept = Array("SSL_accept() failed".utf8)
    private static let waited = Array("before auth was ready".utf8)
    private static let sasl = Array("didn't finish SASL auth".utf8)
    private static let tooManyInvalid = Array("Too many invalid commands".utf8)
    private static let connectionReset = Array("Connection reset by peer (no auth attempts".utf8)
    private static let tlsHandshakeFailed = Array("disconnected during TLS handshake".utf8)

    /// Dovecot: login processes (`imap-login: Disconnected (auth failed, 1 attempts): user=<U>,
    /// method=PLAIN, rip=H, …`), auth workers (`auth-worker(N): pam(U,H): unknown user`,
    /// `passwd-file(U,H): Password mismatch`, `sql(U,H,<session>): …`), and successful logins.
    static func dovecot(_ raw: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        var message = raw
        // `dovecot: imap-login: …`, `Info: …`: the real message after the tags.
        for prefix in ["dovecot: ", "Info: ", "info: "].map({ Array($0.utf8) }) where message.starts(with: prefix) {
            message = message.from(prefix.count)
        }
        if let ripAt = message.find(rip) {
            let address = LogAddress(message.from(ripAt + rip.count).word(at: 0))
            let name = bracketed(message, after: user)
            let mechanism = message.value(of: method).map(\.text)
            if message.contains(loggedIn) && !message.contains(authFailed) {
                events.append(context.auth(.authSuccess, from: address, user: name, method: mechanism?.lowercased()))
                return
            }
            let failed =
                message.contains(authFailed) || message.contains(plaintext) || message.contains(proxyAuthFailed)
                || (message.contains(disallowed))
            // Connections dropped before any login, in the TLS handshake or mid-exchange:
            // scans and floods, not password guesses, but attempts all the same.
            var aborted = message.contains(waited) || message.contains(sasl) || message.contains(tlsHandshakeFailed)
            if let noAttempts = message.find(noAuthAttempts) {
                // Dropped before any login: in the reason given before "(no auth attempts" (TLS
                // refused, connection reset, garbage commands), or in a TLS handshake reset.
                let reason = message.slice(0, noAttempts)
                let handshake = message.find(Array("TLS handshaking: ".utf8)).map { message.from($0) }
                aborted =
                    aborted || reason.contains(sslAccept) || reason.contains(Array("Connection reset by peer".utf8))
                    || reason.contains(tooManyInvalid)
                    || (handshake.map { $0.contains(Array("syscall failed".utf8)) } ?? false)
            }
            guard failed || aborted else { return }
            context.appendFailure(
                from: address, user: name?.isEmpty == true ? nil : name, method: mechanism?.lowercased(),
                reason: failed ? "mail login failed" : "disconnected before authentication",
                action: failed ? "login-failed" : "preauth-disconnect", into: &events)
            return
        }
        // auth process: `pam(USER,HOST[,<session>]): …` or `passwd-file(USER,HOST): …`, or the
        // tag itself `auth(USER,HOST,sasl:login)<…>: Info: sql: Password mismatch`.
        let failure =
            message.contains(pamAuthenticate) || message.contains(unknownUser) || message.contains(passwordMismatch)
            || message.contains(invalidCredentials)
        guard failure else { return }
        var target = message
        if context.line.program.contains(Array("(".utf8)) && context.line.program.contains(Array(",".utf8)) {
            target = context.line.program
        }
        guard let (name, address) = userAndHost(target) else { return }
        context.appendFailure(
            from: address, user: name, method: "password",
            reason: message.contains(unknownUser) ? "invalid user" : "mail login failed",
            into: &events)
    }

    /// The last `word(USER,HOST…)` group before `): `.
    private static func userAndHost(_ bytes: UnsafeRawBufferPointer) -> (String, LogAddress)? {
        var search = 0
        var found: (String, LogAddress)?
        while let open = bytes.index(of: 0x28, from: search) {
            search = open + 1
            guard let close = bytes.index(of: 0x29, from: open) else { break }
            let inside = bytes.slice(open + 1, close)
            guard let comma = inside.index(of: 0x2C) else { continue }
            let hostEnd = inside.index(of: 0x2C, from: comma + 1) ?? inside.count
            if let address = LogAddress(inside.slice(comma + 1, hostEnd)) {
                found = (inside.slice(0, comma).text, address)
            }
        }
        return found
    }

    private static func bracketed(_ message: UnsafeRawBufferPointer, after key: [UInt8]) -> String? {
        guard let at = message.find(key), let close = message.index(of: 0x3E, from: at + key.count) else { return nil }
        return message.slice(at + key.count, close).text
    }

    private static let saslFailed = Array("authentication failed".utf8)
    private static let saslUsername = Array("sasl_username=".utf8)
    private static let reject = Array("reject: ".utf8)
    private static let pipelining = Array("improper command pipelining after ".utf8)
    private static let tooManyErrors = Array("too many errors after ".utf8)
    private static let lostConnection = Array("lost connection after ".utf8)
    private static let disconnect = Array("disconnect from ".utf8)
    private static let authZero = Array(" auth=0/".utf8)
    private static let rateLimit = Array("rate limit exceeded".utf8)
    private static let doesNotResolve = Array("does not resolve to address ".utf8)
    private static let saslLogin = Array("sasl_method=".utf8)
    private static let postscreen = ["PREGREET", "HANGUP", "COMMAND TIME LIMIT", "COMMAND COUNT LIMIT"]

    /// Postfix smtpd: `warning: NAME[ADDRESS]: SASL LOGIN authentication failed: …` (the
    /// password guess), and the rejections (`NOQUEUE: reject: RCPT from NAME[ADDRESS]: 554 …`),
    /// protocol abuse (pipelining, too many errors, lost connections before mail, postscreen's
    /// PREGREET and limits) that mark a hostile client. A successful SASL login
    /// (`client=NAME[ADDRESS], sasl_method=PLAIN, sasl_username=U`) is a login.
    static func postfix(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        if message.contains(saslFailed) && message.contains(Array("SASL ".utf8)) {
            // Not the server's own trouble: "Connection lost to authentication server" is no guess.
            guard !message.contains(Array("Connection lost to authentication server".utf8)) else { return }
            let address = clientBracket(message)
            var name = message.find(saslUsername).map { message.from($0 + saslUsername.count).word(at: 0).text }
            if name?.isEmpty == true { name = nil }
            let mechanism = message.find(Array("SASL ".utf8)).map { message.from($0 + 5).word(at: 0).text.lowercased() }
            context.appendFailure(
                from: address, user: name, method: mechanism, reason: "SMTP authentication failed", into: &events)
            return
        }
        if let at = message.find(saslLogin), let username = message.find(saslUsername) {
            let address = clientBracket(message)
            events.append(
                context.auth(
                    .authSuccess, from: address, user: message.from(username + saslUsername.count).word(at: 0).text,
                    method: message.from(at + saslLogin.count).word(at: 0).text.lowercased().trimmingComma))
            return
        }
        var reason: String?
        if let at = message.find(reject) {
            let detail = message.from(at + reject.count)
            // `RCPT from NAME[ADDRESS]: 554 5.7.1 <…>: Relay access denied; …`
            reason = "rejected: " + (detail.find(Array(": ".utf8)).map { detail.from($0 + 2).text } ?? detail.text)
        } else if message.starts(with: pipelining) {
            reason = "improper command pipelining"
        } else if message.starts(with: tooManyErrors) {
            reason = "too many errors"
        } else if message.starts(with: lostConnection) || message.starts(with: Array("NOQUEUE: lost connection".utf8)) {
            // After CONNECT or STARTTLS nothing was sent: a scan. After AUTH, the failure is
            // counted by its disconnect line; after DATA, mail was being sent.
            if message.contains(Array("after CONNECT".utf8)) || message.contains(Array("after STARTTLS".utf8)) {
                reason = "lost connection before mail"
            }
        } else if message.starts(with: disconnect) && message.contains(authZero) {
            reason = "authentication failed (disconnect with auth=0)"
        } else if message.contains(rateLimit) {
            reason = "rate limit exceeded"
        } else if message.contains(doesNotResolve) {
            let at = message.find(doesNotResolve)! + doesNotResolve.count
            var word = message.from(at).word(at: 0)
            if word.last == 0x3A { word = word.slice(0, word.count - 1) }
            context.appendFailure(
                from: LogAddress(word), user: nil, reason: "reverse DNS does not match", action: "rejected",
                into: &events)
            return
        } else if postscreen.contains(where: { message.starts(with: Array($0.utf8)) }) {
            reason = "postscreen: " + message.word(at: 0).text
        }
        guard let reason else { return }
        context.appendFailure(
            from: clientBracket(message), user: nil, reason: reason, action: "rejected", into: &events)
    }

    /// The client of a Postfix line: the first `NAME[ADDRESS]` (or `[ADDRESS]:PORT`).
    static func clientBracket(_ message: UnsafeRawBufferPointer) -> LogAddress? {
        var search = 0
        while let open = message.index(of: 0x5B, from: search) {
            search = open + 1
            guard let close = message.index(of: 0x5D, from: open) else { return nil }
            if let address = LogAddress(message.slice(open + 1, close)), address.ip != nil { return address }
        }
        return nil
    }

    /// Courier: `LOGIN FAILED, user=U, ip=[::ffff:H]` (imapd, pop3d, courierpop3login, …),
    /// `LOGIN, user=U, ip=[H], …` for a success.
    static func courier(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        let failed = message.starts(with: Array("LOGIN FAILED,".utf8))
        guard failed || message.starts(with: Array("LOGIN,".utf8)) else { return }
        let address = message.value(of: Array("ip=[".utf8)).flatMap { value -> LogAddress? in
            let end = value.index(of: 0x5D) ?? value.count
            return LogAddress(value.slice(0, end))
        }
        let name = message.value(of: Array("user=".utf8)).map(\.text)
        let mechanism = message.value(of: Array("method=".utf8)).map { $0.text.lowercased() }
        if failed {
            context.appendFailure(
                from: address, user: name, method: mechanism ?? "password", reason: "mail login failed", into: &events)
        } else {
            events.append(context.auth(.authSuccess, from: address, user: name, method: mechanism ?? "password"))
        }
    }

    /// Sendmail: `AUTH failure (MECH): … user=U, relay=[H]` and `[H]: possible SMTP attack:
    /// command=AUTH, count=N`.
    static func sendmail(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        if message.contains(Array("AUTH failure (".utf8)) {
            // The last `relay=` is sendmail's own (a user name can inject one).
            let relay = message.findLast(Array("relay=".utf8)).map { message.from($0 + 6) }
            let address = relay.flatMap { clientBracket($0) } ?? relay.flatMap { LogAddress($0.word(at: 0)) }
            var name = message.find(Array("user=".utf8)).map { message.from($0 + 5).word(at: 0).text }
            if name?.hasSuffix(",") == true { name = String(name!.dropLast()) }
            let mechanism = message.find(Array("AUTH failure (".utf8)).map {
                message.from($0 + 14).word(at: 0).text.lowercased().replacingParenthesis
            }
            context.appendFailure(
                from: address, user: name, method: mechanism, reason: "SMTP authentication failed", into: &events)
        } else if message.contains(Array("possible SMTP attack: command=AUTH".utf8)) {
            context.appendFailure(
                from: clientBracket(message), user: nil, reason: "repeated AUTH attempts", into: &events)
        }
    }
}

extension String {
    fileprivate var trimmingComma: String { hasSuffix(",") ? String(dropLast()) : self }
    fileprivate var replacingParenthesis: String {
        var text = self
        while text.hasSuffix(")") || text.hasSuffix(":") { text.removeLast() }
        return text
    }
}

/// Dovecot's login processes and auth workers.
enum Dovecot: StatelessLogService {
    static let programs = [
        "dovecot", "auth", "auth-worker", "imap-login", "pop3-login", "managesieve-login", "submission-login",
        "dovecot-auth",
    ]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Mail.dovecot(line.message, context: context, into: &events)
    }
}

/// Courier's IMAP, POP3 and ESMTP daemons.
enum Courier: StatelessLogService {
    static let programs = [
        "imapd", "pop3d", "imapd-ssl", "pop3d-ssl", "courierpop3login", "courierpop3d", "courieresmtpd",
        "courier-imapd", "courier-pop3d",
    ]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Mail.courier(line.message, context: context, into: &events)
    }
}

/// Sendmail's lines.
enum Sendmail: StatelessLogService {
    static let programs = ["sm-mta", "sendmail", "sm-acceptingconnections", "sm-msp-queue"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Mail.sendmail(line.message, context: context, into: &events)
    }
}

/// Postfix's daemons (`postfix/smtpd`, and instances such as `postfix-submission`).
enum Postfix: StatelessLogService {
    static let programs = ["postfix"]
    static let programPrefixes = ["postfix"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Mail.postfix(line.message, context: context, into: &events)
    }
}
