import Foundation
import Testing
import VigilCore
import VigilTestSupport

@testable import VigilLogs

@Suite("Log services: mail, FTP, Dropbear, xrdp, cron")
struct OtherServicesTests {
    @Test func cronIsNoAuthentication() {
        #expect(
            events(
                of:
                    "Nov 23 08:03:00 web1 CRON[4001]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)"
            )[0].map(\.kind) == [.logLine])
    }

    @Test func dovecotLogin() {
        let dovecot = only(
            events(
                of:
                    "Nov 23 08:03:01 web1 dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=10.0.0.5, lip=10.0.0.2, mpid=5001, TLS"
            )[0])
        #expect(dovecot?.kind == .authSuccess)
        #expect(field(dovecot, .userName) == "alice")
    }

    @Test(arguments: [
        (
            "Nov 23 08:03:02 web1 postfix/submission/smtpd[5002]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
            "postfix", "192.0.2.50"
        ),
        (
            "Nov 23 08:03:03 web1 vsftpd[5003]: [ftpuser] FAIL LOGIN: Client \"::ffff:192.0.2.51\"", "vsftpd",
            "192.0.2.51"
        ),
        (
            "Nov 23 08:03:04 web1 proftpd[5004]: web1 (scan.example.net[192.0.2.52]): USER root (Login failed): Incorrect password.",
            "proftpd", "192.0.2.52"
        ),
        (
            "Nov 23 08:03:05 web1 dropbear[5005]: Bad password attempt for 'root' from 192.0.2.53:40000", "dropbear",
            "192.0.2.53"
        ),
        (
            "Nov 23 08:03:06 web1 xrdp-sesman[5006]: [INFO ] AUTHFAIL: user=administrator ip=::ffff:192.0.2.54 time=1763884986",
            "xrdp-sesman", "192.0.2.54"
        ),
    ])
    func failures(text: String, service: String, address: String) {
        let event = events(of: text)[0].first
        #expect(event?.kind == .authFailure)
        #expect(field(event, .service) == service)
        #expect(field(event, .srcIP) == address)
    }
}
