internal import VigilCore

/// What sshd has said so far about one connection (one process id): lines such as "Too many
/// authentication failures" or "Read from socket failed" do not repeat the client's address.
struct SSHSession {
    var address: LogAddress?
    var users: [String] = []
    /// A failure was reported for this connection.
    var failed = false
    /// "Too many authentication failures" or "maximum authentication attempts" was reported.
    var exhausted = false
    /// A pre-authentication failure was seen without an address; the next close names it.
    var pending = false
    var accepted = false
}

/// The sessions of the sshd processes of one log, in a direct-mapped table of 4,096 slots by
/// process id: a lookup is an index, and a slot is reused by the next process that maps to it
/// (by then the older connection is long over: sshd writes a connection's lines within seconds).
struct SSHSessions {
    private var slots = [(pid: Int, session: SSHSession)?](repeating: nil, count: 4096)

    /// Runs `body` on the session of `pid` (a fresh one for a new process, or for no pid).
    mutating func with<Result>(_ pid: Int?, _ body: (inout SSHSession) -> Result) -> Result {
        guard let pid else {
            var scratch = SSHSession()
            return body(&scratch)
        }
        let index = pid & 4095
        if slots[index]?.pid != pid { slots[index] = (pid, SSHSession()) }
        return body(&slots[index]!.session)
    }
}

/// OpenSSH's sshd (`sshd`, `sshd-session` since 9.8, `sshd-auth` since 10.0): failed and
/// accepted logins by every method, invalid users, refusals by AllowUsers/DenyUsers, too many
/// attempts, pre-authentication disconnects and scans, PAM failures (counted once, see below).
enum SSHD {
    private static let failed = Array("Failed ".utf8)
    private static let accepted = Array("Accepted ".utf8)
    private static let forWord = Array(" for ".utf8)
    private static let invalidUser = Array("invalid user ".utf8)
    private static let from = Array(" from ".utf8)
    private static let fromUpper = Array(" FROM ".utf8)
    private static let port = Array(" port ".utf8)
    private static let preauth = Array("[preauth]".utf8)
    private static let solarisTag = Array("[ID ".utf8)
    private static let errorPrefix = Array("error: ".utf8)
    private static let kernelPrefix = Array("kernel:".utf8)
    private static let fatalPrefix = Array("fatal: ".utf8)
    private static let invalidUserStart = Array("Invalid user ".utf8)
    private static let illegalUserStart = Array("Illegal user ".utf8)
    private static let userStart = Array("User ".utf8)
    private static let notAllowed = Array(" not allowed because ".utf8)
    private static let rootRefused = Array("ROOT LOGIN REFUSED FROM ".utf8)
    private static let refusedConnect = Array("refused connect from ".utf8)
    private static let pamFailure = Array("PAM: ".utf8)
    private static let maxAttempts = Array("maximum authentication attempts exceeded for ".utf8)
    private static let tooMany = Array("Too many authentication failures".utf8)
    private static let disconnecting = Array("Disconnecting".utf8)
    private static let changeOfUser = Array("Change of username or service not allowed".utf8)
    private static let connectionClosed = Array("Connection closed by ".utf8)
    private static let connectionReset = Array("Connection reset by ".utf8)
    private static let disconnectedFrom = Array("Disconnected from ".utf8)
    private static let receivedDisconnect = Array("Received disconnect from ".utf8)
    private static let noIdentification = Array("Did not receive identification string from ".utf8)
    private static let badProtocol = Array("Bad protocol version identification".utf8)
    private static let unableToNegotiate = Array("Unable to negotiate".utf8)
    private static let noMatching = Array("no matching ".utf8)
    private static let timeout = Array("Timeout before authentication for ".utf8)
    private static let dispatchFatal = Array("ssh_dispatch_run_fatal: Connection from ".utf8)
    private static let bannerExchange = Array("banner exchange: Connection from ".utf8)
    private static let kex = Array("kex_exchange_identification: ".utf8)
    private static let readFailed = Array("Read from socket failed".utf8)
    private static let connectionFrom = Array("Connection from ".utf8)
    private static let serverInfo = Array("SSH: Server;".utf8)
    private static let remote = Array("Remote: ".utf8)
    private static let pamUnix = Array("pam_unix(".utf8)
    private static let oldPam = Array("(pam_unix) authentication failure".utf8)
    private static let authFailure = Array("authentication failure;".utf8)
    private static let authenticatingUser = Array("authenticating user ".utf8)
    private static let userWord = Array("user ".utf8)
    private static let via = Array(" via ".utf8)
    private static let authFail = Array("Auth fail".utf8)
    private static let noAuthMethods = Array("authentication methods".utf8)
    private static let postponed = Array("Postponed ".utf8)

