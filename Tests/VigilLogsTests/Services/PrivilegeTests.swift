import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

@Suite("Log services: sudo, su, login")
struct PrivilegeTests {
    @Test func sudo() throws {
        let lines = events(
            of:
                "Nov 23 08:01:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt-get update",
            "Nov 23 08:01:01 web1 sudo:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
            "Nov 23 08:01:02 web1 sudo:    carol : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/home/carol ; USER=root ; COMMAND=/usr/bin/su",
            "Nov 23 08:01:03 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=carol uid=1002 euid=0 tty=/dev/pts/2 ruser=carol rhost=  user=carol"
        )
        let use = only(lines[0])
        #expect(use?.kind == .privilegeUse)
        #expect(field(use, .userName) == "alice")
        #expect(field(use, .userTarget) == "root")
        #expect(field(use, .processCommandLine) == "/usr/bin/apt-get update")
        #expect(field(use, .processWorkingDirectory) == "/home/alice")
        #expect(field(use, .tty) == "pts/0")
        let notInSudoers = only(lines[1])
        #expect(notInSudoers?.kind == .privilegeDenied)
        #expect(field(notInSudoers, .eventAction) == "sudo-not-allowed")
        #expect(field(notInSudoers, .processCommandLine) == "/bin/bash")
        let incorrect = only(lines[2])
        #expect(incorrect?.kind == .privilegeDenied)
        #expect(field(incorrect, .eventReason) == "3 incorrect password attempts")
        // sudo's own password failure, through PAM.
        let pam = only(lines[3])
        #expect(pam?.kind == .authFailure)
        #expect(field(pam, .userName) == "carol")
        #expect(field(pam, .srcIP) == nil)
    }

    @Test func suAndLogin() throws {
        let lines = events(
            of: "Nov 23 08:01:04 web1 su[2001]: (to root) alice on pts/0",
            "Nov 23 08:01:05 web1 su[2002]: FAILED SU (to root) mallory on pts/3",
            "Nov 23 08:01:06 web1 login[2003]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure"
        )
        #expect(only(lines[0])?.kind == .privilegeUse)
        let failedSu = only(lines[1])
        #expect(failedSu?.kind == .privilegeDenied)
        #expect(field(failedSu, .userName) == "mallory")
        let console = only(lines[2])
        #expect(console?.kind == .authFailure)
        #expect(field(console, .userName) == "root")
        #expect(field(console, .tty) == "/dev/tty1")
    }
}
