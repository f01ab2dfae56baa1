#if canImport(Glibc)
    import Glibc
#endif

/// The bytes libFuzzer hands a target, read front to back.
public struct FuzzBytes {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0

    public init(_ data: UnsafePointer<UInt8>, _ size: Int) {
        bytes = UnsafeRawBufferPointer(start: size > 0 ? UnsafeRawPointer(data) : nil, count: size)
    }

    public var remaining: Int { bytes.count - offset }
    public var isEmpty: Bool { remaining == 0 }

    /// The next byte, or 0 past the end.
    public mutating func byte() -> UInt8 {
        guard offset < bytes.count else { return 0 }
        defer { offset += 1 }
        return bytes[offset]
    }

    /// The next 16-bit little-endian number (0 past the end).
    public mutating func u16() -> Int { Int(byte()) | Int(byte()) << 8 }

    /// The next `count` bytes, fewer at the end.
    public mutating func take(_ count: Int) -> UnsafeRawBufferPointer {
        let end = min(bytes.count, offset + max(0, count))
        defer { offset = end }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<end])
    }

    /// Everything not read yet.
    public mutating func rest() -> UnsafeRawBufferPointer { take(remaining) }

    public var array: [UInt8] { Array(bytes) }
}

/// A file in /dev/shm (memory) that each run overwrites, for readers that take a path.
public final class ScratchFile: @unchecked Sendable {
    public let path: String

    public init(_ name: String) {
        path = "/dev/shm/vigil-fuzz-\(getpid())-\(name)"
    }

    /// Replaces the file's content with `bytes`.
    public func write(_ bytes: UnsafeRawBufferPointer) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        precondition(descriptor >= 0, "cannot write \(path)")
        var done = 0
        while done < bytes.count {
            let wrote = Glibc.write(descriptor, bytes.baseAddress! + done, bytes.count - done)
            precondition(wrote > 0, "cannot write \(path)")
            done += wrote
        }
        close(descriptor)
    }

    deinit { unlink(path) }
}

/// Builds Ethernet frames holding IPv4 TCP segments or UDP datagrams between two fixed hosts,
/// for targets that fuzz what travels in a connection rather than the headers around it.
public struct FrameBuilder {
    public var clientPort: UInt16
    public var serverPort: UInt16
    public var clientSequence: UInt32 = 1000
    public var serverSequence: UInt32 = 900_000
    private var identification: UInt16 = 1

    public init(clientPort: UInt16, serverPort: UInt16) {
        self.clientPort = clientPort
        self.serverPort = serverPort
    }

    public static let tcpSYN: UInt8 = 0x02
    public static let tcpFIN: UInt8 = 0x01
    public static let tcpRST: UInt8 = 0x04
    public static let tcpPSH: UInt8 = 0x08
    public static let tcpACK: UInt8 = 0x10

    /// A TCP segment from the client (or the server) with `flags` and `payload`, at the current
    /// sequence number moved by `shift` (negative: overlap or retransmission; positive: a gap).
    /// The sequence number then moves past the payload.
    public mutating func tcp(
        fromClient: Bool, flags: UInt8, payload: UnsafeRawBufferPointer, shift: Int32 = 0
    ) -> [UInt8] {
        var sequence = fromClient ? clientSequence : serverSequence
        sequence = sequence &+ UInt32(bitPattern: shift)
        let acknowledgement = fromClient ? serverSequence : clientSequence
        var segment: [UInt8] = []
        segment.reserveCapacity(20 + payload.count)
        append16(&segment, fromClient ? clientPort : serverPort)
        append16(&segment, fromClient ? serverPort : clientPort)
        append32(&segment, sequence)
        append32(&segment, acknowledgement)
        segment += [0x50, flags, 0xFF, 0xFF, 0, 0, 0, 0]
        segment += payload
        var advance = UInt32(payload.count)
        if flags & (Self.tcpSYN | Self.tcpFIN) != 0 { advance &+= 1 }
        if fromClient {
            clientSequence = sequence &+ advance
        } else {
            serverSequence = sequence &+ advance
        }
        return ipv4(fromClient: fromClient, protocol: 6, segment)
    }

    /// A UDP datagram from the client (or the server) carrying `payload`.
    public mutating func udp(fromClient: Bool, payload: UnsafeRawBufferPointer) -> [UInt8] {
        var datagram: [UInt8] = []
        append16(&datagram, fromClient ? clientPort : serverPort)
        append16(&datagram, fromClient ? serverPort : clientPort)
        append16(&datagram, UInt16(truncatingIfNeeded: 8 + payload.count))
        datagram += [0, 0]
        datagram += payload
        return ipv4(fromClient: fromClient, protocol: 17, datagram)
    }

    private mutating func ipv4(fromClient: Bool, protocol number: UInt8, _ body: [UInt8]) -> [UInt8] {
        let client: [UInt8] = [10, 0, 0, 5]
        let server: [UInt8] = [10, 0, 0, 9]
        var frame: [UInt8] =
            fromClient
            ? [0x02, 0, 0, 0, 0, 9, 0x02, 0, 0, 0, 0, 5, 0x08, 0x00]
            : [0x02, 0, 0, 0, 0, 5, 0x02, 0, 0, 0, 0, 9, 0x08, 0x00]
        frame.reserveCapacity(34 + body.count)
        frame += [0x45, 0]
        append16(&frame, UInt16(truncatingIfNeeded: 20 + body.count))
        append16(&frame, identification)
        identification &+= 1
        frame += [0x40, 0, 64, number, 0, 0]
        frame += fromClient ? client : server
        frame += fromClient ? server : client
        frame += body
        return frame
    }

    private func append16(_ bytes: inout [UInt8], _ value: UInt16) {
        bytes.append(UInt8(value >> 8))
        bytes.append(UInt8(value & 0xFF))
    }

    private func append32(_ bytes: inout [UInt8], _ value: UInt32) {
        append16(&bytes, UInt16(value >> 16))
        append16(&bytes, UInt16(value & 0xFFFF))
    }
}
