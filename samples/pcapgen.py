"""Small, dependency-free pcap/pcapng writer and packet builder for Vigil's samples,
test fixtures and benchmark captures.

Only the Python standard library is used, so every generator runs on a fresh machine.
Packets carry correct IPv4, TCP and UDP checksums unless a caller asks otherwise.
"""

import ipaddress
import struct
import sys

LINKTYPE_NULL = 0
LINKTYPE_ETHERNET = 1
LINKTYPE_RAW = 101
LINKTYPE_LINUX_SLL = 113
LINKTYPE_LINUX_SLL2 = 276


class PcapWriter:
    """Writes a classic pcap file: either byte order, micro- or nanosecond stamps."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, nanosecond=False, big_endian=False, snaplen=262144):
        self.file = open(path, "wb")
        self.order = ">" if big_endian else "<"
        self.nanosecond = nanosecond
        magic = 0xA1B23C4D if nanosecond else 0xA1B2C3D4
        self.file.write(struct.pack(self.order + "IHHiIII", magic, 2, 4, 0, 0, snaplen, linktype))

    def write(self, timestamp_ns, frame, original_length=None):
        seconds, nanos = divmod(timestamp_ns, 1_000_000_000)
        fraction = nanos if self.nanosecond else nanos // 1000
        length = len(frame) if original_length is None else original_length
        self.file.write(struct.pack(self.order + "IIII", seconds, fraction, len(frame), length))
        self.file.write(frame)

    def close(self):
        self.file.close()


class PcapngWriter:
    """Writes a pcapng file with one section and one interface (microsecond stamps)."""

    def __init__(self, path, linktype=LINKTYPE_ETHERNET, snaplen=262144):
        self.file = open(path, "wb")
        shb_body = struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)
        self._block(0x0A0D0D0A, shb_body)
        idb_body = struct.pack("<HHI", linktype, 0, snaplen)
        self._block(0x00000001, idb_body)

    def _block(self, block_type, body):
        padded = body + b"\0" * ((4 - len(body) % 4) % 4)
        total = 12 + len(padded)
        self.file.write(struct.pack("<II", block_type, total) + padded + struct.pack("<I", total))

    def add_interface(self, linktype, snaplen=262144):
        """Declares another interface (several link types in one section); returns its id."""
        self._block(0x00000001, struct.pack("<HHI", linktype, 0, snaplen))
        self.interfaces = getattr(self, "interfaces", 1) + 1
        return self.interfaces - 1

    def write(self, timestamp_ns, frame, original_length=None, interface=0):
        micros = timestamp_ns // 1000
        length = len(frame) if original_length is None else original_length
        body = struct.pack("<IIIII", interface, micros >> 32, micros & 0xFFFFFFFF, len(frame), length) + frame
        self._block(0x00000006, body)

    def close(self):
        self.file.close()


def checksum(data):
    """The Internet checksum (RFC 1071). Words are summed in the machine's byte order, which
    gives the same one's-complement sum byte-swapped; the result is swapped back."""
    if len(data) % 2:
        data += b"\0"
    total = sum(memoryview(data).cast("H"))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    if sys.byteorder == "little":
        total = ((total & 0xFF) << 8) | (total >> 8)
    return ~total & 0xFFFF


def mac(text):
    return bytes(int(part, 16) for part in text.split(":"))


def ethernet(src_mac, dst_mac, ethertype, payload, vlan=None):
    """An Ethernet II frame. `vlan` is one 802.1Q tag id, or a list of (TPID, id) pairs for
    stacked tags (QinQ: [(0x88A8, outer), (0x8100, inner)])."""
    header = mac(dst_mac) + mac(src_mac)
    tags = [] if vlan is None else ([(0x8100, vlan)] if isinstance(vlan, int) else vlan)
    for tpid, tag in tags:
        header += struct.pack("!HH", tpid, tag)
    frame = header + struct.pack("!H", ethertype) + payload
    return frame + b"\0" * max(0, 60 - len(frame))  # minimum frame size: pads, as a NIC would


def linux_sll(ethertype, payload, src_mac="02:00:00:00:00:01"):
    address = mac(src_mac) + b"\0\0"
    return struct.pack("!HHH", 0, 1, 6) + address + struct.pack("!H", ethertype) + payload


