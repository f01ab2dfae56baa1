internal import Foundation
internal import VigilCore

/// sudo, su, and console/graphical logins.
///
/// sudo: `alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id` is a command
/// run (`privilege.use`); `… : user NOT in sudoers ; …` and `… : N incorrect password attempts ;
/// …` are refusals (`privilege.denied`); `pam_unix(sudo:auth): authentication failure` is a
/// failed password (`auth.failure`, through PAM).
/// su: `(to root) alice on pts/0` or `Successful su for root by alice` (use), `FAILED su for
/// root by alice` / `FAILED SU (to root) alice on pts/0` (denied).
/// login: `FAILED LOGIN (N) on '/dev/tty1' FOR 'root', Authentication failure`, `ROOT LOGIN ON tty1`.
enum Privilege {
    private static let separator = Array(" : ".utf8)
    private static let notInSudoers = Array("NOT in sudoers".utf8)
    private static let incorrect = Array("incorrect password attempt".utf8)
    private static let command = Array("COMMAND=".utf8)

    static func sudo(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        guard let at = message.find(separator) else { return }
        let rest = message.from(at + separator.count)
        let denied =
            rest.contains(notInSudoers) || rest.contains(incorrect)
            || rest.starts(with: Array("command not allowed".utf8))
        guard denied || rest.contains(command) else { return }
        let user = message.slice(0, at).trimmed.text
        // `TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/id` (COMMAND last: it may hold ` ; `)
        // Values kept as slices of the line where long (a command line, a working directory).
        var fields: [(String, FieldValue)] = []
        var start = 0
        while start < rest.count {
            let end =
                rest.starts(with: command, at: start)
                ? rest.count : (rest.find(listSeparator, from: start) ?? rest.count)
            let item = rest.slice(start, end).trimmed
            if let equals = item.index(of: 0x3D) {
                fields.append((item.slice(0, equals).text, context.value(item.from(equals + 1))))
            }
            start = end + listSeparator.count
        }
        func field(_ name: String) -> FieldValue? { fields.first { $0.0 == name }?.1 }
        var event = context.event(denied ? .privilegeDenied : .privilegeUse)
        event.set(.userName, user)
        event.set(.userTarget, field("USER") ?? .string("root"))
        event.set(.processCommandLine, field("COMMAND"))
        event.set(.processWorkingDirectory, field("PWD"))
        event.set(.tty, field("TTY"))
        if denied {
            event.set(.eventReason, rest.slice(0, rest.find(listSeparator) ?? rest.count).trimmed.text)
            event.set(.eventAction, rest.contains(notInSudoers) ? "sudo-not-allowed" : "sudo-failed")
        } else {
            event.set(.eventAction, "sudo")
        }
        events.append(event)
    }

    private static let listSeparator = Array(" ; ".utf8)

    static func su(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        let text = message.text
        var kind: EventKind?
        var target: String?
        var user: String?
        if text.hasPrefix("(to ") || text.hasPrefix("FAILED SU (to ") {
            // `(to root) alice on pts/0` / `FAILED SU (to root) alice on pts/0`
            guard let open = text.range(of: "(to "),
                let close = text.range(of: ")", range: open.upperBound..<text.endIndex)
            else { return }
            target = String(text[open.upperBound..<close.lowerBound])
            user = text[close.upperBound...].split(separator: " ").first.map(String.init)
            kind = text.hasPrefix("FAILED") ? .privilegeDenied : .privilegeUse
        } else if text.hasPrefix("Successful su for ") || text.hasPrefix("FAILED su for ") {
            let words = text.split(separator: " ")
            guard words.count >= 6 else { return }
            target = String(words[3])
            user = String(words[5])
            kind = text.hasPrefix("FAILED") ? .privilegeDenied : .privilegeUse
        } else if text.hasPrefix("pam_unix(su") && text.contains("session opened for user ") {
            // `pam_unix(su-l:session): session opened for user root(uid=0) by alice(uid=1000)`
            guard let range = text.range(of: "session opened for user ") else { return }
            let rest = text[range.upperBound...]
            target = rest.split(separator: " ").first.map { String($0.prefix { $0 != "(" }) }
            if let by = rest.range(of: " by ") {
                user = rest[by.upperBound...].split(separator: " ").first.map { String($0.prefix { $0 != "(" }) }
            }
            kind = .privilegeUse
        }
        guard let kind else { return }
        var event = context.event(kind)
        event.set(.userName, user)
        event.set(.userTarget, target)
        event.set(.eventAction, kind == .privilegeUse ? "su" : "su-failed")
        events.append(event)
    }

    static func login(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        let text = message.text
        if text.hasPrefix("FAILED LOGIN") {
            // `FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure`
            let quoted = text.split(separator: "'")
            let user = quoted.count >= 4 ? String(quoted[3]) : nil
            var event = context.auth(
                .authFailure, from: nil, user: user, method: "password", reason: "console login failed")
            event.set(.tty, quoted.count >= 2 ? String(quoted[1]) : nil)
            events.append(event)
        } else if text.hasPrefix("ROOT LOGIN ON ") || text.hasPrefix("LOGIN ON ") {
            let words = text.split(separator: " ")
            var event = context.auth(
                .authSuccess, from: nil, user: text.hasPrefix("ROOT") ? "root" : words.last.map(String.init),
                method: "password")
            event.set(.tty, text.hasPrefix("ROOT") ? words.dropFirst(3).first.map(String.init) : nil)
            events.append(event)
        }
    }
}

/// sudo's lines.
enum Sudo: StatelessLogService {
    static let programs = ["sudo"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Privilege.sudo(line.message, context: context, into: &events)
    }
}

/// su's lines.
enum Su: StatelessLogService {
    static let programs = ["su"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Privilege.su(line.message, context: context, into: &events)
    }
}

/// Console and graphical logins.
enum Login: StatelessLogService {
    static let programs = ["login", "agetty", "systemd-logind", "gdm-password", "lightdm", "sddm"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        Privilege.login(line.message, context: context, into: &events)
    }
}
