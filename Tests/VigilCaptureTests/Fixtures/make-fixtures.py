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
    c.ftp_login("bob", "hunter2", banner="220 ProFTPD Server (staging)\r\n",
                prompt="331 Password required for bob\r\n", reply="530 Login incorrect.\r\n")
    c.ftp_login("bob", "correct horse battery staple", banner=None, prompt="331 Password required for bob\r\n",
                reply="230 User bob logged in\r\n")
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
    c.ftp_login("dave", "p@ss w0rd", banner=None, prompt="331 Send password\r\n")
    writer.close()


def ftp_ipv6_sll(path):
    """IPv6 over Linux cooked capture, big-endian nanosecond pcap, multi-line 530 reply."""
    writer = g.PcapWriter(path, linktype=g.LINKTYPE_LINUX_SLL, nanosecond=True, big_endian=True)
    link = g.Link(writer, linktype=g.LINKTYPE_LINUX_SLL, start=1700000300.0)
    a = g.Host("2001:db8::50", client.mac)
    b = g.Host("2001:db8::20", server.mac)
    c = g.Conversation(link, a, b, 40003, 21).handshake()
    c.ftp_login("erin", "s3cret-v6", banner="220 IPv6 FTP\r\n",
                reply="530-Login incorrect.\r\n230 this line is text inside the reply\r\n530 Try again.\r\n")
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
    c.ftp_login("grace", "last-words", reply=None)
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
    c.ftp_login(user, password, reply="230 Logged in\r\n")
    c.close()
    writer.close()


import base64  # noqa: E402
import struct  # noqa: E402


def session(path, port, steps, linktype=g.LINKTYPE_ETHERNET, start=1700001000.0, sport=41000, handshake=True):
    """One TCP connection: `steps` is a list of (side, bytes[, split]) sent in order."""
    writer = g.PcapWriter(path, linktype=linktype)
    link = g.Link(writer, linktype=linktype, start=start)
    c = g.Conversation(link, client, server, sport, port)
    if handshake:
        c.handshake()
    for step in steps:
        side, data = step[0], step[1]
        c.send(side, data, split=step[2] if len(step) > 2 else None)
    c.close()
    writer.close()


def b64(data):
    return base64.b64encode(data if isinstance(data, bytes) else data.encode()).decode()


def ntlm_challenge(challenge):
    return (b"NTLMSSP\0" + struct.pack("<I", 2) + struct.pack("<HHI", 0, 0, 48) + struct.pack("<I", 0x00088201)
            + challenge + b"\0" * 8 + struct.pack("<HHI", 0, 0, 48))


def ntlm_authenticate(domain, user, host, nt_response, lm_response=b"\0" * 24):
    fields = [lm_response, nt_response, domain.encode("utf-16-le"), user.encode("utf-16-le"),
              host.encode("utf-16-le"), b""]
    offset = 72
    header = b"NTLMSSP\0" + struct.pack("<I", 3)
    payload = b""
    for value in fields:
        header += struct.pack("<HHI", len(value), len(value), offset + len(payload))
        payload += value
    header += struct.pack("<I", 0x00088201 | 1)  # NEGOTIATE_UNICODE
    header += b"\0" * (offset - len(header))
    return header + payload


NTLMV2_RESPONSE = bytes(range(16)) + bytes.fromhex("0101000000000000") + b"\x11" * 8 + b"\x22" * 8 + b"\0" * 4


def smb2(command, flags, body):
    header = b"\xfeSMB" + struct.pack("<HHIHHII", 64, 0, 0, command, 1, flags, 0) + b"\0" * 40
    message = header + body
    return struct.pack(">I", len(message)) + message


def smb1(command, reply, status, body):
    """An SMB1 message behind its NetBIOS session header (flags2: extended security, NT status,
    Unicode)."""
    header = (b"\xffSMB" + bytes([command]) + struct.pack("<I", status) + bytes([0x88 if reply else 0x08])
              + struct.pack("<H", 0xC807) + b"\0" * 12 + struct.pack("<HHHH", 0, 0xFEFF, 0, 1))
    message = header + body
    return struct.pack(">I", len(message)) + message


