internal import VigilCore

/// NetBIOS name service (RFC 1002), port 137: names a host registers (or answers for) with their
/// address.
enum NBNSDissector: UDPDissector {
    static let name = "nbns"

    static func makeSession(_ context: CaptureContext) -> any DatagramSession {
        DeviceAnnouncements(context) { datagram in
            guard datagram.uses(137), let mac = datagram.sourceMAC else { return nil }
            return registrations(datagram.payload).map { name, address in
                DeviceSighting(mac: mac, ip: address, hostname: name, source: "nbns")
            }
        }
    }

    static func registrations(_ bytes: UnsafeRawBufferPointer) -> [(String, String)] {
        guard let header = DNSMessage.Header(bytes) else { return [] }
        let opcode = (header.flags >> 11) & 0x0F
        // Registrations (5), refreshes (8, 9) and positive query responses name the sender's host.
        guard [5, 8, 9].contains(opcode) || (header.isResponse && opcode == 0) else { return [] }
        var offset = 12
        var questionName: String?
        for _ in 0..<min(header.questions, 4) {
            guard let (name, next) = DNSMessage.name(bytes, at: offset), next + 4 <= bytes.count else { return [] }
            questionName = decode(name)
            offset = next + 4
        }
        var found: [(String, String)] = []
        for _ in 0..<min(header.records, 8) {
            guard let record = DNSMessage.record(bytes, at: &offset) else { break }
            guard record.type == 0x20, record.data.count >= 6 else { continue }
            if let host = decode(record.owner) ?? questionName, let address = IPAddress(v4: record.data, at: 2) {
                found.append((host, address.text))
            }
        }
        return found
    }

    /// The NetBIOS name of a first-level encoded label (32 letters A–P), without its padding and
    /// suffix byte; `nil` for other names.
    static func decode(_ encoded: String) -> String? {
        let first = encoded.split(separator: ".").first.map(String.init) ?? ""
        let label = Array(first.utf8)
        guard label.count == 32, label.allSatisfy({ $0 >= 0x41 && $0 <= 0x50 }) else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 32, by: 2) {
            bytes.append((label[index] - 0x41) << 4 | (label[index + 1] - 0x41))
        }
        let name = String(decoding: bytes.prefix(15), as: UTF8.self).trimmingSpaces
        return name.isEmpty ? nil : name
    }
}
