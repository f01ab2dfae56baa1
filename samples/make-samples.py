#!/usr/bin/env python3
"""Regenerates the captures in samples/ (deterministic: same bytes every run).

    python3 samples/make-samples.py

office.pcapng: a few minutes of a small office network: ARP, DNS, a web request, an SSH
session, an SMTP hand-off, an anonymous FTP download and one FTP login in clear text
(alice / Summer2026! on 10.0.0.9:21, accepted with 230). See samples/README.md.
"""

import os
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
    writer.close()


if __name__ == "__main__":
    office(os.path.join(HERE, "office.pcapng"))
    print("wrote samples/office.pcapng")