def protocol_fixtures():
    # HTTP Basic on 8080: two requests on one connection (keep-alive), the second refused.
    session(os.path.join(HERE, "http-basic-8080.pcap"), 8080, [
        ("client", "GET /admin HTTP/1.1\r\nHost: nas\r\nAuthorization: Basic  %s\r\n\r\n" % b64("admin:pa:ss:word")),
        ("server", "HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello"),
        ("client", "GET /admin HTTP/1.1\r\nHost: nas\r\nauthorization: basic %s\r\n\r\n" % b64("guest:guest")),
        ("server", "HTTP/1.1 401 Unauthorized\r\nTransfer-Encoding: chunked\r\n\r\n4\r\nnope\r\n0\r\n\r\n"),
    ])
    # Login forms: URL-encoded body in a later segment than the headers; then JSON.
    form_body = "username=carol&password=S3cr%21t+x&remember=1"
    json_body = '{"email": "dan@example.org", "password": "hunter22"}'
    session(os.path.join(HERE, "http-forms.pcap"), 80, [
        ("client", "POST /login HTTP/1.1\r\nHost: intranet\r\nContent-Type: application/x-www-form-urlencoded\r\n"
                   "Content-Length: %d\r\n\r\n%s" % (len(form_body), form_body), [100]),
        ("server", "HTTP/1.1 302 Found\r\nLocation: /home\r\nContent-Length: 0\r\n\r\n"),
        ("client", "POST /api/session HTTP/1.1\r\nHost: intranet\r\nContent-Type: application/json\r\n"
                   "Content-Length: %d\r\n\r\n%s" % (len(json_body), json_body)),
        ("server", "HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"),
    ])
    session(os.path.join(HERE, "http-digest.pcap"), 80, [
        ("client", 'GET / HTTP/1.1\r\nHost: cam\r\nAuthorization: Digest username="erin", realm="camera", '
                   'nonce="abc123", uri="/", qop=auth, response="6629fae49393a05397450978507c4ef1"\r\n\r\n'),
        ("server", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ])
    session(os.path.join(HERE, "http-ntlm.pcap"), 80, [
        ("client", "GET /intranet HTTP/1.1\r\nHost: sp\r\nAuthorization: NTLM %s\r\n\r\n"
         % b64(b"NTLMSSP\0" + struct.pack("<II", 1, 0x00088207) + b"\0" * 16)),
        ("server", "HTTP/1.1 401 Unauthorized\r\nWWW-Authenticate: NTLM %s\r\nContent-Length: 0\r\n\r\n"
         % b64(ntlm_challenge(bytes.fromhex("0123456789abcdef")))),
        ("client", "GET /intranet HTTP/1.1\r\nHost: sp\r\nAuthorization: NTLM %s\r\n\r\n"
         % b64(ntlm_authenticate("CORP", "frank", "WS-12", NTLMV2_RESPONSE))),
        ("server", "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"),
    ])
    # SMB2 session setup with NTLMv1 (24-byte NT response), challenge in the server's response.
    session(os.path.join(HERE, "smb2-ntlmv1.pcap"), 445, [
        ("client", smb2(1, 0, b"\0" * 24 + b"NTLMSSP\0" + struct.pack("<II", 1, 0x00088207) + b"\0" * 16)),
        ("server", smb2(1, 1, b"\0" * 8 + ntlm_challenge(bytes.fromhex("1122334455667788")))),
        ("client", smb2(1, 0, b"\0" * 24 + ntlm_authenticate("CORP", "grace", "LAPTOP-7", b"\xaa" * 24, b"\xbb" * 24))),
        ("server", smb2(1, 1, b"\0" * 8)),
    ])
    # SMB1 SESSION_SETUP_ANDX with extended security: NTLMv2, refused (STATUS_LOGON_FAILURE).
    session(os.path.join(HERE, "smb1-ntlmv2.pcap"), 445, [
        ("client", smb1(0x72, False, 0, b"\0\x0c\0\x02NT LM 0.12\0")),
        ("client", smb1(0x73, False, 0, b"\x0c" + b"\0" * 24 + b"NTLMSSP\0" + struct.pack("<II", 1, 0x00088207)
                        + b"\0" * 16)),
        ("server", smb1(0x73, True, 0xC0000016, b"\x04" + b"\0" * 8 + ntlm_challenge(bytes.fromhex("8899aabbccddeeff")))),
        ("client", smb1(0x73, False, 0, b"\x0c" + b"\0" * 24
                        + ntlm_authenticate("CORP", "olga", "WS-OLD", NTLMV2_RESPONSE))),
        ("server", smb1(0x73, True, 0xC000006D, b"\0\0\0")),
    ])
    session(os.path.join(HERE, "pop3.pcap"), 110, [
        ("server", "+OK Dovecot ready. <1896.697170952@dbc.mtview.ca.us>\r\n"),
        ("client", "USER heidi\r\n"), ("server", "+OK\r\n"),
        ("client", "PASS w0rdpass\r\n"), ("server", "-ERR [AUTH] Authentication failed.\r\n"),
        ("client", "APOP heidi c4c9334bac560ecc979e58001b3e22fb\r\n"), ("server", "+OK maildrop has 1 message\r\n"),
    ])
    literal = b'pa"ss\\wd'
    session(os.path.join(HERE, "imap-2143.pcap"), 2143, [
        ("server", "* OK [CAPABILITY IMAP4rev1] ready\r\n"),
        ("client", b'a1 LOGIN "ivan \\"the\\" user" {%d}\r\n' % len(literal)),
        ("server", "+ go ahead\r\n"),
        ("client", literal + b"\r\n"),
        ("server", "a1 NO [AUTHENTICATIONFAILED] Invalid credentials\r\n"),
        ("client", "a2 LOGIN ivan atom-pass\r\n"), ("server", "a2 OK Logged in\r\n"),
        ("client", "a3 AUTHENTICATE PLAIN\r\n"), ("server", "+ \r\n"),
        ("client", b64("\0judy\0plain pass") + "\r\n"), ("server", "a3 OK done\r\n"),
    ])
    session(os.path.join(HERE, "smtp-submission.pcap"), 587, [
        ("server", "220 mail.example.org ESMTP\r\n"), ("client", "EHLO laptop\r\n"),
        ("server", "250-mail.example.org\r\n250 AUTH PLAIN LOGIN\r\n"),
        ("client", "AUTH LOGIN\r\n"), ("server", "334 VXNlcm5hbWU6\r\n"),
        ("client", b64("kim@example.org") + "\r\n"), ("server", "334 UGFzc3dvcmQ6\r\n"),
        ("client", b64("wrong-one") + "\r\n"), ("server", "535 5.7.8 Authentication failed\r\n"),
        ("client", "AUTH PLAIN %s\r\n" % b64("\0kim@example.org\0right-one")),
        ("server", "235 2.7.0 Authentication successful\r\n"),
        ("client", "QUIT\r\n"), ("server", "221 Bye\r\n"),
    ])
    # Telnet: negotiation, a login typed one character per packet and echoed, a silent password.
    steps = [("server", b"\xff\xfd\x18\xff\xfd\x20\xff\xfb\x01"), ("client", b"\xff\xfc\x18\xff\xfc\x20\xff\xfd\x01"),
             ("server", b"\r\nDebian GNU/Linux 12\r\nrouter login: ")]
    for ch in b"leo":
        steps.append(("client", bytes([ch])))
        steps.append(("server", bytes([ch])))
    steps += [("client", b"\r\x00"), ("server", b"\r\nPassword: ")]
    for ch in b"t3ln3t!":
        steps.append(("client", bytes([ch])))
    steps += [("client", b"\r\x00"), ("server", b"\r\nLast login: Mon Nov 23 10:00\r\nleo@router:~$ ")]
    session(os.path.join(HERE, "telnet.pcap"), 23, steps)
    session(os.path.join(HERE, "redis-inline.pcap"), 6380, [
        ("client", "AUTH s3cret-redis\r\n"), ("server", "+OK\r\n"),
        ("client", "*2\r\n$3\r\nGET\r\n$3\r\nkey\r\n"), ("server", "$5\r\nvalue\r\n"),
    ])
    startup = struct.pack(">I", 196608) + b"user\0app\0database\0prod\0\0"
    session(os.path.join(HERE, "postgresql-md5.pcap"), 5432, [
        ("client", struct.pack(">I", len(startup) + 4) + startup),
        ("server", b"R" + struct.pack(">II", 12, 5) + bytes.fromhex("a1b2c3d4")),
        ("client", b"p" + struct.pack(">I", 4 + 36) + b"md5" + b"0123456789abcdef0123456789abcdef" + b"\0"),
        ("server", b"R" + struct.pack(">II", 8, 0)),
    ])
    session(os.path.join(HERE, "postgresql-clear.pcap"), 5433, [
        ("client", struct.pack(">I", len(startup) + 4) + startup),
        ("server", b"R" + struct.pack(">II", 8, 3)),
        ("client", b"p" + struct.pack(">I", 4 + 10) + b"pg-secret\0"),
        ("server", b"E" + struct.pack(">I", 4 + 15) + b"SFATAL\0C28P01\0\0"),
    ], sport=41001)
    greeting = (b"\x0a" + b"8.0.35\0" + struct.pack("<I", 7) + b"abcdefgh" + b"\0" + struct.pack("<H", 0xffff)
                + b"\x21" + struct.pack("<H", 2) + struct.pack("<H", 0xdfff) + bytes([21]) + b"\0" * 10
                + b"ijklmnopqrst\0" + b"mysql_native_password\0")
    response = (struct.pack("<I", 0x000fa685) + struct.pack("<I", 16777216) + b"\x21" + b"\0" * 23 + b"root\0"
                + bytes([20]) + bytes(range(100, 120)) + b"shop\0")
    session(os.path.join(HERE, "mysql.pcap"), 3306, [
        ("server", struct.pack("<I", len(greeting))[:3] + b"\0" + greeting),
        ("client", struct.pack("<I", len(response))[:3] + b"\1" + response),
        ("server", b"\x07\0\0\x02" + b"\0\0\0\x02\0\0\0"),
    ])
    session(os.path.join(HERE, "vnc.pcap"), 5900, [
        ("server", "RFB 003.008\n"), ("client", "RFB 003.008\n"), ("server", b"\x01\x02"), ("client", b"\x02"),
        ("server", bytes(range(16))), ("client", bytes(range(16, 32))), ("server", b"\0\0\0\x01"),
    ])


def tls_record(handshake_type, body, record_version=0x0301):
    message = bytes([handshake_type]) + len(body).to_bytes(3, "big") + body
    return bytes([0x16]) + struct.pack(">HH", record_version, len(message)) + message


def client_hello(version, server_name):
    name = server_name.encode()
    sni = struct.pack(">HBH", len(name) + 3, 0, len(name)) + name
    extensions = struct.pack(">HH", 0, len(sni)) + sni
    body = struct.pack(">H", version) + b"\x11" * 32 + b"\0" + struct.pack(">H", 2) + b"\x00\x2f" + b"\x01\x00"
    return tls_record(1, body + struct.pack(">H", len(extensions)) + extensions)


def server_hello(version, supported=None):
    extensions = struct.pack(">HHH", 43, 2, supported) if supported else b""
    body = struct.pack(">H", version) + b"\x22" * 32 + b"\0" + b"\x00\x2f" + b"\x00"
    return tls_record(2, body + struct.pack(">H", len(extensions)) + extensions, 0x0303)


def handshake_fixtures():
    session(os.path.join(HERE, "tls10-sni.pcap"), 8443, [
        ("client", client_hello(0x0301, "legacy.example.org")), ("server", server_hello(0x0301)),
        ("server", b"\x17\x03\x01\x00\x05hello"),
    ])
    session(os.path.join(HERE, "tls13.pcap"), 443, [
        ("client", client_hello(0x0303, "www.example.org")), ("server", server_hello(0x0303, 0x0304)),
    ], sport=41002)
    session(os.path.join(HERE, "ssh-v1.pcap"), 2222, [
        ("server", "SSH-1.5-OpenSSH_2.9p2\n"), ("client", "SSH-1.5-PuTTY_0.50\n"), ("client", b"\0" * 40),
    ])
    session(os.path.join(HERE, "ssh-v2.pcap"), 22, [
        ("server", "SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n"), ("client", "SSH-2.0-OpenSSH_9.6\r\n"),
    ], sport=41003)
    smb1 = b"\xffSMB" + b"\x72" + b"\0" * 27 + b"\0\x0c\0\x02NT LM 0.12\0"
    session(os.path.join(HERE, "smb1-negotiate.pcap"), 445, [
        ("client", struct.pack(">I", len(smb1)) + smb1),
    ])


def der(tag, value):
    length = len(value)
    if length < 0x80:
        return bytes([tag, length]) + value
    octets = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([tag, 0x80 | len(octets)]) + octets + value


def ctx(number, value):
    return der(0xA0 | number, value)


def kint(value):
    return der(0x02, value.to_bytes(max(1, (value.bit_length() + 8) // 8), "big"))


def principal(*names):
    return der(0x30, ctx(0, kint(1)) + ctx(1, der(0x30, b"".join(der(0x1B, n.encode()) for n in names))))


def encrypted_data(etype, cipher):
    return der(0x30, ctx(0, kint(etype)) + ctx(2, der(0x04, cipher)))


def as_req(user, realm, etype, cipher):
    pa = der(0x30, ctx(1, kint(2)) + ctx(2, der(0x04, encrypted_data(etype, cipher))))
    body = der(0x30, ctx(0, der(0x03, b"\0\x40\x81\0\x10")) + ctx(1, principal(user)) + ctx(2, der(0x1B, realm.encode()))
               + ctx(3, principal("krbtgt", realm)))
    return der(0x6A, der(0x30, ctx(1, kint(5)) + ctx(2, kint(10)) + ctx(3, der(0x30, pa)) + ctx(4, body)))


def tgs_rep(user, realm, service, cipher):
    ticket = der(0x61, der(0x30, ctx(0, kint(5)) + ctx(1, der(0x1B, realm.encode())) + ctx(2, principal(*service))
                           + ctx(3, encrypted_data(23, cipher))))
    return der(0x6D, der(0x30, ctx(0, kint(5)) + ctx(1, kint(13)) + ctx(3, der(0x1B, realm.encode()))
                         + ctx(4, principal(user)) + ctx(5, ticket) + ctx(6, encrypted_data(23, b"\x55" * 40))))


def krb_error(code, realm):
    return der(0x7E, der(0x30, ctx(0, kint(5)) + ctx(1, kint(30)) + ctx(4, der(0x18, b"20231114221320Z"))
                         + ctx(5, kint(0)) + ctx(6, kint(code)) + ctx(9, der(0x1B, realm.encode()))
                         + ctx(10, principal("krbtgt", realm))))


def as_rep(user, realm):
    ticket = der(0x61, der(0x30, ctx(0, kint(5)) + ctx(1, der(0x1B, realm.encode())) + ctx(2, principal("krbtgt", realm))
                           + ctx(3, encrypted_data(18, b"\x44" * 64))))
    return der(0x6B, der(0x30, ctx(0, kint(5)) + ctx(1, kint(11)) + ctx(3, der(0x1B, realm.encode()))
                         + ctx(4, principal(user)) + ctx(5, ticket) + ctx(6, encrypted_data(18, b"\x66" * 48))))


def kerberos_fixtures():
    """AS-REQ with RC4 pre-authentication over UDP refused (KDC_ERR_PREAUTH_FAILED), with AES256
    over TCP granted (AS-REP), and an RC4 service ticket (TGS-REP) over TCP."""
    writer = g.PcapWriter(os.path.join(HERE, "kerberos.pcap"))
    link = g.Link(writer, start=1700005000.0)
    link.udp(client, server, 50088, 88, as_req("paula", "CORP.EXAMPLE", 23, bytes(range(52))))
    link.udp(server, client, 88, 50088, krb_error(24, "CORP.EXAMPLE"))
    c = g.Conversation(link, client, server, 40088, 88).handshake()
    message = as_req("quinn", "CORP.EXAMPLE", 18, bytes(range(60)))
    c.send("client", struct.pack(">I", len(message)) + message, [10])
    granted = as_rep("quinn", "CORP.EXAMPLE")
    c.send("server", struct.pack(">I", len(granted)) + granted)
    reply = tgs_rep("quinn", "CORP.EXAMPLE", ("MSSQLSvc", "db01.corp.example:1433"), bytes(range(200)))
    c.send("server", struct.pack(">I", len(reply)) + reply)
    c.close()
    writer.close()


def dns_name(name):
    return b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"


def netbios_encode(name):
    padded = name.upper().ljust(15)[:15].encode() + b"\0"
    return bytes([32]) + bytes(c for b in padded for c in (0x41 + (b >> 4), 0x41 + (b & 0x0F))) + b"\0"


def device_fixtures():
    """IPv6 neighbour advertisement, DHCPv6 solicit and reply, NBNS registration."""
    writer = g.PcapWriter(os.path.join(HERE, "devices-ipv6-nbns.pcap"))
    link = g.Link(writer, start=1700006000.0)
    printer = g.Host("fe80::211:22ff:fe33:4455", "00:11:22:33:44:55")
    router = g.Host("fe80::1", "00:1b:21:00:00:01")
    target = bytes.fromhex("fe800000000000000211 22fffe334455".replace(" ", ""))
    advert = bytes([136, 0, 0, 0]) + b"\x60\0\0\0" + target + bytes([2, 1]) + bytes.fromhex("001122334455")
    link.send(printer, router, g.ipv6(printer.ip, "ff02::1", 58, advert))
    laptop = g.Host("fe80::aaaa:bbff:fecc:dd01", "aa:aa:bb:cc:dd:01")
    duid = struct.pack(">HH", 3, 1) + bytes.fromhex("aaaabbccdd01")
    solicit = bytes([1, 0x12, 0x34, 0x56]) + struct.pack(">HH", 1, len(duid)) + duid
    fqdn = b"\x01" + dns_name("laptop-7.corp.example")
    solicit += struct.pack(">HH", 39, len(fqdn)) + fqdn
    link.send(laptop, router, g.ipv6(laptop.ip, "ff02::1:2", 17, g.udp(laptop.ip, "ff02::1:2", 546, 547, solicit)))
    ia_address = struct.pack(">HH", 5, 24) + bytes.fromhex("20010db8000000000000000000000042") + struct.pack(">II", 3600, 7200)
    ia = struct.pack(">III", 1, 1800, 2880) + ia_address
    reply = bytes([7, 0x12, 0x34, 0x56]) + struct.pack(">HH", 1, len(duid)) + duid + struct.pack(">HH", 3, len(ia)) + ia
    link.send(router, laptop, g.ipv6(router.ip, laptop.ip, 17, g.udp(router.ip, laptop.ip, 547, 546, reply)))
    pc = g.Host("192.168.1.77", "00:16:3e:00:00:77")
    registration = struct.pack(">HHHHHH", 0x1234, 0x2910, 1, 0, 0, 1) + netbios_encode("ACCOUNTING-PC") + struct.pack(">HH", 0x20, 1)
    registration += b"\xc0\x0c" + struct.pack(">HHIH", 0x20, 1, 300000, 6) + b"\0\0" + bytes([192, 168, 1, 77])
    link.udp(pc, g.Host("192.168.1.255", "ff:ff:ff:ff:ff:ff"), 137, 137, registration)
    writer.close()


class InterfaceWriter:
    """Writes through a PcapngWriter onto one of its interfaces."""

    def __init__(self, writer, interface):
        self.writer = writer
        self.interface = interface

    def write(self, timestamp_ns, frame):
        self.writer.write(timestamp_ns, frame, interface=self.interface)


def mixed_link_types(path):
    """pcapng with two interfaces, Ethernet and raw IPv4 (libpcap 1.10 refuses such files), a
    login on each; the second interface is declared after the first login's packets."""
    writer = g.PcapngWriter(path)
    for index, (linktype, user, password) in enumerate(
            [(g.LINKTYPE_ETHERNET, "nina", "on-ethernet"), (g.LINKTYPE_RAW, "omar", "on-raw-ip")]):
        interface = 0 if index == 0 else writer.add_interface(linktype)
        link = g.Link(InterfaceWriter(writer, interface), linktype=linktype, start=1700004000.0 + index)
        c = g.Conversation(link, client, server, 40060 + index, 21).handshake()
        c.ftp_login(user, password)
        c.close()
    writer.close()


def snmp_message(community, pdu_tag, version=1):
    def tlv(tag, value):
        return bytes([tag, len(value)]) + value
    varbind = tlv(0x30, tlv(0x30, tlv(0x06, b"\x2b\x06\x01\x02\x01\x01\x05\x00") + b"\x04\x03abc"))
    pdu = tlv(pdu_tag, tlv(0x02, b"\x01") + tlv(0x02, b"\x00") + tlv(0x02, b"\x00") + varbind)
    return tlv(0x30, tlv(0x02, bytes([version])) + tlv(0x04, community) + pdu)


def fragmented_snmp(path):
    """An SNMP SetRequest cut into three IPv4 fragments sent out of order, never answered."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700002000.0)
    datagram = g.udp(client.ip, server.ip, 50000, 161, snmp_message(b"private-rw", 0xA3) + b"\0" * 40)
    pieces = [(0, datagram[:32], True), (32, datagram[32:64], True), (64, datagram[64:], False)]
    for index in (2, 0, 1):
        offset, data, more = pieces[index]
        header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(data), 777, (0x2000 if more else 0) | offset // 8,
                             64, 17, 0, bytes(map(int, client.ip.split("."))), bytes(map(int, server.ip.split("."))))
        link.send(client, server, header + data)
    writer.close()


def ipv6_extension_headers(path):
    """FTP over IPv6 with a hop-by-hop and a destination options header before TCP."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700003000.0)
    a = g.Host("2001:db8::50", client.mac)
    b = g.Host("2001:db8::20", server.mac)
    original = link.ip

    def with_options(src, dst, protocol, payload, ident=1):
        hop = bytes([60, 0]) + b"\x01\x04\0\0\0\0"  # next: destination options; PadN
        dest = bytes([protocol, 0]) + b"\x01\x04\0\0\0\0"
        return g.ipv6(src.ip, dst.ip, 0, hop + dest + payload)

    link.ip = with_options
    c = g.Conversation(link, a, b, 40050, 21).handshake()
    c.ftp_login("mike", "over-ipv6")
    c.close()
    link.ip = original
    writer.close()


def corrupt_fixtures():
    import shutil
    source = os.path.join(HERE, "ftp-port-2121.pcap")
    with open(source, "rb") as f:
        data = bytearray(f.read())
    # The 5th record claims a captured length of 0x7fffffff bytes.
    offset = 24
    for _ in range(4):
        caplen = struct.unpack_from("<I", data, offset + 8)[0]
        offset += 16 + caplen
    absurd = bytearray(data)
    struct.pack_into("<I", absurd, offset + 8, 0x7FFFFFFF)
    with open(os.path.join(HERE, "absurd-caplen.pcap"), "wb") as f:
        f.write(absurd)
    # Zero-length records between the real ones.
    zero = bytearray(data[:24])
    position = 24
    while position < len(data):
        caplen = struct.unpack_from("<I", data, position + 8)[0]
        zero += data[position:position + 16 + caplen]
        zero += struct.pack("<IIII", 1700000000, 0, 0, 0)
        position += 16 + caplen
    with open(os.path.join(HERE, "zero-length-records.pcap"), "wb") as f:
        f.write(zero)
    # Garbage after a valid header.
    rng = random.Random(7)
    with open(os.path.join(HERE, "garbage-after-header.pcap"), "wb") as f:
        f.write(data[:24] + bytes(rng.randrange(256) for _ in range(3000)))
    del shutil


def truncated(source, path, cut):
    with open(source, "rb") as f:
        data = f.read()
    with open(path, "wb") as f:
        f.write(data[:len(data) - cut])


def garbage(path):
    rng = random.Random(20261123)
    with open(path, "wb") as f:
        f.write(b"This is not a capture. " + bytes(rng.randrange(256) for _ in range(4000)))


def hostile_values(path):
    """Values an attacker controls, made to steer a terminal or forge a report line: an FTP user
    name with escape sequences (set the window title, move the cursor up, erase the line), and an
    HTTP Basic user name with a line break and a fake finding after it."""
    writer = g.PcapWriter(path)
    link = g.Link(writer, start=1700002000.0)
    c = g.Conversation(link, client, server, 43000, 21).handshake()
    c.ftp_login("\x1b]2;owned\x07\x1b[1A\x1b[2Kroot", "Tr0ub4dor&3", reply="230 OK\r\n")
    c.close()
    h = g.Conversation(link, client, server, 43001, 80).handshake()
    h.send("client", "GET /admin HTTP/1.1\r\nHost: nas\r\nAuthorization: Basic %s\r\n\r\n"
           % b64("bob\n[INFO] forged: nothing to see\r\n=cmd|' /C calc'!A0:pw1"))
    h.send("server", "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
    h.close()
    writer.close()


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
    protocol_fixtures()
    handshake_fixtures()
    mixed_link_types(os.path.join(HERE, "mixed-link-types.pcapng"))
    kerberos_fixtures()
    device_fixtures()
    writer = g.PcapWriter(os.path.join(HERE, "snmp-fragmented.pcap"))
    writer.close()
    fragmented_snmp(os.path.join(HERE, "snmp-fragmented.pcap"))
    ipv6_extension_headers(os.path.join(HERE, "ftp-ipv6-extension-headers.pcap"))
    corrupt_fixtures()
    # The last record (a final ACK, 54 + 16 bytes) loses 20 bytes: every login is before it.
    truncated(os.path.join(HERE, "ftp-port-2121.pcap"), os.path.join(HERE, "truncated.pcap"), 20)
    truncated(os.path.join(HERE, "ftp-port-2121.pcap"), os.path.join(HERE, "truncated-header-only.pcap"),
              os.path.getsize(os.path.join(HERE, "ftp-port-2121.pcap")) - 30)
    garbage(os.path.join(HERE, "garbage.pcap"))
    bad_header(os.path.join(HERE, "bad-header.pcap"))
    hostile_values(os.path.join(HERE, "hostile-values.pcap"))
    print("wrote the fixtures in", HERE)
