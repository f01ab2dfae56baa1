#!/usr/bin/env python3
"""Writes the log fixtures of VigilLogsTests (deterministic: CI checks the committed files are
exactly what this script makes).

    python3 Tests/VigilLogsTests/Fixtures/make-fixtures.py

Every line is in the format the named daemon writes (Debian 12, RHEL 9, OpenSSH 9.8/10.0,
sudo 1.9, shadow-utils 4.13, journalctl -o json, nginx and Apache combined logs); the tests
assert the events line by line.
"""

import gzip
import io
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))


def write(name, lines):
    with open(os.path.join(HERE, name), "w", encoding="utf-8", newline="\n") as out:
        out.write("\n".join(lines) + "\n")


def write_gzip(name, lines, cut=None):
    """A gzip file with a fixed header time (mtime 0) so the bytes are reproducible."""
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0) as out:
        out.write(("\n".join(lines) + "\n").encode())
    data = raw.getvalue()
    if cut is not None:
        data = data[:cut]
    with open(os.path.join(HERE, name), "wb") as out:
        out.write(data)


# Debian's auth.log, year-less syslog (RFC 3164) times.
AUTH_LOG = [
    "Nov 23 08:00:01 web1 sshd[1001]: Connection from 203.0.113.7 port 51000 on 10.0.0.2 port 22 rdomain \"\"",
    "Nov 23 08:00:02 web1 sshd[1001]: Failed password for root from 203.0.113.7 port 51000 ssh2",
    "Nov 23 08:00:03 web1 sshd-session[1002]: Invalid user oracle from 203.0.113.8 port 51002",
    "Nov 23 08:00:04 web1 sshd-auth[1003]: Failed password for invalid user admin from 2001:db8::66 port 51003 ssh2",
    "Nov 23 08:00:05 web1 sshd[1004]: Accepted publickey for alice from 10.0.0.5 port 51004 ssh2: ED25519 SHA256:Qm9vaw",
    "Nov 23 08:00:06 web1 sshd[1005]: Accepted password for bob from 10.0.0.6 port 51005 ssh2",
    "Nov 23 08:00:07 web1 sshd[1006]: Failed keyboard-interactive/pam for carol from 198.51.100.3 port 51006 ssh2",
    "Nov 23 08:00:08 web1 sshd[1007]: error: maximum authentication attempts exceeded for root from 198.51.100.4 port 51007 ssh2 [preauth]",
    "Nov 23 08:00:09 web1 sshd[1008]: Connection closed by authenticating user dave 198.51.100.5 port 51008 [preauth]",
    "Nov 23 08:00:10 web1 sshd[1009]: Failed password for invalid user Winter2025! from 192.0.2.44 port 51009 ssh2",
    "Nov 23 08:00:11 web1 sshd[1010]: message repeated 3 times: [ Failed password for root from 203.0.113.10 port 51010 ssh2]",
    "Nov 23 08:00:12 web1 sshd[1011]: pam_unix(sshd:session): session opened for user alice(uid=1000) by alice(uid=0)",
    "Nov 23 08:01:00 web1 sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/usr/bin/apt-get update",
    "Nov 23 08:01:01 web1 sudo:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/bin/bash",
    "Nov 23 08:01:02 web1 sudo:    carol : 3 incorrect password attempts ; TTY=pts/2 ; PWD=/home/carol ; USER=root ; COMMAND=/usr/bin/su",
    "Nov 23 08:01:03 web1 sudo: pam_unix(sudo:auth): authentication failure; logname=carol uid=1002 euid=0 tty=/dev/pts/2 ruser=carol rhost=  user=carol",
    "Nov 23 08:01:04 web1 su[2001]: (to root) alice on pts/0",
    "Nov 23 08:01:05 web1 su[2002]: FAILED SU (to root) mallory on pts/3",
    "Nov 23 08:01:06 web1 login[2003]: FAILED LOGIN (1) on '/dev/tty1' FOR 'root', Authentication failure",
    "Nov 23 08:02:00 web1 useradd[3001]: new user: name=backup2, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0",
    "Nov 23 08:02:01 web1 usermod[3002]: add 'eve' to group 'sudo'",
    "Nov 23 08:02:02 web1 usermod[3002]: add 'eve' to shadow group 'sudo'",
    "Nov 23 08:02:03 web1 userdel[3003]: delete user 'olduser'",
    "Nov 23 08:02:04 web1 groupadd[3004]: new group: name=ops, GID=1005",
    "Nov 23 08:02:05 web1 passwd[3005]: pam_unix(passwd:chauthtok): password changed for eve",
    "Nov 23 08:02:06 web1 gpasswd[3006]: user frank added by root to group wheel",
    "Nov 23 08:03:00 web1 CRON[4001]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)",
    "Nov 23 08:03:01 web1 dovecot: imap-login: Login: user=<alice>, method=PLAIN, rip=10.0.0.5, lip=10.0.0.2, mpid=5001, TLS",
    "Nov 23 08:03:02 web1 postfix/submission/smtpd[5002]: warning: unknown[192.0.2.50]: SASL LOGIN authentication failed: UGFzc3dvcmQ6",
    "Nov 23 08:03:03 web1 vsftpd[5003]: [ftpuser] FAIL LOGIN: Client \"::ffff:192.0.2.51\"",
    "Nov 23 08:03:04 web1 proftpd[5004]: web1 (scan.example.net[192.0.2.52]): USER root (Login failed): Incorrect password.",
    "Nov 23 08:03:05 web1 dropbear[5005]: Bad password attempt for 'root' from 192.0.2.53:40000",
    "Nov 23 08:03:06 web1 xrdp-sesman[5006]: [INFO ] AUTHFAIL: user=administrator ip=::ffff:192.0.2.54 time=1763884986",
]

