internal import Foundation
internal import VigilCore

/// shadow-utils account changes (`useradd`, `usermod`, `userdel`, `groupadd`, `gpasswd`,
/// `passwd`, `chpasswd`): each an `account.change` event with `event.action`, the account in
/// `user.target`, and for the risky ones the detail rules look for: a UID 0 account, a member
/// added to `sudo`, `wheel`, `adm` or `root`.
enum Accounts {
    static func parse(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        let text = message.text
        var action: String?
        var target: String?
        var group: String?
        var uid: String?
        var changer: String?
        func value(_ key: String) -> String? {
            guard let range = text.range(of: key + "=") else { return nil }
            let rest = text[range.upperBound...]
            return String(rest.prefix { $0 != "," && $0 != " " && $0 != ";" })
        }
        func quoted(after marker: String) -> String? {
            guard let range = text.range(of: marker) else { return nil }
            let rest = text[range.upperBound...]
            let parts = rest.split(separator: "'", maxSplits: 2, omittingEmptySubsequences: false)
            return parts.count >= 2 ? String(parts[1]) : nil
        }
        if text.hasPrefix("new user: ") {
            action = "user-added"
            target = value("name")
            uid = value("UID")
        } else if text.hasPrefix("new group: ") {
            action = "group-added"
            group = value("name")
        } else if text.hasPrefix("delete user ") || text.hasPrefix("delete user '") {
            action = "user-deleted"
            target = quoted(after: "delete user")
        } else if text.hasPrefix("add '") && (text.contains("' to group '") || text.contains("' to shadow group '")) {
            // useradd -G / usermod -aG: `add 'bob' to group 'sudo'`
            action = "group-member-added"
            let parts = text.split(separator: "'")
            target = parts.count > 1 ? String(parts[1]) : nil
            group = parts.count > 3 ? String(parts[3]) : nil
        } else if text.hasPrefix("user ") && text.contains(" added by ") && text.contains(" to group ") {
            // gpasswd: `user bob added by root to group sudo`
            action = "group-member-added"
            let words = text.split(separator: " ")
            target = words.count > 1 ? String(words[1]) : nil
            group = words.last.map(String.init)
        } else if text.hasPrefix("change user '") {
            action = "user-changed"
            target = quoted(after: "change user")
            if text.contains("UID") { uid = text.split(separator: "'").dropFirst(3).first.map(String.init) }
        } else if text.hasPrefix("password for '") || text.contains("password changed for ") {
            // shadow-utils' passwd: `password for 'bob' changed by 'root'` names who changed it.
            action = "password-changed"
            target =
                quoted(after: "password for")
                ?? text.components(separatedBy: "password changed for ").last?
                .split(separator: " ").first.map(String.init)
            changer = quoted(after: "changed by")
        } else if text.hasPrefix("pam_unix(passwd:chauthtok): password changed for ")
            || text.hasPrefix("pam_unix(chpasswd:chauthtok): password changed for ")
        {
            action = "password-changed"
            target = text.components(separatedBy: "password changed for ").last
        } else if text.hasPrefix("members of group ") || text.hasPrefix("group '") {
            action = "group-changed"
            group = quoted(after: "group") ?? text.split(separator: " ").dropFirst(3).first.map(String.init)
        }
        guard let action else { return }
        var event = context.event(.accountChange)
        event.set(.eventAction, action)
        event.set(.userTarget, target)
        event.set(.groupName, group)
        event.set(.userID, uid)
        event.set(.userName, changer)
        events.append(event)
    }
}

extension Accounts: StatelessLogService {
    static let programs = [
        "useradd", "usermod", "userdel", "groupadd", "groupmod", "groupdel", "gpasswd", "passwd", "chpasswd", "chage",
        "adduser", "deluser",
    ]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        parse(line.message, context: context, into: &events)
    }
}
