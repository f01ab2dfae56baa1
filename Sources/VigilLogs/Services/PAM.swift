internal import VigilCore

/// Linux-PAM's pam_unix for any service: `pam_unix(SERVICE:auth): authentication failure; …
/// ruser=… rhost=… user=…`, the old `(pam_unix) authentication failure; …`, and a program tag
/// such as `vsftpd(pam_unix)[pid]:` with the message after it.
enum PAM {
    private static let failure = Array("authentication failure;".utf8)
    private static let pamUnix = Array("pam_unix".utf8)
    private static let rhost = Array("rhost=".utf8)
    private static let user = Array("user=".utf8)
    private static let ruser = Array("ruser=".utf8)

    static func parse(
        _ message: UnsafeRawBufferPointer, context: LineContext, program: UnsafeRawBufferPointer,
        into events: inout [Event]
    ) {
        guard let failureAt = message.find(failure) else { return }
        guard message.slice(0, failureAt).contains(pamUnix) || program.contains(pamUnix) else { return }
        failure(message.from(failureAt), context: context, into: &events)
    }

    private static let ruserSpaced = Array(" ruser=".utf8)
    private static let rhostSpaced = Array(" rhost=".utf8)
    private static let userSpaced = Array(" user=".utf8)

    /// `… ruser=R rhost=H[ user=U]`, read as pam_unix writes it, and as an attacker cannot bend:
    /// R is one word when what follows it parses (` rhost=H`, then the end or ` user=` and the
    /// rest of the line as U); otherwise R runs to the last ` rhost=` that ends the line.
    static func failure(_ fields: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        let text = fields.trimmed
        var address: LogAddress?
        var userName: String?
        func tail(_ at: Int) -> (LogAddress?, String??) {
            let value = text.from(at + rhostSpaced.count).word(at: 0)
            let after = text.from(at + rhostSpaced.count + value.count)
            if after.trimmed.isEmpty { return (LogAddress(value), .some(nil)) }
            let spaces = after.prefix { $0 == 0x20 }.count
            if after.from(spaces - 1).starts(with: userSpaced) && spaces > 0 {
                return (LogAddress(value), .some(after.from(spaces - 1 + userSpaced.count).text))
            }
            return (LogAddress(value), nil)
        }
        if let ruserAt = text.find(ruserSpaced) {
            let ruser = text.from(ruserAt + ruserSpaced.count).word(at: 0)
            let next = ruserAt + ruserSpaced.count + ruser.count
            if text.starts(with: rhostSpaced, at: next), case (let host, .some(let user)) = tail(next) {
                address = host
                userName = user ?? (ruser.isEmpty ? nil : ruser.text)
            } else if let last = text.findLast(rhostSpaced), case (let host, .some(let user)) = tail(last) {
                address = host
                let between = text.slice(ruserAt + ruserSpaced.count, last).text
                userName = user ?? (between.isEmpty ? nil : between)
            }
        } else if let last = text.findLast(rhostSpaced), case (let host, .some(let user)) = tail(last) {
            address = host
            userName = user
        }
        if userName?.isEmpty == true { userName = nil }
        if address == nil {
            // A local attempt (sudo, su, a console): `rhost=` empty, the user named by `user=`.
            guard let user = text.value(of: Array("user=".utf8)).map(\.text), !user.isEmpty else { return }
            userName = userName ?? user
        }
        context.appendFailure(
            from: address, user: userName, method: "password", reason: "PAM authentication failure", into: &events)
    }

    /// The value of `key` (a whole word) in PAM's key=value list, empty values skipped.
    private static func value(_ fields: UnsafeRawBufferPointer, _ key: [UInt8]) -> String? {
        var search = 0
        while let at = fields.find(key, from: search) {
            search = at + 1
            guard at == 0 || fields[at - 1] == 0x20 else { continue }
            let value = fields.from(at + key.count).word(at: 0)
            if !value.isEmpty { return value.text }
        }
        return nil
    }
}

extension PAM: StatelessLogService {
    /// PAM claims no program: it reads the lines the others leave (``LogServices/fallback``).
    static let programs: [String] = []

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        parse(line.message, context: context, program: line.program, into: &events)
    }
}
