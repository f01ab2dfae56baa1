#!/usr/bin/env python3
"""Writes the captures the shipped rules' examples read (deterministic: same bytes every run).

    python3 rules/examples/make-examples.py

`network.pcapng` holds one conversation per protocol Vigil reads credentials or versions from;
`devices.pcapng` the devices `inventory.csv` knows and does not. Each rule under `rules/` names
the file its real-input example reads (`vigil: tests: - capture: ../examples/...`); `vigil rules
test` and the test suite run them through Vigil's own readers.
"""

import importlib.util
import os
import struct
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..")
sys.path.insert(0, os.path.join(ROOT, "samples"))
import pcapgen as g  # noqa: E402

# The protocol messages the capture fixtures are built from.
spec = importlib.util.spec_from_file_location(
    "fixtures", os.path.join(ROOT, "Tests", "VigilCaptureTests", "Fixtures", "make-fixtures.py"))
f = importlib.util.module_from_spec(spec)
spec.loader.exec_module(f)

laptop = g.Host("10.0.0.17", "3c:22:fb:11:22:33")
servers = {}


def server(last, mac_last):
    return g.Host("10.0.0.%d" % last, "02:00:00:00:00:%02x" % mac_last)


def conversation(link, dport, steps, sport, peer):
    c = g.Conversation(link, laptop, peer, sport, dport).handshake()
    for step in steps:
        c.send(step[0], step[1])
    c.close()


def ber(tag, value):
    return f.der(tag, value)


def ldap_bind(dn, password):
    request = ber(0x60, ber(0x02, b"\x03") + ber(0x04, dn.encode()) + ber(0x80, password.encode()))
    return ber(0x30, ber(0x02, b"\x01") + request)


def ldap_bind_response(code):
    response = ber(0x61, ber(0x0A, bytes([code])) + ber(0x04, b"") + ber(0x04, b""))
    return ber(0x30, ber(0x02, b"\x01") + response)


