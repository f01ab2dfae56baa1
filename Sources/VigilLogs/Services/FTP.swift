internal import VigilCore

/// vsftpd and ProFTPD.
///
/// vsftpd: `[pid N] [USER] FAIL LOGIN: Client "HOST"` (its own log, or syslog with `[USER]`
/// first), `OK LOGIN: Client "HOST"`, and PAM lines (`authentication failure; … rhost=…`,
/// with or without the `pam_unix` name).
/// ProFTPD: `SERVER (NAME[ADDRESS]) - USER U (Login failed): …`, `USER U: no such user found
/// from …`, `SECURITY VIOLATION: root login attempted`, `Maximum login attempts (N) exceeded`,
/// `USER U: Login successful.`
enum FTP {
    private static let failLogin = Array("FAIL LOGIN: Client \"".utf8)
    private static let okLogin = Array("OK LOGIN: Client \"".utf8)
    private static let authFailure = Array("authentication failure;".utf8)
    private static let rhost = Array("rhost=".utf8)
    private static let user = Array("user=".utf8)

    static func vsftpd(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        if let at = message.find(failLogin) ?? message.find(okLogin) {
            let failed = message.find(failLogin) != nil
            let start = at + (failed ? failLogin.count : okLogin.count)
            let end = message.index(of: 0x22, from: start) ?? message.count
            let address = LogAddress(message.slice(start, end))
            // The user is the last `[…]` before the marker (`[pid N] [alice] FAIL LOGIN`).
            var user: String?
            let head = message.slice(0, at)
            if let close = head.findLast(Array("]".utf8)), let open = head.slice(0, close).findLast(Array("[".utf8)) {
                let name = head.slice(open + 1, close)
                if !name.starts(with: Array("pid ".utf8)) { user = name.text }
            }
            if failed {
                context.appendFailure(
                    from: address, user: user, method: "password", reason: "FTP login failed", into: &events)
            } else {
                events.append(context.auth(.authSuccess, from: address, user: user, method: "password"))
            }
            return
        }
        if message.contains(authFailure) {
            // `[pam_unix(vsftpd:auth): ]authentication failure; … ruser= rhost=H user=U`
            PAM.failure(message, context: context, into: &events)
        }
    }

    private static let noSuchUser = Array(": no such user found from ".utf8)
    private static let loginFailed = Array(" (Login failed)".utf8)
    private static let securityViolation = Array("SECURITY VIOLATION: ".utf8)
    private static let maximumAttempts = Array("Maximum login attempts".utf8)
    private static let loginSuccessful = Array(": Login successful".utf8)
    private static let userWord = Array("USER ".utf8)

    static func proftpd(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        // The client is in the first `(NAME[ADDRESS])`.
        guard let open = message.find(Array(" (".utf8)) ?? (message.first == 0x28 ? -1 : nil),
            let close = message.index(of: 0x29, from: open + 1)
        else { return }
        let client = message.slice(open + 2, close)
        var address: LogAddress?
        if let bracket = client.findLast(Array("[".utf8)), client.last == 0x5D {
            address = LogAddress(client.slice(bracket + 1, client.count - 1))
        }
        var rest = message.from(close + 1)
        if rest.starts(with: Array(": ".utf8)) || rest.starts(with: Array(" - ".utf8)) {
            rest = rest.from(rest.first == 0x3A ? 2 : 3)
        }
        rest = rest.trimmed
        var user: String?
        if rest.starts(with: userWord) {
            var end = rest.count
            for marker in [loginFailed, noSuchUser, loginSuccessful] {
                if let at = rest.find(marker) { end = min(end, at) }
            }
            user = rest.slice(userWord.count, end).text
        }
        if rest.contains(loginFailed) || rest.contains(noSuchUser) {
            let reason = rest.contains(noSuchUser) ? "invalid user" : "FTP login failed"
            context.appendFailure(
                from: address, user: user, method: "password", reason: reason, invalidUser: rest.contains(noSuchUser),
                into: &events)
        } else if rest.starts(with: securityViolation) {
            // `SECURITY VIOLATION: Root login attempted`: the name as the client sent it.
            let violation = rest.from(securityViolation.count)
            let name = violation.find(Array(" login attempted".utf8)).map { violation.slice(0, $0).text }
            context.appendFailure(
                from: address, user: name, method: "password", reason: "root login refused", into: &events)
        } else if rest.starts(with: maximumAttempts) {
            context.appendFailure(
                from: address, user: nil, reason: "maximum authentication attempts exceeded", into: &events)
        } else if rest.contains(loginSuccessful) {
            events.append(context.auth(.authSuccess, from: address, user: user, method: "password"))
        }
    }
}

/// vsftpd's lines, in syslog or in its own log.
enum Vsftpd: StatelessLogService {
    static let programs = ["vsftpd"]
    static let formats: [LogLine.Format: String] = [.vsftpd: "vsftpd"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        FTP.vsftpd(line.message, context: context, into: &events)
    }
}

/// ProFTPD's lines.
enum ProFTPD: StatelessLogService {
    static let programs = ["proftpd"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        FTP.proftpd(line.message, context: context, into: &events)
    }
}
