internal import VigilCore

/// A log line split into what every format shares: when, which host, which program (and
/// process), and the message. The byte views point into the reader's buffer.
struct LogLine {
    var time: Timestamp?
    var host = UnsafeRawBufferPointer(start: nil, count: 0)
    /// The program tag as written (`sshd`, `postfix/smtpd`, `vsftpd(pam_unix)`, `auth-worker(304)`).
    var program = UnsafeRawBufferPointer(start: nil, count: 0)
    var pid: Int?
    /// The syslog facility, when the line says it (`<PRI>`, journald's `SYSLOG_FACILITY`).
    var facility: Int?
    var message: UnsafeRawBufferPointer
    var format: Format

    /// The header a line was written with.
    enum Format: String {
        case syslog, rfc5424, iso, journal, tai64n, apacheError = "apache-error", nginxError = "nginx-error"
        case xrdp, vsftpd, audit, access, plain
    }

    /// The program's name without process id, sub-name or path suffix: `postfix/smtpd` → `postfix`,
    /// `vsftpd(pam_unix)` → `vsftpd`, `auth-worker(304)` → `auth-worker`.
    var programBase: UnsafeRawBufferPointer {
        var end = program.count
        for (index, byte) in program.enumerated() where byte == 0x28 || byte == 0x2F || byte == 0x5B || byte == 0x3C {
            end = index
            break
        }
        return program.slice(0, end)
    }

    /// The line with the syslog tag at the start of `rest` (`prog[pid]:`) read into program and
    /// pid, and the message after it; `rest` whole as the message when it starts with none.
    mutating func takeTag(from rest: UnsafeRawBufferPointer) {
        message = rest
        let first = rest.word(at: 0)
        guard let tag = HeaderParser.tag(first) else { return }
        program = tag.program
        pid = tag.pid
        message = rest.from(first.count + 1)
    }
}