def network(path):
    writer = g.PcapngWriter(path)
    link = g.Link(writer, start=1763884800.0)  # 2025-11-23T08:00:00Z
    ftp = server(21, 0x21)
    c = g.Conversation(link, laptop, ftp, 40001, 2121).handshake()
    c.ftp_login("bob", "summer", reply="230 Logged in\r\n")
    c.close()
    c = g.Conversation(link, laptop, ftp, 40002, 21).handshake()
    c.ftp_login("anonymous", "guest@example.org", reply="230 Anonymous access granted\r\n")
    c.close()
    steps = [("server", b"\xff\xfd\x18"), ("client", b"\xff\xfc\x18"), ("server", b"\r\nrouter login: ")]
    steps += [("client", bytes([ch])) for ch in b"leo"] + [("client", b"\r\x00"), ("server", b"\r\nPassword: ")]
    steps += [("client", bytes([ch])) for ch in b"t3ln3t!"] + [("client", b"\r\x00")]
    steps += [("server", b"\r\nLast login: Mon Nov 23 10:00\r\nleo@router:~$ ")]
    conversation(link, 23, steps, 40003, server(23, 0x23))
    web = server(40, 0x40)
    conversation(link, 80, [
        ("client", "GET / HTTP/1.1\r\nHost: camera\r\nAuthorization: Basic %s\r\n\r\n" % f.b64("admin:12345")),
        ("server", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ], 40004, web)
    body = "username=carol&password=S3cr%21t+x"
    conversation(link, 80, [
        ("client", "POST /login HTTP/1.1\r\nHost: intranet\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: %d\r\n\r\n%s" % (len(body), body)),
        ("server", "HTTP/1.1 302 Found\r\nContent-Length: 0\r\n\r\n"),
    ], 40005, server(41, 0x41))
    conversation(link, 80, [
        ("client", 'GET / HTTP/1.1\r\nHost: cam\r\nAuthorization: Digest username="erin", realm="camera", '
                   'nonce="abc123", uri="/", qop=auth, response="6629fae49393a05397450978507c4ef1"\r\n\r\n'),
        ("server", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ], 40006, server(42, 0x42))
    conversation(link, 80, [
        ("client", "GET /intranet HTTP/1.1\r\nHost: sp\r\nAuthorization: NTLM %s\r\n\r\n"
         % f.b64(b"NTLMSSP\0" + struct.pack("<II", 1, 0x00088207) + b"\0" * 16)),
        ("server", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM %s\r\nContent-Length: 0\r\n\r\n"
         % f.b64(f.ntlm_challenge(bytes.fromhex("0123456789abcdef")))),
        ("client", "GET /intranet HTTP/1.1\r\nHost: sp\r\nAuthorization: NTLM %s\r\n\r\n"
         % f.b64(f.ntlm_authenticate("CORP", "frank", "WS-12", f.NTLMV2_RESPONSE))),
        ("server", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ], 40007, server(43, 0x43))
    files = server(45, 0x45)
    conversation(link, 445, [
        ("client", f.smb2(1, 0, b"\0" * 24 + b"NTLMSSP\0" + struct.pack("<II", 1, 0x00088207) + b"\0" * 16)),
        ("server", f.smb2(1, 1, b"\0" * 8 + f.ntlm_challenge(bytes.fromhex("1122334455667788")))),
        ("client", f.smb2(1, 0, b"\0" * 24 + f.ntlm_authenticate("CORP", "grace", "LAPTOP-7", b"\xaa" * 24,
                                                                  b"\xbb" * 24))),
        ("server", f.smb2(1, 1, b"\0" * 8)),
    ], 40008, files)
    smb1 = b"\xffSMB" + b"\x72" + b"\0" * 27 + b"\0\x0c\0\x02NT LM 0.12\0"
    conversation(link, 445, [("client", struct.pack(">I", len(smb1)) + smb1)], 40009, server(46, 0x46))
    mail = server(25, 0x25)
    conversation(link, 110, [
        ("server", "+OK Dovecot ready. <1896.697170952@dbc.mtview.ca.us>\r\n"),
        ("client", "USER heidi\r\n"), ("server", "+OK\r\n"),
        ("client", "PASS w0rdpass\r\n"), ("server", "-ERR [AUTH] Authentication failed.\r\n"),
        ("client", "APOP heidi c4c9334bac560ecc979e58001b3e22fb\r\n"), ("server", "+OK maildrop has 1 message\r\n"),
    ], 40010, mail)
    conversation(link, 143, [
        ("server", "* OK [CAPABILITY IMAP4rev1] ready\r\n"),
        ("client", "a1 LOGIN ivan atom-pass\r\n"), ("server", "a1 OK Logged in\r\n"),
    ], 40011, mail)
    conversation(link, 587, [
        ("server", "220 mail.example.org ESMTP\r\n"), ("client", "EHLO laptop\r\n"),
        ("server", "250-mail.example.org\r\n250 AUTH PLAIN LOGIN\r\n"),
        ("client", "AUTH PLAIN %s\r\n" % f.b64("\0kim@example.org\0right-one")),
        ("server", "235 2.7.0 Authentication successful\r\n"),
    ], 40012, mail)
    conversation(link, 6379, [("client", "AUTH s3cret-redis\r\n"), ("server", "+OK\r\n")], 40013, server(63, 0x63))
    database = server(54, 0x54)
    startup = struct.pack(">I", 196608) + b"user\0app\0database\0prod\0\0"
    conversation(link, 5432, [
        ("client", struct.pack(">I", len(startup) + 4) + startup),
        ("server", b"R" + struct.pack(">II", 8, 3)),
        ("client", b"p" + struct.pack(">I", 4 + 10) + b"pg-secret\0"),
        ("server", b"R" + struct.pack(">II", 8, 0)),
    ], 40014, database)
    conversation(link, 5432, [
        ("client", struct.pack(">I", len(startup) + 4) + startup),
        ("server", b"R" + struct.pack(">II", 12, 5) + bytes.fromhex("a1b2c3d4")),
        ("client", b"p" + struct.pack(">I", 4 + 36) + b"md5" + b"0123456789abcdef0123456789abcdef" + b"\0"),
        ("server", b"R" + struct.pack(">II", 8, 0)),
    ], 40015, database)
    greeting = (b"\x0a" + b"8.0.35\0" + struct.pack("<I", 7) + b"abcdefgh" + b"\0" + struct.pack("<H", 0xffff)
                + b"\x21" + struct.pack("<H", 2) + struct.pack("<H", 0xdfff) + bytes([21]) + b"\0" * 10
                + b"ijklmnopqrst\0" + b"mysql_native_password\0")
    response = (struct.pack("<I", 0x000fa685) + struct.pack("<I", 16777216) + b"\x21" + b"\0" * 23 + b"root\0"
                + bytes([20]) + bytes(range(100, 120)) + b"shop\0")
    conversation(link, 3306, [
        ("server", struct.pack("<I", len(greeting))[:3] + b"\0" + greeting),
        ("client", struct.pack("<I", len(response))[:3] + b"\1" + response),
        ("server", b"\x07\0\0\x02" + b"\0\0\0\x02\0\0\0"),
    ], 40016, database)
    conversation(link, 5900, [
        ("server", "RFB 003.008\n"), ("client", "RFB 003.008\n"), ("server", b"\x01\x02"), ("client", b"\x02"),
        ("server", bytes(range(16))), ("client", bytes(range(16, 32))), ("server", b"\0\0\0\x00"),
    ], 40017, server(59, 0x59))
    conversation(link, 389, [
        ("client", ldap_bind("cn=admin,dc=example,dc=org", "ldap-secret")), ("server", ldap_bind_response(0)),
    ], 40018, server(38, 0x38))
    agent = server(30, 0x30)
    link.udp(laptop, agent, 50161, 161, f.snmp_message(b"public", 0xA0))
    link.udp(agent, laptop, 161, 50161, f.snmp_message(b"public", 0xA2))
    kdc = server(88, 0x88)
    link.udp(laptop, kdc, 50088, 88, f.as_req("paula", "CORP.EXAMPLE", 23, bytes(range(52))))
    link.udp(kdc, laptop, 88, 50088, f.krb_error(24, "CORP.EXAMPLE"))
    reply = f.tgs_rep("quinn", "CORP.EXAMPLE", ("MSSQLSvc", "db01.corp.example:1433"), bytes(range(200)))
    conversation(link, 88, [("server", struct.pack(">I", len(reply)) + reply)], 40019, kdc)
    conversation(link, 22, [
        ("server", "SSH-1.5-OpenSSH_2.9p2\n"), ("client", "SSH-1.5-PuTTY_0.50\n"),
    ], 40020, server(22, 0x22))
    conversation(link, 443, [
        ("client", f.client_hello(0x0301, "legacy.example.org")), ("server", f.server_hello(0x0301)),
    ], 40021, server(44, 0x44))
    writer.close()


def devices(path):
    """Managed devices, one not in the inventory, a disposed desktop back on the network, and an
    unknown MAC that claims the gateway's address (an ARP flip flop)."""
    writer = g.PcapngWriter(path)
    link = g.Link(writer, start=1763884800.0)
    gateway = g.Host("10.0.0.1", "00:1b:21:00:00:01")
    link.arp(gateway, "10.0.0.9")
    link.arp(g.Host("10.0.0.9", "00:11:32:44:55:66"), "10.0.0.1")
    link.arp(g.Host("10.0.0.17", "f4:8e:38:aa:bb:cc"), "10.0.0.1")
    link.arp(g.Host("10.0.0.66", "02:42:ac:11:00:66"), "10.0.0.1")
    link.arp(g.Host("10.0.0.1", "02:42:ac:11:00:66"), "10.0.0.9")
    writer.close()


if __name__ == "__main__":
    network(os.path.join(HERE, "network.pcapng"))
    devices(os.path.join(HERE, "devices.pcapng"))
    print("wrote the rule examples in", HERE)