    static func parse(
        _ raw: UnsafeRawBufferPointer, context: LineContext, sessions: inout SSHSessions, into events: inout [Event]
    ) {
        sessions.with(context.line.pid) { session in
            parse(raw, context: context, session: &session, into: &events)
        }
    }

    private static func parse(
        _ raw: UnsafeRawBufferPointer, context: LineContext, session: inout SSHSession, into events: inout [Event]
    ) {
        var message = raw
        if message.starts(with: solarisTag), let close = message.index(of: 0x5D) {
            message = message.from(close + 1).trimmed  // Solaris: `[ID 800047 auth.info] `
        }
        if message.starts(with: kernelPrefix), let close = message.index(of: 0x5D) {
            // A kernel timestamp injected by the journal: `kernel:[  970.699396]: Failed …`
            message = message.from(close + 1)
            if message.first == 0x3A { message = message.from(1) }
            message = message.trimmed
        }
        if message.starts(with: errorPrefix) { message = message.from(errorPrefix.count) }
        if message.starts(with: fatalPrefix) { message = message.from(fatalPrefix.count) }
        let isPreauth = message.ends(with: preauth)

        func fail(
            _ address: LogAddress?, port: Int? = nil, user: String? = nil, method: String? = nil, reason: String,
            invalid: Bool = false
        ) {
            guard let address = address ?? session.address else {
                session.pending = true
                return
            }
            session.address = address
            session.failed = true
            context.appendFailure(
                from: address, port: port, user: user, method: method, reason: reason, invalidUser: invalid,
                into: &events)
        }

        switch message.first {
        case 0x46 where message.starts(with: failed):  // Failed METHOD for [invalid user] USER from HOST …
            guard let forAt = message.find(forWord) else { return }
            let method = message.slice(failed.count, forAt).text
            var userStart = forAt + forWord.count
            let invalid = message.starts(with: invalidUser, at: userStart)
            if invalid { userStart += invalidUser.count }
            guard let (address, port, fromAt) = clientAfterFrom(message, from: userStart - 1) else { return }
            var user = message.slice(userStart, fromAt).text
            if user == "<invalid username>" { user = "" }
            rememberUser(user, in: &session)
            if method == "publickey" && !invalid {
                // A client offers its keys one by one: a refused key is not a failed login.
                session.address = address
                return
            }
            fail(
                address, port: port, user: user, method: method, reason: invalid ? "invalid user" : "failed",
                invalid: invalid)
        case 0x41 where message.starts(with: accepted):  // Accepted METHOD for USER from HOST port N
            guard let forAt = message.find(forWord) else { return }
            let method = message.slice(accepted.count, forAt).text
            guard let (address, port, fromAt) = clientAfterFrom(message, from: forAt + forWord.count - 1) else {
                return
            }
            let user = message.slice(forAt + forWord.count, fromAt).text
            session.address = address
            session.accepted = true
            events.append(context.auth(.authSuccess, from: address, port: port, user: user, method: method))
        case 0x49 where message.starts(with: invalidUserStart) || message.starts(with: illegalUserStart):
            let start = invalidUserStart.count
            guard let fromAt = message.findLast(from), let (address, port) = client(message.from(fromAt + from.count))
            else { return }
            let user = message.slice(start, fromAt).text
            rememberUser(user, in: &session)
            fail(address, port: port, user: user, reason: "invalid user", invalid: true)
        case 0x55 where message.starts(with: userStart) && message.contains(notAllowed):
            guard let fromAt = message.find(from), let reasonAt = message.find(notAllowed) else { return }
            let user = message.slice(userStart.count, fromAt).text
            let address = LogAddress(message.slice(fromAt + from.count, reasonAt))
            fail(address, user: user, reason: "not allowed because " + message.from(reasonAt + notAllowed.count).text)
        case 0x52 where message.starts(with: rootRefused):
            guard let (address, port) = client(message.from(rootRefused.count)) else { return }
            fail(address, port: port, user: "root", reason: "root login refused")
        case 0x72 where message.starts(with: refusedConnect):
            // TCP wrappers: `refused connect from NAME (ADDRESS)`
            guard let open = message.findLast(Array(" (".utf8)), message.last == 0x29 else { return }
            fail(LogAddress(message.slice(open + 2, message.count - 1)), reason: "refused by TCP wrappers")
        case 0x50 where message.starts(with: pamFailure):
            // `PAM: Authentication failure for USER from HOST`, `PAM: authentication error for …`,
            // `PAM: User not known to the underlying authentication module for illegal user U from H`
            guard let fromAt = message.findLast(from), let forAt = message.find(forWord) else { return }
            var hostEnd = message.count
            if let viaAt = message.find(via, from: fromAt) { hostEnd = viaAt }
            var user = message.slice(forAt + forWord.count, fromAt)
            var invalid = false
            if user.starts(with: Array("illegal user ".utf8)) {
                user = user.from(13)
                invalid = true
            }
            let address = LogAddress(message.slice(fromAt + from.count, hostEnd).word(at: 0))
            fail(
                address, user: user.text, reason: "PAM: " + message.slice(pamFailure.count, forAt).text,
                invalid: invalid)
        case 0x6D where message.starts(with: maxAttempts):
            var userStart = maxAttempts.count
            let invalid = message.starts(with: invalidUser, at: userStart)
            if invalid { userStart += invalidUser.count }
            guard let (address, port, fromAt) = clientAfterFrom(message, from: userStart - 1) else { return }
            let user = message.slice(userStart, fromAt).text
            session.exhausted = true
            fail(address, port: port, user: user, reason: "maximum authentication attempts exceeded", invalid: invalid)
        case 0x44 where message.starts(with: disconnecting):
            if message.contains(changeOfUser) {
                let (user, address, port) = userAndClient(message.from(disconnecting.count + 1))
                fail(address, port: port, user: user, reason: "change of user name or service")
            } else if message.contains(tooMany) {
                guard !session.exhausted else { return }
                var user: String?
                if let forAt = message.find(forWord) {
                    user = message.from(forAt + forWord.count).word(at: 0).text
                }
                let (named, address, port) = userAndClient(message.from(disconnecting.count + 1))
                session.exhausted = address != nil || session.address != nil
                fail(address, port: port, user: named ?? user, reason: "too many authentication failures")
            }
        case 0x44 where message.starts(with: disconnectedFrom):
            let (user, address, port) = userAndClient(message.from(disconnectedFrom.count))
            guard isPreauth, !session.accepted else { return }
            // After a failure already counted, leaving is the same attempt ending.
            guard user == nil || !session.failed else { return }
            fail(address, port: port, user: user, reason: "disconnected before authentication")
        case 0x43 where message.starts(with: connectionClosed) || message.starts(with: connectionReset):
            let prefix = message.starts(with: connectionClosed) ? connectionClosed.count : connectionReset.count
            let (user, address, port) = userAndClient(message.from(prefix))
            guard !session.accepted else { return }
            guard isPreauth || session.pending else { return }
            session.pending = false
            fail(address, port: port, user: user, reason: "connection closed before authentication")
        case 0x52 where message.starts(with: receivedDisconnect):
            let rest = message.from(receivedDisconnect.count)
            var end = rest.index(of: 0x20) ?? rest.count
            if let colon = rest.index(of: 0x3A), colon < end, !LogAddress.isIPv6(rest.slice(0, end)) { end = colon }
            guard isPreauth || message.contains(authFail) || message.contains(noAuthMethods) else { return }
            var portNumber: Int?
            if rest.starts(with: Self.port, at: end) {
                let digits = rest.from(end + 6).prefix(while: { $0 >= 0x30 && $0 <= 0x39 })
                if digits.count <= 5 { portNumber = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) } }
            }
            fail(LogAddress(rest.slice(0, end)), port: portNumber, reason: "disconnected before authentication")
        case 0x44 where message.starts(with: noIdentification):
            guard let (address, port) = client(message.from(noIdentification.count)) else { return }
            fail(address, port: port, reason: "no identification string (scan)")
        case 0x42 where message.starts(with: badProtocol):
            guard let fromAt = message.findLast(from), let (address, port) = client(message.from(fromAt + from.count))
            else { return }
            fail(address, port: port, reason: "bad protocol version (scan)")
        case 0x55 where message.starts(with: unableToNegotiate):
            if let withAt = message.find(Array(" with ".utf8)), let (address, port) = client(message.from(withAt + 6)) {
                fail(address, port: port, reason: "no common algorithm")
            } else {
                fail(nil, reason: "no common algorithm")
            }
        case 0x6E where message.starts(with: noMatching):
            fail(nil, reason: "no common algorithm")
        case 0x54 where message.starts(with: timeout):
            var rest = message.from(timeout.count)
            if rest.starts(with: Array("connection from ".utf8)) { rest = rest.from(16) }
            guard let (address, port) = client(rest) else { return }
            fail(address, port: port, reason: "timeout before authentication")
        case 0x73 where message.starts(with: dispatchFatal):
            guard let (address, port) = client(message.from(dispatchFatal.count)) else { return }
            fail(address, port: port, reason: "protocol error before authentication")
        case 0x62 where message.starts(with: bannerExchange):
            guard let (address, port) = client(message.from(bannerExchange.count)) else { return }
            fail(address, port: port, reason: "invalid banner (scan)")
        case 0x6B where message.starts(with: kex):
            // Before authentication; the address comes from the connection's first line.
            let rest = message.from(kex.count)
            guard !rest.starts(with: Array("banner line too long".utf8)) || session.address != nil else {
                session.pending = true
                return
            }
            fail(nil, reason: "key exchange failed (scan)")
        case 0x52 where message.starts(with: readFailed):
            guard isPreauth else { return }
            fail(nil, reason: "connection reset before authentication")
        case 0x43 where message.starts(with: connectionFrom):
            // A new connection: its process starts afresh.
            session = SSHSession()
            session.address = client(message.from(connectionFrom.count))?.address
        case 0x53 where message.starts(with: serverInfo):
            // `SSH: Server;Ltype: Version;Remote: 127.0.0.1-1780;…` (a patched sshd's log)
            guard let at = message.find(remote) else { return }
            let value = message.from(at + remote.count)
            let end = value.index(of: 0x3B) ?? value.count
            let hostEnd = value.slice(0, end).findLast(Array("-".utf8)) ?? end
            if let address = LogAddress(value.slice(0, hostEnd)) { session.address = address }
        default:
            if message.contains(oldPam) {
                // Old Linux-PAM wrote its failures itself: each is one.
                PAM.parse(message, context: context, program: context.line.program, into: &events)
            } else if message.starts(with: pamUnix) && message.contains(authFailure) {
                pam(message, context: context, session: &session, into: &events)
            }
        }
    }

    /// pam_unix under sshd: sshd logs the same attempt itself ("Failed password"), so the PAM
    /// line counts only when it shows something sshd's does not: a second user name tried on the
    /// same connection (a scan across accounts).
    private static func pam(
        _ message: UnsafeRawBufferPointer, context: LineContext, session: inout SSHSession,
        into events: inout [Event]
    ) {
        let user =
            (message.value(of: Array("user=".utf8)).map(\.text)).flatMap { $0.isEmpty ? nil : $0 }
            ?? message.value(of: Array("ruser=".utf8)).map(\.text).flatMap { $0.isEmpty ? nil : $0 }
        let address = message.value(of: Array("rhost=".utf8)).flatMap { LogAddress($0) }
        if let address { session.address = address }
        guard let user else { return }
        let known = session.users
        rememberUser(user, in: &session)
        guard !known.isEmpty, !known.contains(user), let address = address ?? session.address else { return }
        session.failed = true
        context.appendFailure(
            from: address, user: user, method: "password", reason: "another user tried on the same connection",
            into: &events)
    }

    private static func rememberUser(_ user: String, in session: inout SSHSession) {
        if !session.users.contains(user) && session.users.count < 16 { session.users.append(user) }
    }

    /// `HOST[ port N]…`: the address and port at the start of `bytes`.
    static func client(_ bytes: UnsafeRawBufferPointer) -> (address: LogAddress, port: Int?)? {
        var end = 0
        while end < bytes.count, bytes[end] != 0x20, bytes[end] != 0x2C, bytes[end] != 0x29 { end += 1 }
        var hostBytes = bytes.slice(0, end)
        if hostBytes.last == 0x3A && !LogAddress.isIPv6(hostBytes) {
            hostBytes = hostBytes.slice(0, hostBytes.count - 1)
        }
        guard let address = LogAddress(hostBytes) else { return nil }
        var port: Int?
        if bytes.starts(with: Self.port, at: end) {
            var digits = end + Self.port.count
            var value = 0
            while digits < bytes.count, bytes[digits] >= 0x30, bytes[digits] <= 0x39 {
                if value <= 65_535 { value = value * 10 + Int(bytes[digits] - 0x30) }
                digits += 1
            }
            if digits > end + Self.port.count && value <= 65_535 { port = value }
        }
        return (address, port)
    }

    /// The first ` from HOST` after `start` whose host is followed by the end of the line, a
    /// colon, `[preauth]`, or ` port N [sshN]` and then one of those: a user name may itself hold
    /// " from " (an attacker's injection), the real client comes where sshd puts it.
    static func clientAfterFrom(_ message: UnsafeRawBufferPointer, from start: Int) -> (LogAddress, Int?, Int)? {
        var search = max(start, 0)
        var fallback: (LogAddress, Int?, Int)?
        while let fromAt = message.find(from, from: search) {
            search = fromAt + 1
            let rest = message.from(fromAt + from.count)
            guard let (address, port) = client(rest) else { continue }
            if fallback == nil { fallback = (address, port, fromAt) }
            var index = rest.index(of: 0x20) ?? rest.count
            if port != nil, let next = rest.index(of: 0x20, from: index + 6) {
                index = next
            } else if port != nil {
                index = rest.count
            }
            var tail = rest.from(index).trimmed
            if tail.starts(with: Array("ssh".utf8)) {
                let word = tail.word(at: 0)
                tail = tail.from(word.count).trimmed
                if word.last == 0x3A { return (address, port, fromAt) }
            }
            if tail.isEmpty || tail.first == 0x3A || tail.starts(with: preauth) { return (address, port, fromAt) }
        }
        return fallback
    }

    /// `[authenticating user USER |invalid user USER |user USER ]HOST[ port N]…`: the user name
    /// is everything before the last word that is an address followed by ` port`.
    static func userAndClient(_ bytes: UnsafeRawBufferPointer) -> (String?, LogAddress?, Int?) {
        var rest = bytes
        var hasUser = false
        for prefix in [authenticatingUser, invalidUser, userWord] where rest.starts(with: prefix) {
            rest = rest.from(prefix.count)
            hasUser = true
            break
        }
        guard hasUser else {
            let found = client(rest)
            return (nil, found?.address, found?.port)
        }
        // The client is the word before ` port N`; when there is none, the last address word.
        if let portAt = rest.findLast(Self.port) {
            let before = rest.slice(0, portAt)
            let space = before.findLast(Array(" ".utf8))
            let hostStart = space.map { $0 + 1 } ?? 0
            let found = client(rest.from(hostStart))
            let user = space.map { before.slice(0, $0).text } ?? ""
            return (user, found?.address, found?.port)
        }
        let words = rest.text.split(separator: " ")
        guard let last = words.last else { return ("", nil, nil) }
        let address = last.utf8.withContiguousStorageIfAvailable { LogAddress(UnsafeRawBufferPointer($0)) } ?? nil
        return (words.dropLast().joined(separator: " "), address, nil)
    }
}

extension SSHD: LogService {
    static let programs = ["sshd", "sshd-session", "sshd-auth"]
    /// sshd weighs its own PAM lines (it logs the attempt itself).
    static let pamMayFollow = false

    static func makeState() -> SSHSessions { SSHSessions() }

    static func read(_ line: LogLine, context: LineContext, state: inout SSHSessions, into events: inout [Event]) {
        parse(line.message, context: context, sessions: &state, into: &events)
    }
}
