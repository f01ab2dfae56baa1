#!/usr/bin/env python3
"""Regenerates the capture fixtures of VigilCaptureTests (deterministic: same bytes every run).

    python3 Tests/VigilCaptureTests/Fixtures/make-fixtures.py

Each file exercises one behaviour; CaptureTests.swift holds what Vigil must find in each.
"""

import os
import random
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "..", "samples"))
import pcapgen as g  # noqa: E402

client = g.Host("192.168.1.50", "52:54:00:12:34:56")
server = g.Host("192.168.1.20", "52:54:00:65:43:21")


def ftp_port_2121(path):
    """FTP on a non-standard port, behind an 802.1Q tag: a failed then a good login."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700000000.0, vlan=42)
    c = g.Conversation(link, client, server, 40000, 2121).handshake()
    c.send("server", "220 ProFTPD Server (staging)\r\n")
    c.send("client", "USER bob\r\n")
    c.send("server", "331 Password required for bob\r\n")
    c.send("client", "PASS hunter2\r\n")
    c.send("server", "530 Login incorrect.\r\n")
    c.send("client", "USER bob\r\n")
    c.send("server", "331 Password required for bob\r\n")
    c.send("client", "PASS correct horse battery staple\r\n")
    c.send("server", "230 User bob logged in\r\n")
    c.send("client", "QUIT\r\n")
    c.send("server", "221 Goodbye.\r\n")
    c.close()
    writer.close()


def ftp_reordered(path):
    """Commands cut into segments that arrive out of order and twice; client checksums wrong."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700000100.0)
    c = g.Conversation(link, client, server, 40001, 21, bad_client_checksums=True).handshake()
    c.send("server", "220 FTP ready\r\n")
    c.send("client", "USER carol\r\n", split=[3, 7], order=[0, 2, 1])
    c.send("server", "331 Password please\r\n")
    c.send("client", "PASS Tr0ub4dor&3\r\n", split=[4, 9], order=[2, 0, 1], repeat=[0, 1])
    c.send("server", "230 Welcome\r\n")
    c.close()
    writer.close()


def ftp_midstream(path):
    """A capture that starts after the handshake and the banner, on port 2100, raw IPv4 link."""
    writer = g.PcapWriter(path, linktype=g.LINKTYPE_RAW)
    link = g.Link(writer, linktype=g.LINKTYPE_RAW, start=1700000200.0)
    c = g.Conversation(link, client, server, 40002, 2100, client_isn=777777, server_isn=888888)
    c.send("client", "USER dave\r\n")
    c.send("server", "331 Send password\r\n")
    c.send("client", "PASS p@ss w0rd\r\n")
    c.send("server", "230 OK\r\n")
    writer.close()


def ftp_ipv6_sll(path):
    """IPv6 over Linux cooked capture, big-endian nanosecond pcap, multi-line 530 reply."""
    writer = g.PcapWriter(path, linktype=g.LINKTYPE_LINUX_SLL, nanosecond=True, big_endian=True)
    link = g.Link(writer, linktype=g.LINKTYPE_LINUX_SLL, start=1700000300.0)
    a = g.Host("2001:db8::50", client.mac)
    b = g.Host("2001:db8::20", server.mac)
    c = g.Conversation(link, a, b, 40003, 21).handshake()
    c.send("server", "220 IPv6 FTP\r\n")
    c.send("client", "USER erin\r\n")
    c.send("server", "331 Password\r\n")
    c.send("client", "PASS s3cret-v6\r\n")
    c.send("server", "530-Login incorrect.\r\n230 this line is text inside the reply\r\n530 Try again.\r\n")
    c.close()
    writer.close()


