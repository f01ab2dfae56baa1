internal import VigilCore

/// mDNS (port 5353) and LLMNR (port 5355) answers: the names hosts announce with their
/// addresses.
enum MulticastDNSDissector: UDPDissector {
    static let name = "mdns"

    static func makeSession(_ context: CaptureContext) -> any DatagramSession {
        DeviceAnnouncements(context) { datagram in
            guard datagram.uses(5353, 5355), let mac = datagram.sourceMAC else { return nil }
            let source = datagram.uses(5355) ? "llmnr" : "mdns"
            return DNSMessage.addressRecords(datagram.payload).map { name, address in
                DeviceSighting(mac: mac, ip: address, hostname: name, source: source)
            }
        }
    }
}

/// DNS messages (RFC 1035) as mDNS, LLMNR and NBNS carry them: names with compression pointers.
enum DNSMessage {
    /// The fixed header: flags and the counts of questions and of records.
    struct Header {
        var flags: UInt16
        var questions: Int
        /// Answers, authority and additional records together.
        var records: Int
        var isResponse: Bool { flags & 0x8000 != 0 }

        init?(_ bytes: UnsafeRawBufferPointer) {
            var cursor = ByteCursor(bytes, at: 2)
            guard let flags = cursor.readInteger(as: UInt16.self), let questions = cursor.readInteger(as: UInt16.self),
                let answers = cursor.readInteger(as: UInt16.self), let authority = cursor.readInteger(as: UInt16.self),
                let additional = cursor.readInteger(as: UInt16.self)
            else { return nil }
            self.flags = flags
            self.questions = Int(questions)
            records = Int(answers) + Int(authority) + Int(additional)
        }
    }

    /// One resource record: its owner name, type and data.
    struct Record {
        var owner: String
        var type: UInt16
        var data: UnsafeRawBufferPointer
    }

    /// The record at `offset`, moving `offset` past it; `nil` when the bytes end first.
    static func record(_ bytes: UnsafeRawBufferPointer, at offset: inout Int) -> Record? {
        guard let (owner, next) = name(bytes, at: offset) else { return nil }
        var cursor = ByteCursor(bytes, at: next)
        guard next == cursor.offset, let type = cursor.readInteger(as: UInt16.self), cursor.skip(6),
            let length = cursor.readInteger(as: UInt16.self), let data = cursor.readBytes(Int(length))
        else { return nil }
        offset = cursor.offset
        return Record(owner: owner, type: type, data: data)
    }

    /// Every A and AAAA record among the answers and additional records of a response: (name,
    /// address).
    static func addressRecords(_ bytes: UnsafeRawBufferPointer) -> [(String, String)] {
        guard let header = Header(bytes), header.isResponse else { return [] }
        var offset = 12
        for _ in 0..<min(header.questions, 64) {
            guard let (_, next) = name(bytes, at: offset), next + 4 <= bytes.count else { return [] }
            offset = next + 4
        }
        var found: [(String, String)] = []
        for _ in 0..<min(header.records, 256) {
            guard let record = record(bytes, at: &offset) else { break }
            if record.type == 1, record.data.count == 4, let address = IPAddress(v4: record.data, at: 0) {
                found.append((record.owner, address.text))
            } else if record.type == 28, record.data.count == 16, let address = IPAddress(v6: record.data, at: 0) {
                found.append((record.owner, address.text))
            }
        }
        return found
    }

    /// The name at `offset` and the offset after it; follows at most 16 compression pointers.
    static func name(_ bytes: UnsafeRawBufferPointer, at start: Int) -> (String, Int)? {
        var labels: [String] = []
        var offset = start
        var end: Int?
        var jumps = 0
        while offset < bytes.count {
            let length = Int(bytes[offset])
            if length == 0 {
                return (labels.joined(separator: "."), end ?? offset + 1)
            }
            if length & 0xC0 == 0xC0 {
                guard offset + 1 < bytes.count, jumps < 16 else { return nil }
                if end == nil { end = offset + 2 }
                offset = (length & 0x3F) << 8 | Int(bytes[offset + 1])
                jumps += 1
                continue
            }
            guard length < 64, offset + 1 + length <= bytes.count, labels.count < 64 else { return nil }
            labels.append(String(decoding: bytes.slice(offset + 1, offset + 1 + length), as: UTF8.self))
            offset += 1 + length
        }
        return nil
    }
}
