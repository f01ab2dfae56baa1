import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

@Suite("Log service: shadow-utils account changes")
struct AccountsTests {
    @Test func accountChanges() throws {
        let changes = events(
            of:
                "Nov 23 08:02:00 web1 useradd[3001]: new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0",
            "Nov 23 08:02:01 web1 usermod[3002]: add 'eve' to group 'sudo'",
            "Nov 23 08:02:02 web1 usermod[3002]: add 'eve' to shadow group 'sudo'",
            "Nov 23 08:02:03 web1 userdel[3003]: delete user 'olduser'",
            "Nov 23 08:02:04 web1 groupadd[3004]: new group: name=ops, GID=1005",
            "Nov 23 08:02:05 web1 passwd[3005]: pam_unix(passwd:chauthtok): password changed for eve",
            "Nov 23 08:02:06 web1 gpasswd[3006]: user frank added by root to group wheel"
        ).joined().filter { $0.kind == .accountChange }
        #expect(
            changes.map { field($0, .eventAction) ?? "" } == [
                "user-added", "group-member-added", "group-member-added", "user-deleted", "group-added",
                "password-changed", "group-member-added",
            ])
        let uidZero = changes[0]
        #expect(field(uidZero, .userTarget) == "backup2")
        #expect(field(uidZero, .userID) == "0")
        #expect(field(changes[1], .groupName) == "sudo")
        #expect(field(changes[1], .userTarget) == "eve")
        #expect(field(changes[6], .groupName) == "wheel")
        #expect(field(changes[6], .userTarget) == "frank")
        #expect(field(changes[5], .userName) == nil)  // PAM's line does not say who
    }

    /// shadow-utils' own passwd line names both the account and who changed its password.
    @Test func passwordChangedBy() throws {
        let changes = events(
            of: "Nov 23 08:03:00 web1 passwd[3101]: password for 'bob' changed by 'root'",
            "Nov 23 08:03:01 web1 passwd[3102]: password for 'carol' changed by 'carol'"
        ).joined().filter { $0.kind == .accountChange }
        #expect(changes.map { field($0, .eventAction) } == ["password-changed", "password-changed"])
        #expect(changes.map { field($0, .userTarget) } == ["bob", "carol"])
        #expect(changes.map { field($0, .userName) } == ["root", "carol"])
    }
}
