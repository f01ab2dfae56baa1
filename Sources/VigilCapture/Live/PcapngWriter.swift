internal import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// Writes packets to a pcapng file (one section, one interface, microsecond stamps), as
/// `vigil capture --write` does. Blocks are written as packets come, through stdio's buffer.
final class PcapngWriter {
    private let file: UnsafeMutablePointer<FILE>
    let path: String

    /// Creates `path` (replacing it) and writes the section header and interface description.
    init(path: String, linkType: Int32, snaplen: Int, interface: String) throws(VigilError) {
        guard let file = fopen(path, "wb") else {
            throw VigilError(
                .output, path: path, reason: "cannot create the capture file: \(String(cString: strerror(errno)))")
        }
        self.file = file
        self.path = path
        var header: [UInt8] = []
        header.appendLE32(0x1A2B_3C4D)
        header.appendLE16(1)
        header.appendLE16(0)
        header += [UInt8](repeating: 0xFF, count: 8)  // section length unknown
        block(type: 0x0A0D_0D0A, body: header)
        var description: [UInt8] = []
        description.appendLE16(UInt16(truncatingIfNeeded: linkType))
        description.appendLE16(0)
        description.appendLE32(UInt32(snaplen))
        let name = Array(interface.utf8)
        description.appendLE16(2)  // if_name
        description.appendLE16(UInt16(name.count))
        description += name + [UInt8](repeating: 0, count: (4 - name.count % 4) % 4)
        description += [0, 0, 0, 0]  // opt_endofopt
        block(type: 1, body: description)
    }

    deinit { fclose(file) }

    /// Appends one packet as an Enhanced Packet Block.
    func write(_ bytes: UnsafeRawBufferPointer, wireLength: Int, time: Timestamp) {
        let micros = UInt64(max(0, time.nanoseconds / 1000))
        var body: [UInt8] = []
        body.reserveCapacity(20 + bytes.count + 3)
        body.appendLE32(0)
        body.appendLE32(UInt32(truncatingIfNeeded: micros >> 32))
        body.appendLE32(UInt32(truncatingIfNeeded: micros))
        body.appendLE32(UInt32(bytes.count))
        body.appendLE32(UInt32(wireLength))
        body += bytes
        body += [UInt8](repeating: 0, count: (4 - bytes.count % 4) % 4)
        block(type: 6, body: body)
    }

    /// Pushes buffered blocks to the file.
    func flush() { fflush(file) }

    private func block(type: UInt32, body: [UInt8]) {
        var block: [UInt8] = []
        let total = UInt32(12 + body.count)
        block.appendLE32(type)
        block.appendLE32(total)
        block += body
        block.appendLE32(total)
        _ = block.withUnsafeBytes { fwrite($0.baseAddress, 1, $0.count, file) }
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE16(_ value: UInt16) {
        append(UInt8(value & 0xFF))
        append(UInt8(value >> 8))
    }

    mutating func appendLE32(_ value: UInt32) {
        appendLE16(UInt16(value & 0xFFFF))
        appendLE16(UInt16(value >> 16))
    }
}
