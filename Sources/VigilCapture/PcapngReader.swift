internal import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// A pcapng block reader for what libpcap 1.10 refuses: sections whose interfaces have different
/// link types ("an interface has a type … different from the type of the first interface").
/// Reads Section Header, Interface Description, Enhanced, Simple and obsolete Packet blocks, in
/// either byte order, with each interface's link type, snap length and timestamp resolution.
///
/// Streaming: one block in memory at a time, at most `maxBlock` bytes.
final class PcapngReader {
    private struct Interface {
        var linkType: Int32
        var snaplen: Int
        /// Timestamp units per second.
        var unitsPerSecond: UInt64
    }

    /// One packet, valid until the next call to ``next()``.
    struct Packet {
        var number: Int
        var linkType: Int32
        var time: Timestamp
        var bytes: [UInt8]
    }

    enum Failure: Error {
        case truncated(offset: Int64)
        case corrupt(String, offset: Int64)
    }

    private let file: UnsafeMutablePointer<FILE>
    private var bigEndian = false
    private var interfaces: [Interface] = []
    private var offset: Int64 = 0
    private(set) var packetCount = 0
    private let maxBlock = 16 << 20

    init?(path: String) {
        guard let file = fopen(path, "rb") else { return nil }
        self.file = file
    }

    deinit { fclose(file) }

    private func read(_ count: Int) -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: count)
        let got = buffer.withUnsafeMutableBytes { fread($0.baseAddress, 1, count, file) }
        return got == count ? buffer : (got == 0 && count > 0 ? nil : Array(buffer.prefix(got)))
    }

    private func u16(_ b: [UInt8], _ at: Int) -> Int {
        bigEndian ? Int(b[at]) << 8 | Int(b[at + 1]) : Int(b[at]) | Int(b[at + 1]) << 8
    }

    private func u32(_ b: [UInt8], _ at: Int) -> Int {
        bigEndian ? u16(b, at) << 16 | u16(b, at + 2) : u16(b, at) | u16(b, at + 2) << 16
    }

    /// The next packet, `nil` at a clean end of file.
    func next() throws(Failure) -> Packet? {
        while true {
            let start = offset
            guard let header = read(8) else { return nil }
            guard header.count == 8 else { throw .truncated(offset: start) }
            if header[0] == 0x0A && header[1] == 0x0D && header[2] == 0x0D && header[3] == 0x0A {
                // Section header: its byte-order magic follows the length.
                guard let magic = read(4), magic.count == 4 else { throw .truncated(offset: start) }
                if magic == [0x1A, 0x2B, 0x3C, 0x4D] {
                    bigEndian = true
                } else if magic == [0x4D, 0x3C, 0x2B, 0x1A] {
                    bigEndian = false
                } else {
                    throw .corrupt("bad byte-order magic in a section header", offset: start)
                }
                interfaces = []
                let length = u32(header, 4)
                guard length >= 28, length % 4 == 0, length <= maxBlock else {
                    throw .corrupt("section header of length \(length)", offset: start)
                }
                guard let rest = read(length - 12), rest.count == length - 12 else { throw .truncated(offset: start) }
                offset += Int64(length)
                continue
            }
            let type = u32(header, 0)
            let length = u32(header, 4)
            guard length >= 12, length % 4 == 0, length <= maxBlock else {
                throw .corrupt("block of length \(length)", offset: start)
            }
            guard let body = read(length - 8), body.count == length - 8 else { throw .truncated(offset: start) }
            offset += Int64(length)
            let content = Array(body.dropLast(4))
            switch type {
            case 1:  // interface description
                guard content.count >= 8 else { throw .corrupt("short interface description", offset: start) }
                var interface = Interface(
                    linkType: Int32(u16(content, 0)), snaplen: u32(content, 4), unitsPerSecond: 1_000_000)
                var index = 8
                while index + 4 <= content.count {
                    let code = u16(content, index)
                    let size = u16(content, index + 2)
                    if code == 0 { break }
                    if code == 9, size >= 1, index + 4 < content.count {
                        let value = content[index + 4]
                        let exponent = UInt64(value & 0x7F)
                        if exponent < 19 {
                            interface.unitsPerSecond = value & 0x80 != 0 ? 1 << exponent : pow10(exponent)
                        }
                    }
                    index += 4 + (size + 3) / 4 * 4
                }
                interfaces.append(interface)
            case 6, 2:  // enhanced packet, obsolete packet
                guard content.count >= 20 else { throw .corrupt("short packet block", offset: start) }
                let id = type == 6 ? u32(content, 0) : u16(content, 0)
                guard id < interfaces.count else {
                    throw .corrupt("packet for undeclared interface \(id)", offset: start)
                }
                let interface = interfaces[id]
                let stamp = UInt64(u32(content, 4)) << 32 | UInt64(u32(content, 8))
                let captured = u32(content, 12)
                guard 20 + captured <= content.count else {
                    throw .corrupt("packet longer than its block", offset: start)
                }
                packetCount += 1
                let seconds = stamp / interface.unitsPerSecond
                let fraction = stamp % interface.unitsPerSecond
                // fraction < unitsPerSecond ≤ 10^18: the product needs 128 bits, the quotient
                // (< 10^9) does not.
                let product = fraction.multipliedFullWidth(by: 1_000_000_000)
                let nanos = interface.unitsPerSecond.dividingFullWidth(product).quotient
                return Packet(
                    number: packetCount, linkType: interface.linkType,
                    time: Timestamp(seconds: Int64(clamping: seconds), nanoseconds: Int64(nanos)),
                    bytes: Array(content[20..<(20 + captured)]))
            case 3:  // simple packet: interface 0, no timestamp
                guard content.count >= 4, let interface = interfaces.first else {
                    throw .corrupt("simple packet without an interface", offset: start)
                }
                packetCount += 1
                let captured = min(
                    content.count - 4, min(u32(content, 0), interface.snaplen == 0 ? Int.max : interface.snaplen))
                return Packet(
                    number: packetCount, linkType: interface.linkType, time: Timestamp(nanoseconds: 0),
                    bytes: Array(content[4..<(4 + captured)]))
            default:
                continue  // name resolution, statistics, custom blocks: nothing to analyse
            }
        }
    }

    private func pow10(_ exponent: UInt64) -> UInt64 {
        var value: UInt64 = 1
        for _ in 0..<exponent { value *= 10 }
        return value
    }
}