def linux_sll2(ethertype, payload, src_mac="02:00:00:00:00:01", interface=2):
    return struct.pack("!HHIHBB", ethertype, 0, interface, 1, 0, 6) + mac(src_mac) + b"\0\0" + payload


def ipv4(src, dst, protocol, payload, ident=1, ttl=64):
    header = struct.pack(
        "!BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), ident & 0xFFFF, 0x4000, ttl, protocol, 0,
        ipaddress.IPv4Address(src).packed, ipaddress.IPv4Address(dst).packed)
    header = header[:10] + struct.pack("!H", checksum(header)) + header[12:]
    return header + payload


def ipv6(src, dst, next_header, payload, hop_limit=64):
    return struct.pack(
        "!IHBB16s16s", 6 << 28, len(payload), next_header, hop_limit,
        ipaddress.IPv6Address(src).packed, ipaddress.IPv6Address(dst).packed) + payload


def _pseudo_header(src, dst, protocol, length):
    a = ipaddress.ip_address(src)
    b = ipaddress.ip_address(dst)
    if a.version == 4:
        return a.packed + b.packed + struct.pack("!BBH", 0, protocol, length)
    return a.packed + b.packed + struct.pack("!IxxxB", length, protocol)


TCP_FIN, TCP_SYN, TCP_RST, TCP_PSH, TCP_ACK = 0x01, 0x02, 0x04, 0x08, 0x10


def tcp(src, dst, sport, dport, seq, ack, flags, payload=b"", window=64240, bad_checksum=False, fast=False):
    """A TCP segment. `fast` leaves the checksum zero (as checksum offload does) to save time
    when generating large benchmark captures."""
    header = struct.pack("!HHIIBBHHH", sport, dport, seq & 0xFFFFFFFF, ack & 0xFFFFFFFF, 5 << 4, flags, window, 0, 0)
    segment = header + payload
    if fast:
        return segment
    value = checksum(_pseudo_header(src, dst, 6, len(segment)) + segment)
    if bad_checksum:
        value ^= 0x5A5A
    return segment[:16] + struct.pack("!H", value) + segment[18:]


def udp(src, dst, sport, dport, payload):
    datagram = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    value = checksum(_pseudo_header(src, dst, 17, len(datagram)) + datagram) or 0xFFFF
    return datagram[:6] + struct.pack("!H", value) + datagram[8:]


class Host:
    def __init__(self, ip, mac_address):
        self.ip = ip
        self.mac = mac_address


class Link:
    """Frames IP packets for one link type and writes them with increasing timestamps."""

    def __init__(self, writer, linktype=LINKTYPE_ETHERNET, start=1700000000.0, step=0.001, vlan=None):
        self.writer = writer
        self.linktype = linktype
        self.clock = int(round(start * 1e6)) * 1000  # integer nanoseconds: no float drift
        self.step = int(round(step * 1e9))
        self.vlan = vlan

    def tick(self, seconds=None):
        """Advances the clock by one step (or `seconds`) and returns it in nanoseconds."""
        self.clock += self.step if seconds is None else int(round(seconds * 1e9))
        return self.clock

    def frame(self, src_host, dst_host, packet):
        version = ipaddress.ip_address(src_host.ip).version
        ethertype = 0x0800 if version == 4 else 0x86DD
        if self.linktype == LINKTYPE_ETHERNET:
            return ethernet(src_host.mac, dst_host.mac, ethertype, packet, vlan=self.vlan)
        if self.linktype == LINKTYPE_LINUX_SLL:
            return linux_sll(ethertype, packet, src_host.mac)
        if self.linktype == LINKTYPE_LINUX_SLL2:
            return linux_sll2(ethertype, packet, src_host.mac)
        if self.linktype == LINKTYPE_RAW:
            return packet
        if self.linktype == LINKTYPE_NULL:
            return struct.pack("<I", 2 if version == 4 else 24) + packet
        raise ValueError("unsupported link type %d" % self.linktype)

    def send(self, src_host, dst_host, packet, pause=None):
        self.writer.write(self.tick(pause), self.frame(src_host, dst_host, packet))

    def ip(self, src_host, dst_host, protocol, payload, ident=1):
        if ipaddress.ip_address(src_host.ip).version == 4:
            return ipv4(src_host.ip, dst_host.ip, protocol, payload, ident)
        return ipv6(src_host.ip, dst_host.ip, protocol, payload)

    def udp(self, src_host, dst_host, sport, dport, payload):
        self.send(src_host, dst_host, self.ip(src_host, dst_host, 17, udp(src_host.ip, dst_host.ip, sport, dport, payload)))

    def arp(self, asker, target_ip):
        body = struct.pack("!HHBBH", 1, 0x0800, 6, 4, 1) + mac(asker.mac) + ipaddress.IPv4Address(asker.ip).packed
        body += b"\0" * 6 + ipaddress.IPv4Address(target_ip).packed
        self.writer.write(self.tick(), ethernet(asker.mac, "ff:ff:ff:ff:ff:ff", 0x0806, body))