def no_ftp(path):
    """Line protocols that look like FTP from afar: SMTP (220 banner), POP3 (USER/PASS), HTTP."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700000400.0)
    smtp = g.Conversation(link, client, server, 40010, 2525).handshake()
    smtp.send("server", "220 mail.example.org ESMTP\r\n")
    smtp.send("client", "EHLO client.example.org\r\n")
    smtp.send("server", "250 mail.example.org\r\n")
    smtp.close()
    pop = g.Conversation(link, client, server, 40011, 1110).handshake()
    pop.send("server", "+OK POP3 server ready\r\n")
    pop.send("client", "USER frank\r\n")
    pop.send("server", "+OK\r\n")
    pop.send("client", "PASS frankly\r\n")
    pop.send("server", "+OK Logged in.\r\n")
    pop.close()
    http = g.Conversation(link, client, server, 40012, 8080).handshake()
    http.send("client", "GET /login HTTP/1.1\r\nHost: intranet\r\n\r\n")
    http.send("server", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    http.close()
    writer.close()


def ftp_no_reply(path):
    """The capture stops right after PASS: no reply, no FIN."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700000500.0)
    c = g.Conversation(link, client, server, 40020, 21).handshake()
    c.send("server", "220 ready\r\n")
    c.send("client", "USER grace\r\n")
    c.send("server", "331 Password\r\n")
    c.send("client", "PASS last-words\r\n")
    writer.close()


def ftp_auth_tls(path):
    """AUTH TLS accepted: what follows is encrypted and must not be read as commands."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700000600.0)
    c = g.Conversation(link, client, server, 40030, 21).handshake()
    c.send("server", "220 ready\r\n")
    c.send("client", "AUTH TLS\r\n")
    c.send("server", "234 Proceed with negotiation.\r\n")
    c.send("client", b"\x16\x03\x01\x00\x05hello\r\nUSER mallory\r\nPASS not-a-real-pass\r\n")
    c.send("server", b"\x16\x03\x03\x00\x02ok\r\n230 fake\r\n")
    c.close()
    writer.close()


def simple_login(path, linktype, user, password, port=21, vlan=None, start=1700000700.0):
    """One FTP login, accepted, on the given link type."""
    writer = g.PcapWriter(path, linktype=linktype)
    link = g.Link(writer, linktype=linktype, start=start, vlan=vlan)
    c = g.Conversation(link, client, server, 40040, port).handshake()
    c.send("server", "220 ready\r\n")
    c.send("client", "USER %s\r\n" % user)
    c.send("server", "331 Password\r\n")
    c.send("client", "PASS %s\r\n" % password)
    c.send("server", "230 Logged in\r\n")
    c.close()
    writer.close()


def truncated(source, path, cut):
    with open(source, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:len(data) - cut])


def garbage(path):
    rng = random.Random(20261123)
    with open(path, "wb") as f:
        f.write(b"This is not a capture. " + bytes(rng.randrange(256) for _ in range(4000)))


def bad_header(path):
    # A pcap magic number followed by an impossible version (9.9).
    import struct
    with open(path, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 9, 9, 0, 0, 65535, 1) + b"\0" * 64)


if __name__ == "__main__":
    ftp_port_2121(os.path.join(HERE, "ftp-port-2121.pcap"))
    ftp_reordered(os.path.join(HERE, "ftp-reordered.pcap"))
    ftp_midstream(os.path.join(HERE, "ftp-midstream.pcap"))
    ftp_ipv6_sll(os.path.join(HERE, "ftp-ipv6-sll.pcap"))
    no_ftp(os.path.join(HERE, "no-ftp.pcap"))
    ftp_no_reply(os.path.join(HERE, "ftp-no-reply.pcap"))
    ftp_auth_tls(os.path.join(HERE, "ftp-auth-tls.pcap"))
    simple_login(os.path.join(HERE, "ftp-null-loopback.pcap"), g.LINKTYPE_NULL, "heidi", "loop-back")
    simple_login(os.path.join(HERE, "ftp-sll2.pcap"), g.LINKTYPE_LINUX_SLL2, "ivan", "cooked-2", port=2121)
    simple_login(os.path.join(HERE, "ftp-qinq.pcap"), g.LINKTYPE_ETHERNET, "judy", "double-tag",
                 vlan=[(0x88A8, 100), (0x8100, 200)])
    # The last record (a final ACK, 54 + 16 bytes) loses 20 bytes: every login is before it.
    truncated(os.path.join(HERE, "ftp-port-2121.pcap"), os.path.join(HERE, "truncated.pcap"), 20)
    truncated(os.path.join(HERE, "ftp-port-2121.pcap"), os.path.join(HERE, "truncated-header-only.pcap"),
              os.path.getsize(os.path.join(HERE, "ftp-port-2121.pcap")) - 30)
    garbage(os.path.join(HERE, "garbage.pcap"))
    bad_header(os.path.join(HERE, "bad-header.pcap"))
    print("wrote the fixtures in", HERE)
