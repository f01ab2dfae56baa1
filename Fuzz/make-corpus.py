#!/usr/bin/env python3
"""Seed corpora for Vigil's fuzz targets, made from the test fixtures and samples.

    python3 Fuzz/make-corpus.py OUT_DIR

writes OUT_DIR/<Target>/ for every target in Fuzz/Package.swift. Captures are also cut into
the framings FuzzFrames and FuzzFlows read (see their Harness.swift). Deterministic: the same
fixtures give the same corpus. The conformance data beside the project is used when present.
"""
import gzip
import hashlib
import os
import struct
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "conformance"
LINK_TYPES = [1, 0, 12, 14, 101, 108, 113, 228, 229, 276, 147]  # FuzzFrames' order
TCP_PORTS = [21, 22, 23, 25, 80, 88, 110, 135, 139, 143, 389, 443, 445, 465, 587, 993, 1433, 2121, 3306,
             3389, 5432, 5900, 6379, 8080, 9999]
UDP_PORTS = [53, 67, 68, 88, 137, 161, 162, 389, 514, 1900, 5353, 9999]


def put(out, target, data, name=None):
    folder = out / target
    folder.mkdir(parents=True, exist_ok=True)
    name = name or hashlib.sha1(data).hexdigest()[:16]
    (folder / name).write_bytes(data)


def pcap_packets(data):
    """(link type, frame) of every record of a classic pcap or a simple pcapng."""
    if len(data) < 24:
        return []
    magic = data[:4]
    packets = []
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        endian = "<" if magic[0] in (0xD4, 0x4D) else ">"
        link = struct.unpack(endian + "I", data[20:24])[0] & 0x0FFFFFFF
        offset = 24
        while offset + 16 <= len(data):
            caplen = struct.unpack(endian + "I", data[offset + 8:offset + 12])[0]
            if caplen > 262144 or offset + 16 + caplen > len(data):
                break
            packets.append((link, data[offset + 16:offset + 16 + caplen]))
            offset += 16 + caplen
    elif magic == b"\x0a\x0d\x0d\x0a":
        endian = "<" if data[8:12] == b"\x4d\x3c\x2b\x1a" else ">"
        links = []
        offset = 0
        while offset + 12 <= len(data):
            kind, length = struct.unpack(endian + "II", data[offset:offset + 8])
            if length < 12 or offset + length > len(data):
                break
            body = data[offset + 8:offset + length - 4]
            if kind == 1:
                links.append(struct.unpack(endian + "H", body[:2])[0])
            elif kind == 6 and len(body) >= 20:
                interface, _, _, caplen = struct.unpack(endian + "IIII", body[:16])
                if interface < len(links):
                    packets.append((links[interface], body[20:20 + caplen]))
            offset += length
    return packets


def frames_seed(packets):
    by_link = {}
    for link, frame in packets:
        by_link.setdefault(link, []).append(frame)
    for link, frames in by_link.items():
        index = LINK_TYPES.index(link) if link in LINK_TYPES else len(LINK_TYPES) - 1
        out = bytearray([index])
        for frame in frames[:64]:
            frame = frame[:65535]
            out += struct.pack("<H", len(frame)) + frame
        yield bytes(out)


def ethernet_ipv4(frame):
    """(protocol, source, destination, sport, dport, payload) of an Ethernet IPv4 TCP/UDP frame."""
    offset = 12
    ether = struct.unpack(">H", frame[offset:offset + 2])[0] if len(frame) >= 14 else 0
    offset += 2
    while ether in (0x8100, 0x88A8) and len(frame) >= offset + 4:
        ether = struct.unpack(">H", frame[offset + 2:offset + 4])[0]
        offset += 4
    if ether != 0x0800 or len(frame) < offset + 20:
        return None
    ip = frame[offset:]
    header = (ip[0] & 0x0F) * 4
    protocol = ip[9]
    source, destination = ip[12:16], ip[16:20]
    total = struct.unpack(">H", ip[2:4])[0]
    body = ip[header:total] if total >= header else ip[header:]
    if protocol == 6 and len(body) >= 20:
        sport, dport = struct.unpack(">HH", body[:4])
        return (6, source, destination, sport, dport, body[(body[12] >> 4) * 4:])
    if protocol == 17 and len(body) >= 8:
        sport, dport = struct.unpack(">HH", body[:4])
        return (17, source, destination, sport, dport, body[8:])
    return None


def flows_seeds(packets):
    flows = {}
    for link, frame in packets:
        if link != 1:
            continue
        parsed = ethernet_ipv4(frame)
        if not parsed:
            continue
        protocol, source, destination, sport, dport, payload = parsed
        ports = TCP_PORTS if protocol == 6 else UDP_PORTS
        server_port = dport if dport in ports else (sport if sport in ports else dport)
        from_client = dport == server_port
        client = (source, sport) if from_client else (destination, dport)
        key = (protocol, client, server_port)
        flows.setdefault(key, []).append((from_client, payload))
    for (protocol, client, server_port), segments in flows.items():
        ports = TCP_PORTS if protocol == 6 else UDP_PORTS
        index = ports.index(server_port) if server_port in ports else len(ports) - 1
        out = bytearray([index | (0x80 if protocol == 17 else 0), client[1] & 0xFF, 0])
        useful = False
        for from_client, payload in segments:
            if not payload:
                continue
            useful = True
            payload = payload[:65535]
            control = (0 if from_client else 1) | (0x40 if len(payload) > 255 else 0)
            out.append(control)
            out.append(len(payload) & 0xFF)
            if len(payload) > 255:
                out.append(len(payload) >> 8)
            out += payload
        if useful:
            yield bytes(out)


