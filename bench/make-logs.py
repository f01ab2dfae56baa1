#!/usr/bin/env python3
"""Writes a large, realistic auth.log for bench/logs.sh (deterministic).

    python3 bench/make-logs.py OUT [LINES] [SHAPE]     (default 2,000,000 lines, shape "bench")

The mix is a day of an Internet-facing Debian server: SSH brute force (failed passwords,
invalid users, preauth disconnects, too many failures), the administrators' own logins and
sessions, sudo, cron sessions, systemd-logind, postfix and dovecot, and kernel noise. Year-less
syslog times, one per line, increasing.

SHAPE "web": an access log in the combined format instead (request targets with queries,
referrers, browsers', crawlers' and scanners' user agents: the long text fields).

SHAPE "bench" (the figures of earlier issues): the brute force comes from 400 addresses trying
12 user names. SHAPE "internet": from 120,000 distinct addresses (a botnet: most try a few
times, some hundreds) trying 20,000 distinct user names, which is what makes correlation state
grow with the input when it keeps per-group copies of events.
"""

import itertools
import random
import sys


def main():
    out = sys.argv[1]
    total = int(sys.argv[2]) if len(sys.argv) > 2 else 2_000_000
    shape = sys.argv[3] if len(sys.argv) > 3 else "bench"
    if shape not in ("bench", "internet", "web"):
        sys.exit("make-logs.py: SHAPE is bench, internet or web")
    if shape == "web":
        write_web(out, total)
        return
    rng = random.Random(7)
    users = ["root", "admin", "test", "oracle", "postgres", "ubuntu", "user", "guest", "ftp", "git", "deploy", "pi"]
    if shape == "bench":
        attackers = ["%d.%d.%d.%d" % (rng.randrange(1, 224), rng.randrange(256), rng.randrange(256),
                                      rng.randrange(1, 255)) for _ in range(400)]
    else:
        # 120,000 distinct addresses; a Zipf-like weight, so a few hammer and most knock a few times.
        seen = set()
        while len(seen) < 120_000:
            seen.add("%d.%d.%d.%d" % (rng.randrange(1, 224), rng.randrange(256), rng.randrange(256),
                                      rng.randrange(1, 255)))
        attackers = sorted(seen)
        rng.shuffle(attackers)
        words = ["admin", "user", "test", "oracle", "web", "db", "backup", "dev", "git", "support", "sales",
                 "info", "mail", "ftp", "guest", "pi", "ubuntu", "deploy", "jenkins", "hadoop"]
        names = set(users)
        while len(names) < 20_000:
            names.add("%s%d" % (rng.choice(words), rng.randrange(100_000)))
        users = sorted(names)
    pick_attacker = (lambda: rng.choice(attackers)) if shape == "bench" else (
        lambda: attackers[min(int(rng.paretovariate(0.35)) - 1, len(attackers) - 1)]
        if rng.random() < 0.3 else rng.choice(attackers))
    admins = ["alice", "bob", "carol"]
    months = ["Nov"]
    second = 0
    pid = 10_000

    def stamp():
        day = 1 + second // 86_400
        rest = second % 86_400
        return "%s %2d %02d:%02d:%02d" % (months[0], min(day, 30), rest // 3600, rest // 60 % 60, rest % 60)

    def auth_lines():
        nonlocal second, pid
        while True:
            second += rng.randrange(0, 2)
            pid += 1
            kind = rng.random()
            host = "web1"
            if kind < 0.40:
                ip = pick_attacker()
                user = rng.choice(users)
                if rng.random() < 0.5:
                    line = "%s %s sshd[%d]: Failed password for %s from %s port %d ssh2" % (
                        stamp(), host, pid, user, ip, rng.randrange(1024, 65535))
                else:
                    line = "%s %s sshd[%d]: Failed password for invalid user %s from %s port %d ssh2" % (
                        stamp(), host, pid, user, ip, rng.randrange(1024, 65535))
            elif kind < 0.55:
                ip = pick_attacker()
                line = "%s %s sshd[%d]: Invalid user %s from %s port %d" % (
                    stamp(), host, pid, rng.choice(users), ip, rng.randrange(1024, 65535))
            elif kind < 0.62:
                ip = pick_attacker()
                line = "%s %s sshd[%d]: Connection closed by authenticating user %s %s port %d [preauth]" % (
                    stamp(), host, pid, rng.choice(users), ip, rng.randrange(1024, 65535))
            elif kind < 0.66:
                ip = pick_attacker()
                line = "%s %s sshd[%d]: Received disconnect from %s port %d:11: Bye Bye [preauth]" % (
                    stamp(), host, pid, ip, rng.randrange(1024, 65535))
            elif kind < 0.68:
                line = "%s %s sshd[%d]: Disconnecting authenticating user root %s port %d: Too many authentication failures [preauth]" % (
                    stamp(), host, pid, pick_attacker(), rng.randrange(1024, 65535))
            elif kind < 0.70:
                line = "%s %s sshd[%d]: pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=%s  user=root" % (
                    stamp(), host, pid, pick_attacker())
            elif kind < 0.72:
                line = "%s %s sshd[%d]: Accepted publickey for %s from 10.0.0.%d port %d ssh2: ED25519 SHA256:%s" % (
                    stamp(), host, pid, rng.choice(admins), rng.randrange(2, 50), rng.randrange(1024, 65535),
                    "Qm9vaw" * 5)
            elif kind < 0.75:
                line = "%s %s sshd[%d]: pam_unix(sshd:session): session opened for user %s(uid=1000) by (uid=0)" % (
                    stamp(), host, pid, rng.choice(admins))
            elif kind < 0.77:
                line = "%s %s sudo:    %s : TTY=pts/%d ; PWD=/home/%s ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx" % (
                    stamp(), host, rng.choice(admins), rng.randrange(0, 5), rng.choice(admins))
            elif kind < 0.85:
                line = "%s %s CRON[%d]: pam_unix(cron:session): session opened for user root(uid=0) by (uid=0)" % (
                    stamp(), host, pid)
            elif kind < 0.90:
                line = "%s %s systemd-logind[612]: New session %d of user %s." % (
                    stamp(), host, pid % 5000, rng.choice(admins))
            elif kind < 0.94:
                line = "%s %s postfix/smtpd[%d]: warning: unknown[%s]: SASL LOGIN authentication failed: UGFzc3dvcmQ6" % (
                    stamp(), host, pid, pick_attacker())
            elif kind < 0.97:
                line = "%s %s dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): user=<%s>, method=PLAIN, rip=%s, lip=10.0.0.2, TLS, session=<abcdEFGH>" % (
                    stamp(), host, rng.choice(users), pick_attacker())
            else:
                line = "%s %s kernel: [%d.%06d] [UFW BLOCK] IN=eth0 OUT= MAC=52:54:00:12:34:56 SRC=%s DST=10.0.0.2 LEN=40 PROTO=TCP SPT=%d DPT=23" % (
                    stamp(), host, second, rng.randrange(1_000_000), pick_attacker(), rng.randrange(1024, 65535))
            yield line

    write_lines(out, total, auth_lines())


def write_lines(out, total, lines):
    """Writes the first `total` of `lines` to `out`, 10,000 at a time."""
    with open(out, "w") as handle:
        batch = []
        for line in itertools.islice(lines, total):
            batch.append(line)
            if len(batch) >= 10_000:
                handle.write("\n".join(batch) + "\n")
                batch = []
        if batch:
            handle.write("\n".join(batch) + "\n")
    print("wrote %s: %d lines" % (out, total))


def write_web(out, total):
    """An access log in the combined format, one request per second or so."""
    rng = random.Random(3)
    agents = [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36",
        "curl/8.4.0", "python-requests/2.31.0",
        "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
        "sqlmap/1.7.2#stable (https://sqlmap.org)",
        "Mozilla/5.0 (X11; Linux x86_64; rv:120.0) Gecko/20100101 Firefox/120.0",
    ]
    paths = ["/index.html", "/wp-login.php", "/api/v1/items?page=%d&sort=name", "/static/app.%d.js",
             "/search?q=select+1+union+select+%d", "/admin/login", "/images/logo.png", "/cgi-bin/test.cgi?id=%d"]
    def web_lines():
        for number in range(total):
            address = "%d.%d.%d.%d" % (rng.randrange(1, 224), rng.randrange(256), rng.randrange(256),
                                       rng.randrange(1, 255))
            path = rng.choice(paths)
            if "%d" in path:
                path = path % rng.randrange(100_000)
            status = rng.choice([200, 200, 200, 404, 301, 401, 500])
            second = number % 86_400
            yield '%s - - [24/Nov/2025:%02d:%02d:%02d +0000] "GET %s HTTP/1.1" %d %d "https://example.org/ref/%d" "%s"' % (
                address, second // 3600, second // 60 % 60, second % 60, path, status, rng.randrange(100, 90_000),
                rng.randrange(1000), rng.choice(agents))

    write_lines(out, total, web_lines())


if __name__ == "__main__":
    main()
