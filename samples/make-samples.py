#!/usr/bin/env python3
"""Regenerates the captures in samples/ (deterministic: same bytes every run).

    python3 samples/make-samples.py

office.pcapng: a few minutes of a small office network: ARP, DNS, a web request, an SSH
session, an SMTP hand-off, an anonymous FTP download and one FTP login in clear text
(alice / Summer2026! on 10.0.0.9:21, accepted with 230). See samples/README.md.
"""

import base64
import ipaddress
import os
import struct
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import pcapgen as g  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))

laptop = g.Host("10.0.0.5", "3c:22:fb:11:22:33")
desk = g.Host("10.0.0.17", "f4:8e:38:aa:bb:cc")
gateway = g.Host("10.0.0.1", "00:1b:21:00:00:01")
files = g.Host("10.0.0.9", "00:11:32:44:55:66")
web = g.Host("93.184.216.34", "00:1b:21:00:00:01")
mirror = g.Host("10.0.0.12", "00:11:32:77:88:99")
mail = g.Host("10.0.0.25", "00:50:56:01:02:03")
printer = g.Host("10.0.0.30", "3c:d9:2b:10:20:30")
camera = g.Host("10.0.0.40", "c0:56:e3:40:50:60")
rogue = g.Host("10.0.0.66", "02:42:ac:11:00:66")


def arp_reply(link, sender, sender_ip, target):
    """An ARP is-at: `sender` says it holds `sender_ip` (its own, or one it claims)."""
    body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 2) + g.mac(sender.mac) + ipaddress.IPv4Address(sender_ip).packed
    body += g.mac(target.mac) + ipaddress.IPv4Address(target.ip).packed
    link.writer.write(link.tick(), g.ethernet(sender.mac, target.mac, 0x0806, body))


def snmp_get(community):
    """An SNMPv2c GetRequest for sysName.0."""
    def tlv(tag, value):
        return bytes([tag, len(value)]) + value
    varbind = tlv(0x30, tlv(0x30, tlv(0x06, b"\x2b\x06\x01\x02\x01\x01\x05\x00") + b"\x05\x00"))
    pdu = tlv(0xA0, tlv(0x02, b"\x01") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + varbind)
    return tlv(0x30, tlv(0x02, b"\x01") + tlv(0x04, community) + pdu)