def main():
    out = Path(sys.argv[1])
    captures = sorted((ROOT / "Tests/VigilCaptureTests/Fixtures").glob("*.pcap*"))
    captures += sorted((ROOT / "samples").glob("*.pcap*"))
    captures += sorted((SHARED / "net").glob("*.pcap*")) if SHARED.exists() else []
    for path in captures:
        data = path.read_bytes()
        put(out, "FuzzCaptureFile", data, path.name)
        packets = pcap_packets(data)
        for seed in frames_seed(packets):
            put(out, "FuzzFrames", seed)
        for seed in flows_seeds(packets):
            put(out, "FuzzFlows", seed)

    logs = [p for p in sorted((ROOT / "Tests/VigilLogsTests/Fixtures").iterdir())
            if p.is_file() and p.suffix not in (".py", ".gz", ".json")]
    logs += sorted((ROOT / "samples/logs").iterdir())
    if SHARED.exists():
        logs += sorted(p for p in (SHARED / "logs").rglob("*") if p.is_file())
    for path in logs:
        data = path.read_bytes()[:32768]
        put(out, "FuzzLogLines", b"\x00" + data, path.name)
        put(out, "FuzzLogLines", b"\x0e" + data, path.name + "-cet")
    put(out, "FuzzLogLines", b"\x00TZ=EST5EDT,M3.2.0,M11.1.0\nMar 10 02:30:00 host sshd[1]: Accepted password "
        b"for root from 10.0.0.1 port 22 ssh2\n", "posix-zone")

    for path in sorted((ROOT / "Tests/VigilLogsTests/Fixtures").glob("*.json")):
        put(out, "FuzzJournal", path.read_bytes(), path.name)

    for path in sorted((ROOT / "Tests/VigilLogsTests/Fixtures").glob("*.gz")):
        put(out, "FuzzGzip", path.read_bytes(), path.name)
    for path in logs[:4]:
        put(out, "FuzzGzip", gzip.compress(path.read_bytes()[:8192], mtime=0), path.name + ".gz")

    rules = sorted((ROOT / "rules").rglob("*.yml"))
    if SHARED.exists():
        rules += sorted((SHARED / "sigma").rglob("*.yml"))
    for path in rules:
        put(out, "FuzzRules", path.read_bytes(), path.parent.name + "-" + path.name)
    # Conditions near and past the nesting limit: parentheses, chains of `not`, both mixed.
    head = b"title: d\nid: d\nlogsource: {product: linux}\ndetection:\n    sel: {user.name: x}\n    condition: "
    for depth in (63, 64, 65, 3000):
        put(out, "FuzzRules", head + b"(" * depth + b"sel" + b")" * depth + b"\n", "deep-parentheses-%d.yml" % depth)
        put(out, "FuzzRules", head + b"not " * depth + b"sel\n", "deep-not-%d.yml" % depth)
    put(out, "FuzzRules", head + b"(not " * 40 + b"sel" + b")" * 40 + b"\n", "deep-mixed.yml")
    put(out, "FuzzRules", head.replace(b"sel: {user.name: x}", b"sel: {user.name: " + b"[" * 2000 + b"x" + b"]" * 2000 + b"}")
        + b"sel\n", "deep-yaml.yml")

    for path in sorted((ROOT / "Tests/VigilDisposalTests/Fixtures").glob("nwipe-*.log")):
        put(out, "FuzzNwipe", path.read_bytes(), path.name)

    certificate = (b'{"asset":"LAP-0042","device":{"model":"Samsung SSD 860","serial":"S3Z1NB0K123456",'
                   b'"size":1073741824},"organisation":"Example Ltd","sanitization":{"category":"clear",'
                   b'"method":"zero","tool":"nwipe"},"verification":{"result":"pass","sampled":false},'
                   b'"version":1}')
    put(out, "FuzzCertificate", certificate, "certificate.json")
    put(out, "FuzzCertificate", b'[1,-2.5e3,"a\\u00e9\\n",true,null,{"b":{}}]', "values.json")
    with tempfile.TemporaryDirectory() as folder:
        key, cert, content = (Path(folder) / n for n in ("key.pem", "cert.pem", "c.json"))
        content.write_bytes(certificate)
        made = subprocess.run(
            ["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
             "-subj", "/CN=fuzz", "-days", "1", "-keyout", str(key), "-out", str(cert)],
            capture_output=True)
        signed = made.returncode == 0 and subprocess.run(
            ["openssl", "cms", "-sign", "-binary", "-md", "sha256", "-in", str(content), "-signer", str(cert),
             "-inkey", str(key), "-outform", "DER", "-out", str(Path(folder) / "c.p7s")],
            capture_output=True).returncode == 0
        if signed:
            put(out, "FuzzCertificate", (Path(folder) / "c.p7s").read_bytes(), "signature.p7s")
    for target in sorted(p.name for p in out.iterdir()):
        print(f"{target}: {len(list((out / target).iterdir()))} seeds")


if __name__ == "__main__":
    main()
