#!/usr/bin/env python3
"""Writes a large synthetic office capture for bench/capture.sh (deterministic).

    python3 bench/make-capture.py OUT.pcap [MEGABYTES] [full|small]

`full` (default): mostly full-size segments, as below. `small`: mostly small packets in many
short flows (one short request and answer per connection, DNS), the case that stresses the
per-packet and per-connection costs.

Traffic mix, repeated until the file reaches the size asked (default 200 MB): web downloads
(GET + a 48 KiB response in 1448-byte segments), TLS-like binary sessions, DNS queries, SMTP
hand-offs and, every 200th connection, an FTP login in clear text on port 21 or 2121. Checksums
are valid: dsniff's libnids drops segments with bad ones, and the baseline must do its work.
"""

import os
import random
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "samples"))
import pcapgen as g  # noqa: E402


def host(connection):
    """One of 2,000 office hosts, each with a fixed MAC, as on a real network."""
    number = connection % 2000
    subnet, node = 2 + number // 250, 1 + number % 250
    return g.Host("10.0.%d.%d" % (subnet, node), "3c:22:fb:00:%02x:%02x" % (subnet, node))


def main():
    out = sys.argv[1]
    megabytes = int(sys.argv[2]) if len(sys.argv) > 2 else 200
    if len(sys.argv) > 3 and sys.argv[3] == "small":
        return small(out, megabytes)
    target = megabytes * 1_000_000
    rng = random.Random(42)
    writer = g.PcapWriter(out)
    link = g.Link(writer, start=1763715600.0, step=0.00002)
    server_web = g.Host("10.0.1.80", "00:1b:21:00:01:80")
    server_ftp = g.Host("10.0.1.21", "00:1b:21:00:01:21")
    server_mail = g.Host("10.0.1.25", "00:1b:21:00:01:25")
    resolver = g.Host("10.0.0.1", "00:1b:21:00:00:01")
    body = bytes(rng.randrange(256) for _ in range(48 * 1024))
    secret_blob = bytes(rng.randrange(256) for _ in range(16 * 1024))
    connection = 0
    logins = 0
    while writer.file.tell() < target:
        connection += 1
        client = host(connection)
        sport = 1024 + connection % 60000
        kind = connection % 10
        if connection % 200 == 0:
            logins += 1
            port = 21 if logins % 2 else 2121
            c = g.Conversation(link, client, server_ftp, sport, port, client_isn=rng.randrange(1 << 32), fast=False)
            c.handshake()
            c.ftp_login("user%d" % logins, "Winter%d!" % logins, banner="220 files FTP\r\n",
                        prompt="331 Password required\r\n",
                        reply="230 Logged in\r\n" if logins % 3 else "530 Login incorrect\r\n")
            c.close()
        elif kind < 6:
            c = g.Conversation(link, client, server_web, sport, 80, client_isn=rng.randrange(1 << 32), fast=False)
            c.handshake()
            c.send("client", "GET /files/%d HTTP/1.1\r\nHost: intranet\r\nAccept: */*\r\n\r\n" % connection)
            response = b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % len(body) + body
            c.send("server", response, split=list(range(1448, len(response), 1448)))
            c.close()
        elif kind < 9:
            c = g.Conversation(link, client, server_web, sport, 443, client_isn=rng.randrange(1 << 32), fast=False)
            c.handshake()
            c.send("client", b"\x16\x03\x01\x02\x00" + secret_blob[:512])
            c.send("server", b"\x16\x03\x03" + secret_blob, split=list(range(1448, len(secret_blob), 1448)))
            c.close()
        else:
            link.udp(client, resolver, sport, 53, g.dns_query(connection & 0xFFFF, "host%d.example.org" % connection))
            c = g.Conversation(link, client, server_mail, sport, 25, client_isn=rng.randrange(1 << 32), fast=False)
            c.handshake()
            c.send("server", "220 mail ESMTP\r\n")
            c.send("client", "EHLO client%d\r\n" % connection)
            c.send("server", "250 mail\r\n")
            c.send("client", "QUIT\r\n")
            c.close()
    writer.close()
    print("wrote %s: %d bytes, %d connections, %d FTP logins" % (out, os.path.getsize(out), connection, logins))


def small(out, megabytes):
    target = megabytes * 1_000_000
    rng = random.Random(43)
    writer = g.PcapWriter(out)
    link = g.Link(writer, start=1763715600.0, step=0.00001)
    servers = [g.Host("10.0.1.%d" % n, "00:1b:21:00:02:%02x" % n) for n in range(1, 9)]
    resolver = g.Host("10.0.0.1", "00:1b:21:00:00:01")
    connection = 0
    logins = 0
    while writer.file.tell() < target:
        connection += 1
        client = host(connection)
        sport = 1024 + connection % 60000
        server = servers[connection % len(servers)]
        if connection % 3 == 0:
            link.udp(client, resolver, sport, 53, g.dns_query(connection & 0xFFFF, "h%d.example.org" % connection))
            continue
        if connection % 500 == 0:
            logins += 1
            c = g.Conversation(link, client, server, sport, 21, client_isn=rng.randrange(1 << 32), fast=False)
            c.handshake()
            c.ftp_login("u%d" % logins, "p%d" % logins, banner="220 ftp\r\n", prompt="331 pw\r\n",
                        reply="230 ok\r\n")
            c.close()
            continue
        c = g.Conversation(link, client, server, sport, 8080, client_isn=rng.randrange(1 << 32), fast=False)
        c.handshake()
        c.send("client", "GET /s HTTP/1.1\r\nHost: a\r\n\r\n")
        c.send("server", "HTTP/1.1 204 No Content\r\n\r\n")
        c.close()
    writer.close()
    print("wrote %s: %d bytes, %d flows, %d FTP logins" % (out, os.path.getsize(out), connection, logins))


if __name__ == "__main__":
    main()