# The day before, rotated; and two days before, rotated and compressed.
AUTH_LOG_1 = [
    "Nov 22 23:59:58 web1 sshd[900]: Failed password for root from 203.0.113.1 port 50001 ssh2",
]
AUTH_LOG_2_GZ = [
    "Nov 21 12:00:00 web1 sshd[800]: Failed password for root from 203.0.113.2 port 50002 ssh2",
]

# A log written across New Year: read with a reference time in January, the December lines
# belong to the year before.
NEW_YEAR = [
    "Dec 31 23:59:59 web1 sshd[10]: Failed password for root from 203.0.113.20 port 50020 ssh2",
    "Jan  1 00:00:01 web1 sshd[11]: Failed password for root from 203.0.113.21 port 50021 ssh2",
]

# RHEL's /var/log/secure with rsyslog's high-precision format (RFC 3339, offsets and fractions).
SECURE = [
    "2025-03-09T01:59:59.500000-05:00 rhel9 sshd[7001]: Failed password for root from 198.51.100.20 port 52001 ssh2",
    "2025-03-09T03:00:00.000001+00:00 rhel9 sshd[7002]: Failed password for root from 198.51.100.21 port 52002 ssh2",
    "<38>1 2025-03-09T10:00:00.25Z rhel9 sshd 7003 - - Failed password for invalid user test from 198.51.100.22 port 52003 ssh2",
]


def journal_entry(realtime, identifier, pid, message, host="db1"):
    entry = {
        "__REALTIME_TIMESTAMP": str(realtime), "_HOSTNAME": host, "SYSLOG_IDENTIFIER": identifier,
        "_PID": str(pid), "_SYSTEMD_UNIT": "ssh.service" if identifier.startswith("sshd") else identifier + ".service",
        "PRIORITY": "6",
    }
    entry["MESSAGE"] = message
    return json.dumps(entry, separators=(",", ":"))


JOURNAL = [
    journal_entry(1763884800000000, "sshd-session", 6001, "Failed password for root from 192.0.2.60 port 53000 ssh2"),
    journal_entry(1763884801000000, "sshd-session", 6002, "Accepted password for alice from 10.0.0.5 port 53001 ssh2"),
    # MESSAGE as an array of bytes: journald's form for text that is not valid UTF-8.
    journal_entry(
        1763884802000000, "sshd", 6003,
        list(b"Invalid user \xff\xfeuser from 192.0.2.61 port 53002")),
    journal_entry(1763884803000000, "sudo", 6004, "    dave : user NOT in sudoers ; TTY=pts/0 ; PWD=/home/dave ; USER=root ; COMMAND=/bin/sh"),
]

ACCESS_LOG = [
    '192.0.2.70 - - [23/Nov/2025:09:00:00 +0100] "GET / HTTP/1.1" 200 512 "-" "curl/8.5.0"',
    '192.0.2.71 - admin [23/Nov/2025:09:00:01 +0100] "GET /admin/ HTTP/1.1" 401 381 "-" "Mozilla/5.0"',
    '192.0.2.71 - admin [23/Nov/2025:09:00:02 +0100] "GET /admin/ HTTP/1.1" 200 1024 "-" "Mozilla/5.0"',
    '2001:db8::72 - - [23/Nov/2025:09:00:03 +0100] "POST /wp-login.php HTTP/1.1" 403 199',
]