def office(path):
    writer = g.PcapngWriter(path)
    link = g.Link(writer, start=1763715600.0, step=0.0005)  # 2025-11-21T09:00:00Z

    link.arp(laptop, gateway.ip)
    link.udp(laptop, gateway, 53001, 53, g.dns_query(0x1234, "intranet.example.org"))
    link.udp(desk, gateway, 53002, 53, g.dns_query(0x2345, "files.example.org"))

    http = g.Conversation(link, desk, web, 49812, 80).handshake()
    http.send("client", "GET / HTTP/1.1\r\nHost: example.org\r\nUser-Agent: curl/8.5.0\r\nAccept: */*\r\n\r\n")
    http.send("server", "HTTP/1.1 200 OK\r\nContent-Length: 13\r\nContent-Type: text/plain\r\n\r\nHello, world\n")
    http.close()

    ssh = g.Conversation(link, desk, files, 50122, 22).handshake()
    ssh.send("server", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n")
    ssh.send("client", "SSH-2.0-OpenSSH_9.6\r\n")
    ssh.send("client", bytes(range(256)) * 2)
    ssh.close()

    smtp = g.Conversation(link, files, mail, 40112, 25).handshake()
    smtp.send("server", "220 mail.example.org ESMTP Postfix\r\n")
    smtp.send("client", "EHLO files.example.org\r\n")
    smtp.send("server", "250-mail.example.org\r\n250 STARTTLS\r\n")
    smtp.send("client", "QUIT\r\n")
    smtp.send("server", "221 2.0.0 Bye\r\n")
    smtp.close()

    anonymous = g.Conversation(link, desk, mirror, 51000, 21).handshake()
    anonymous.ftp_login("anonymous", "guest@example.org", banner="220 (vsFTPd 3.0.3)\r\n",
                        prompt="331 Please specify the password.\r\n", reply="230 Login successful.\r\n")
    anonymous.send("client", "QUIT\r\n")
    anonymous.send("server", "221 Goodbye.\r\n")
    anonymous.close()

    ftp = g.Conversation(link, laptop, files, 51514, 21).handshake()
    ftp.ftp_login("alice", "Summer2026!", banner="220-files.example.org FTP service\r\n220 Authorised users only.\r\n",
                  prompt="331 Password required for alice\r\n", reply="230 User alice logged in\r\n", pause=2.5)
    ftp.send("client", "SYST\r\n")
    ftp.send("server", "215 UNIX Type: L8\r\n")
    ftp.send("client", "QUIT\r\n")
    ftp.send("server", "221 Goodbye.\r\n")
    ftp.close()

    link.udp(laptop, gateway, 53003, 53, g.dns_query(0x3456, "updates.example.org"))

    # Appended after the first 86 packets, whose numbers the README quotes.
    # The gateway answers ARP; later an unknown MAC claims the gateway's address (flip flop).
    arp_reply(link, gateway, gateway.ip, laptop)
    # A monitoring script reads the printer's name with the community "public".
    link.udp(laptop, printer, 50161, 161, snmp_get(b"public"))
    # The desk logs in to an IP camera's web console with its factory password.
    cam = g.Conversation(link, desk, camera, 52080, 80).handshake()
    token = base64.b64encode(b"admin:12345").decode()
    cam.send("client", "GET /ISAPI/System/deviceInfo HTTP/1.1\r\nHost: 10.0.0.40\r\nAuthorization: Basic %s\r\n\r\n" % token)
    cam.send("server", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    cam.close()
    arp_reply(link, rogue, gateway.ip, laptop)
    writer.close()


INVENTORY = """asset_tag,hostname,mac,ip,owner,status
LAP-0042,alice-mac,3C-22-FB-11-22-33,,alice,active
NAS-0001,files,0011.3244.5566,10.0.0.9,IT,active
NAS-0002,mirror,00:11:32:77:88:99,10.0.0.12,IT,active
SRV-0003,mail,00:50:56:01:02:03,10.0.0.25,IT,active
RTR-0001,gateway,00:1b:21:00:00:01,10.0.0.1,IT,active
CAM-0001,lobby-camera,c0:56:e3:40:50:60,10.0.0.40,facilities,active
DSK-0007,"bob's old desktop, 2nd floor",f4:8e:38:aa:bb:cc,,bob,disposed
"""


def auth_log(path):
    """A day of /var/log/auth.log on files.example.org, in rsyslog's high-precision format
    (RSYSLOG_FileFormat: ISO 8601 with the offset), so the dates carry their year and zone."""
    lines = []

    def add(clock, text):
        lines.append("2025-11-21T%s.000000+00:00 files sshd[%d]: %s" % (clock, 4000 + len(lines), text))

    # alice logs in every morning from her laptop.
    add("08:02:11", "Accepted publickey for alice from 10.0.0.5 port 51200 ssh2: ED25519 SHA256:Qm9vZm9vYmFy")
    # A brute force from the internet: 12 failures for root in two minutes, then a success.
    for second in range(12):
        add("02:%02d:%02d" % (10 + second // 6, (second * 10) % 60),
            "Failed password for root from 198.51.100.23 port %d ssh2" % (40000 + second))
    add("02:12:05", "Accepted password for root from 198.51.100.23 port 40100 ssh2")
    # Password spraying: one address, six accounts, one try each.
    for index, user in enumerate(["admin", "backup", "deploy", "oracle", "test", "www"]):
        add("03:00:%02d" % (index * 7), "Failed password for invalid user %s from 203.0.113.77 port %d ssh2"
            % (user, 50000 + index))
    # Somebody typed their password into the user name prompt.
    add("09:15:02", "Failed password for invalid user Tr0ub4dor&3x from 10.0.0.17 port 52011 ssh2")
    # alice, from an address she never used before, late at night.
    add("23:40:19", "Accepted password for alice from 192.0.2.200 port 61000 ssh2")
    others = [
        "2025-11-21T10:01:13.000000+00:00 files sudo:      bob : user NOT in sudoers ; TTY=pts/1 ; PWD=/home/bob ; USER=root ; COMMAND=/usr/bin/cat /etc/shadow",
        "2025-11-21T10:05:40.000000+00:00 files sudo:    alice : TTY=pts/0 ; PWD=/home/alice ; USER=root ; COMMAND=/bin/bash",
        "2025-11-21T10:07:02.000000+00:00 files useradd[5120]: new user: name=svc-backup, UID=0, GID=0, home=/root, shell=/bin/bash, from=/dev/pts/0",
        "2025-11-21T10:07:30.000000+00:00 files usermod[5125]: add 'svc-backup' to group 'sudo'",
    ]
    text = "\n".join(sorted(lines + others)) + "\n"
    with open(path, "w") as handle:
        handle.write(text)


def access_log(path):
    """nginx access log of the intranet: a burst of failed logins on /login, then normal use."""
    lines = []
    for index in range(25):
        lines.append('203.0.113.50 - - [21/Nov/2025:04:00:%02d +0000] "POST /login HTTP/1.1" 401 182 "-" "python-requests/2.31"'
                     % (index * 2))
    lines.append('10.0.0.5 - alice [21/Nov/2025:09:30:00 +0000] "GET /wiki/ HTTP/1.1" 200 5120 "-" "Mozilla/5.0"')
    with open(path, "w") as handle:
        handle.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    office(os.path.join(HERE, "office.pcapng"))
    with open(os.path.join(HERE, "inventory.csv"), "w") as handle:
        handle.write(INVENTORY)
    os.makedirs(os.path.join(HERE, "logs"), exist_ok=True)
    auth_log(os.path.join(HERE, "logs", "auth.log"))
    access_log(os.path.join(HERE, "logs", "access.log"))
    print("wrote samples/office.pcapng, samples/inventory.csv, samples/logs/auth.log, samples/logs/access.log")