class Conversation:
    """A TCP connection between a client and a server on a Link, with sequence numbers tracked.

    `send` puts bytes on the wire in one segment, or several when `split` is given; the
    segments can be sent out of order and repeated to exercise reassembly."""

    def __init__(self, link, client, server, sport, dport, client_isn=1000, server_isn=5000, bad_client_checksums=False,
                 fast=False):
        self.link = link
        self.client = client
        self.server = server
        self.sport = sport
        self.dport = dport
        self.seq = {"client": client_isn, "server": server_isn}
        self.bad = bad_client_checksums
        self.fast = fast
        self.ident = 1

    def _packet(self, side, flags, payload=b"", seq=None):
        src, dst = (self.client, self.server) if side == "client" else (self.server, self.client)
        sport, dport = (self.sport, self.dport) if side == "client" else (self.dport, self.sport)
        other = "server" if side == "client" else "client"
        sequence = self.seq[side] if seq is None else seq
        segment = tcp(src.ip, dst.ip, sport, dport, sequence, self.seq[other], flags, payload,
                      bad_checksum=self.bad and side == "client", fast=self.fast)
        self.ident += 1
        return src, dst, self.link.ip(src, dst, 6, segment, self.ident)

    def _emit(self, side, flags, payload=b"", seq=None, pause=None):
        src, dst, packet = self._packet(side, flags, payload, seq)
        self.link.send(src, dst, packet, pause)

    def handshake(self):
        self._emit("client", TCP_SYN)
        self.seq["client"] += 1
        self._emit("server", TCP_SYN | TCP_ACK)
        self.seq["server"] += 1
        self._emit("client", TCP_ACK)
        return self

    def send(self, side, data, split=None, order=None, repeat=(), pause=None):
        """Sends `data` from `side`. `split` lists cut offsets; `order` permutes the pieces;
        `repeat` lists pieces to send a second time (retransmissions)."""
        if isinstance(data, str):
            data = data.encode()
        cuts = [0] + list(split or []) + [len(data)]
        pieces = [(self.seq[side] + cuts[i], data[cuts[i]:cuts[i + 1]]) for i in range(len(cuts) - 1)]
        sequence_order = order or list(range(len(pieces)))
        for index in sequence_order:
            seq, piece = pieces[index]
            self._emit(side, TCP_PSH | TCP_ACK, piece, seq=seq, pause=pause)
            pause = None
        for index in repeat:
            seq, piece = pieces[index]
            self._emit(side, TCP_PSH | TCP_ACK, piece, seq=seq)
        self.seq[side] += len(data)
        self._emit("server" if side == "client" else "client", TCP_ACK)

    def ftp_login(self, user, password, banner="220 ready\r\n", prompt="331 Password\r\n", reply="230 OK\r\n",
                  pause=None):
        """An FTP login: the server's banner (unless None), USER, the 331 prompt, PASS (after
        `pause` seconds), and the server's reply (unless None)."""
        if banner is not None:
            self.send("server", banner)
        self.send("client", "USER %s\r\n" % user)
        self.send("server", prompt)
        self.send("client", "PASS %s\r\n" % password, pause=pause)
        if reply is not None:
            self.send("server", reply)

    def close(self):
        self._emit("client", TCP_FIN | TCP_ACK)
        self.seq["client"] += 1
        self._emit("server", TCP_FIN | TCP_ACK)
        self.seq["server"] += 1
        self._emit("client", TCP_ACK)


def dns_query(ident, name):
    question = b"".join(bytes([len(label)]) + label.encode() for label in name.split(".")) + b"\0"
    return struct.pack("!HHHHHH", ident, 0x0100, 1, 0, 0, 0) + question + struct.pack("!HH", 1, 1)