# Every date layout of fail2ban's date detector that carries a year, each at 2005-01-23 12:00:00
# (UTC when read with --timezone UTC), and a TAI64N label and an epoch time.
DATES = [
    "2005-01-23T12:00:00Z h sshd[1]: Failed password for root from 192.0.2.1 port 1 ssh2",
    "2005-01-23 13:00:00,000 +0100 sshd[1]: Failed password for root from 192.0.2.2 port 1 ssh2",
    "2005/01/23 12:00:00 h sshd[1]: Failed password for root from 192.0.2.3 port 1 ssh2",
    "2005.01.23 12:00:00 h sshd[1]: Failed password for root from 192.0.2.4 port 1 ssh2",
    "20050123 120000 sshd[1]: Failed password for root from 192.0.2.5 port 1 ssh2",
    "20050123120000 sshd[1]: Failed password for root from 192.0.2.6 port 1 ssh2",
    "050123 12:00:00 sshd[1]: Failed password for root from 192.0.2.7 port 1 ssh2",
    "23/01/2005 12:00:00 sshd[1]: Failed password for root from 192.0.2.8 port 1 ssh2",
    "23-01-05 12:00:00 sshd[1]: Failed password for root from 192.0.2.9 port 1 ssh2",
    "01/23/2005:12:00:00 sshd[1]: Failed password for root from 192.0.2.10 port 1 ssh2",
    "23/Jan/2005:13:00:00 +0100 sshd[1]: Failed password for root from 192.0.2.11 port 1 ssh2",
    "23-Jan-2005 12:00:00 sshd[1]: Failed password for root from 192.0.2.12 port 1 ssh2",
    "Jan 23, 2005 12:00:00 PM sshd[1]: Failed password for root from 192.0.2.13 port 1 ssh2",
    "Jan 23 2005 12:00:00 h sshd[1]: Failed password for root from 192.0.2.14 port 1 ssh2",
    "Sun Jan 23 12:00:00 2005 h sshd[1]: Failed password for root from 192.0.2.15 port 1 ssh2",
    "Jan 23 12:00:00 h sshd[1]: Failed password for root from 192.0.2.16 port 1 ssh2",
    "<38>1 2005-01-23T12:00:00.000Z h sshd 1 - - Failed password for root from 192.0.2.17 port 1 ssh2",
    "@4000000041f391c000000000 sshd[1]: Failed password for root from 192.0.2.18 port 1 ssh2",
    "1106481600 sshd[1]: Failed password for root from 192.0.2.19 port 1 ssh2",
]

ERROR_LOG = [
    '2025/11/23 09:10:00 [error] 812#812: *1 user "admin" was not found in "/etc/nginx/.htpasswd", client: 192.0.2.80, server: intranet, request: "GET /admin HTTP/1.1", host: "intranet"',
    '[Sun Nov 23 09:10:01.123456 2025] [auth_basic:error] [pid 900:tid 140000] [client 192.0.2.81:40000] AH01617: user bob: authentication failure for "/private": Password Mismatch',
]


def main():
    write("auth.log", AUTH_LOG)
    write("auth.log.1", AUTH_LOG_1)
    write_gzip("auth.log.2.gz", AUTH_LOG_2_GZ)
    write("new-year.log", NEW_YEAR)
    write("secure", SECURE)
    write("journal.json", JOURNAL)
    write("access.log", ACCESS_LOG)
    write("error.log", ERROR_LOG)
    write("dates.log", DATES)
    # Bad input: binary junk, invalid UTF-8 and a 3 MB line between two good lines.
    with open(os.path.join(HERE, "junk.log"), "wb") as out:
        out.write(b"Nov 23 10:00:00 web1 sshd[1]: Failed password for root from 192.0.2.90 port 1 ssh2\n")
        out.write(bytes(range(256)) * 4 + b"\n")
        out.write(b"Nov 23 10:00:01 web1 sshd[2]: Failed password for \xc3\x28bad from 192.0.2.91 port 2 ssh2\n")
        out.write(b"A" * (3 * 1024 * 1024) + b"\n")
        out.write(b"Nov 23 10:00:02 web1 sshd[3]: Failed password for root from 192.0.2.92 port 3 ssh2\n")
    # A gzip cut in the middle of its member: the lines before the cut still count.
    many = ["Nov 23 11:%02d:%02d web1 sshd[%d]: Failed password for root from 192.0.2.%d port %d ssh2"
            % (i // 60, i % 60, 100 + i, 100 + i % 50, 40000 + i) for i in range(2000)]
    write_gzip("truncated.log.gz", many, cut=4000)
    print("wrote the log fixtures in", HERE)


if __name__ == "__main__":
    main()
