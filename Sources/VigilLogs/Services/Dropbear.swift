internal import VigilCore

/// Dropbear SSH: `Bad password attempt for 'USER' from HOST:PORT`, `Login attempt for
/// nonexistent user from HOST:PORT`, `Exit before auth (user 'U', N fails): Max auth tries
/// reached - user 'U' from HOST:PORT` (or `from <HOST:PORT>` after "auth"), successful
/// `Password auth succeeded for 'U' from HOST:PORT` and `Pubkey auth succeeded …`.
enum Dropbear {
    private static let badPassword = Array("bad password attempt for '".utf8)
    private static let nonexistent = Array("login attempt for nonexistent user".utf8)
    private static let exitBeforeAuth = Array("Exit before auth".utf8)
    private static let maxTries = Array("Max auth tries reached".utf8)
    private static let succeeded = Array(" auth succeeded for '".utf8)
    private static let from = Array(" from ".utf8)
    private static let fromAngle = Array(" from <".utf8)

    static func parse(_ raw: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        var message = raw
        // `[825] Jul 10 23:53:52 Bad password …`: Dropbear's own prefix inside syslog's.
        if message.first == 0x5B, let close = message.index(of: 0x5D) {
            message = message.from(close + 1).trimmed
            if message.count > 16, message[3] == 0x20, message[15] == 0x20 || message[14] == 0x20 {
                message = message.from(16).trimmed
            }
        }
        let lower = Array(message.text.lowercased().utf8)
        lower.withUnsafeBytes { lowered in
            if lowered.starts(with: badPassword) {
                let userEnd = message.index(of: 0x27, from: badPassword.count) ?? message.count
                let user = message.slice(badPassword.count, userEnd).text
                let (address, port) = endpoint(message, after: message.findLast(from))
                context.appendFailure(
                    from: address, port: port, user: user, method: "password", reason: "bad password", into: &events)
            } else if lowered.starts(with: nonexistent) {
                let (address, port) = endpoint(message, after: message.findLast(from))
                context.appendFailure(from: address, port: port, user: nil, reason: "invalid user", into: &events)
            } else if message.starts(with: exitBeforeAuth) && message.contains(maxTries) {
                let fromAt = message.find(fromAngle) ?? message.findLast(from)
                let (address, port) = endpoint(message, after: fromAt)
                var user: String?
                if let quote = message.find(Array("user '".utf8)), let end = message.index(of: 0x27, from: quote + 6) {
                    user = message.slice(quote + 6, end).text
                }
                context.appendFailure(
                    from: address, port: port, user: user, reason: "maximum authentication attempts exceeded",
                    into: &events)
            } else if let at = message.find(succeeded) {
                let userEnd = message.index(of: 0x27, from: at + succeeded.count) ?? message.count
                let user = message.slice(at + succeeded.count, userEnd).text
                let (address, port) = endpoint(message, after: message.findLast(from))
                let method = message.slice(0, at).text.lowercased() == "pubkey" ? "publickey" : "password"
                events.append(context.auth(.authSuccess, from: address, port: port, user: user, method: method))
            }
        }
    }

    /// `HOST:PORT` (or `<HOST:PORT>`, IPv6 with its last colon before the port) after ` from `.
    private static func endpoint(_ message: UnsafeRawBufferPointer, after fromAt: Int?) -> (LogAddress?, Int?) {
        guard let fromAt else { return (nil, nil) }
        var word = message.from(fromAt + 6).word(at: 0)
        if word.first == 0x3C { word = word.from(1) }
        if let close = word.index(of: 0x3E) { word = word.slice(0, close) }
        if word.last == 0x3A { word = word.slice(0, word.count - 1) }
        guard let colon = word.findLast(Array(":".utf8)), let port = word.from(colon + 1).integer else {
            return (LogAddress(word), nil)
        }
        return (LogAddress(word.slice(0, colon)), port)
    }
}

extension Dropbear: StatelessLogService {
    static let programs = ["dropbear"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        parse(line.message, context: context, into: &events)
    }
}
