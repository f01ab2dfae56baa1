internal import Foundation
internal import VigilCore

/// TLS and SSL handshakes: the version the server chose (ServerHello, honouring the
/// `supported_versions` extension of TLS 1.3) and the name the client asked for (SNI), as one
/// `protocol.observed` event per connection. SSL 2.0 client hellos are recognised too.
enum TLSDissector: TCPDissector {
    static let name = "tls"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        func hello(_ bytes: UnsafeRawBufferPointer) -> Bool {
            guard bytes.count >= 3 else { return false }
            if bytes[0] == 0x16 && bytes[1] == 3 && bytes[2] <= 4 { return true }
            return bytes[0] & 0x80 != 0 && bytes.count >= 5 && bytes[2] == 1 && bytes[3] <= 3  // SSL 2.0
        }
        if hello(input.client) { return .yes(swapSides: false) }
        if hello(input.server) { return input.client.isEmpty ? .undecided : .yes(swapSides: true) }
        return input.client.count >= 3 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { TLSSession(context: context) }

    static func versionName(_ version: Int) -> String {
        switch version {
        case 0x0002: "SSL 2.0"
        case 0x0300: "SSL 3.0"
        case 0x0301: "TLS 1.0"
        case 0x0302: "TLS 1.1"
        case 0x0303: "TLS 1.2"
        case 0x0304: "TLS 1.3"
        default: String(format: "0x%04x", version)
        }
    }
}

/// The first record of each direction, where the hellos are: a TLS handshake record, or an SSL
/// 2.0 client hello.
struct TLSRecordDecoder: FrameDecoder {
    enum Frame {
        case handshake(UnsafeRawBufferPointer)
        case ssl2ClientHello
    }

    /// SSL 2.0 hellos come from clients only.
    let acceptsSSL2: Bool
    let limit = 20_000

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<Frame> {
        if acceptsSSL2, bytes[0] & 0x80 != 0 {
            guard bytes.count >= 5 else { return .needMore }
            return bytes[2] == 1 ? .frame(.ssl2ClientHello, consumed: bytes.count) : .stop
        }
        guard bytes[0] == 0x16 else { return bytes.count >= 9 ? .stop : .needMore }
        guard bytes.count >= 9, let length = bytes.integer(at: 3, as: UInt16.self).map(Int.init) else {
            return .needMore
        }
        guard bytes.count >= 5 + length else { return .needMore }
        return .frame(.handshake(bytes.slice(5, 5 + length)), consumed: 5 + length)
    }
}

/// One TLS connection: its hellos.
final class TLSSession: TCPSession {
    private let context: FlowContext
    private var client = FramedStream(TLSRecordDecoder(acceptsSSL2: true))
    private var server = FramedStream(TLSRecordDecoder(acceptsSSL2: false))
    private var serverName: String?
    private var offered: String?
    private var hello: (packet: Int, time: Timestamp)?
    private var done = false

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !done else { return }
        if side == .client {
            guard hello == nil else { return }
            client.feed(bytes) { record in
                guard hello == nil else { return }
                switch record {
                case .ssl2ClientHello:
                    offered = "SSL 2.0"
                    hello = (packet, time)
                    emit(version: "SSL 2.0", into: &events)
                case .handshake(let body):
                    guard let message = handshake(body, type: 1) else { return }
                    hello = (packet, time)
                    parseClientHello(message)
                }
            }
            if client.isStopped { done = true }
        } else {
            server.feed(bytes) { record in
                guard !done, case .handshake(let body) = record, let message = handshake(body, type: 2) else { return }
                if hello == nil { hello = (packet, time) }
                emit(version: serverVersion(message), into: &events)
            }
            if server.isStopped { done = true }
        }
    }

    /// The body of the handshake message of `type` at the start of a record; any other message
    /// ends the reading.
    private func handshake(_ record: UnsafeRawBufferPointer, type: UInt8) -> [UInt8]? {
        guard record.count >= 4, record[0] == type else {
            done = true
            return nil
        }
        let length = Int(record[1]) << 16 | Int(record[2]) << 8 | Int(record[3])
        return Array(record.from(4).prefix(length))
    }

    private func extensions(_ body: [UInt8], after start: Int) -> [(Int, ArraySlice<UInt8>)] {
        var index = start
        guard index + 2 <= body.count else { return [] }
        let end = min(body.count, index + 2 + (Int(body[index]) << 8 | Int(body[index + 1])))
        index += 2
        var found: [(Int, ArraySlice<UInt8>)] = []
        while index + 4 <= end {
            let type = Int(body[index]) << 8 | Int(body[index + 1])
            let length = Int(body[index + 2]) << 8 | Int(body[index + 3])
            guard index + 4 + length <= end else { break }
            found.append((type, body[(index + 4)..<(index + 4 + length)]))
            index += 4 + length
        }
        return found
    }

    private func parseClientHello(_ body: [UInt8]) {
        guard body.count >= 38 else { return }
        offered = TLSDissector.versionName(Int(body[0]) << 8 | Int(body[1]))
        var index = 34
        index += 1 + Int(body[index])  // session id
        guard index + 2 <= body.count else { return }
        index += 2 + (Int(body[index]) << 8 | Int(body[index + 1]))  // cipher suites
        guard index < body.count else { return }
        index += 1 + Int(body[index])  // compression methods
        for (type, value) in extensions(body, after: index) where type == 0 {
            // server_name: list length, then (type 0, length, name)
            let bytes = Array(value)
            if bytes.count >= 5, bytes[2] == 0 {
                let length = Int(bytes[3]) << 8 | Int(bytes[4])
                if bytes.count >= 5 + length { serverName = String(decoding: bytes[5..<(5 + length)], as: UTF8.self) }
            }
        }
    }

    private func serverVersion(_ body: [UInt8]) -> String {
        guard body.count >= 38 else { return "unknown" }
        var version = Int(body[0]) << 8 | Int(body[1])
        var index = 34
        index += 1 + Int(body[index])  // session id
        index += 3  // cipher suite, compression method
        for (type, value) in extensions(body, after: index) where type == 43 && value.count == 2 {
            version = Int(value[value.startIndex]) << 8 | Int(value[value.startIndex + 1])
        }
        return TLSDissector.versionName(version)
    }

    private func emit(version: String, into events: inout [Event]) {
        guard !done, let hello else { return }
        done = true
        events.append(
            context.protocolEvent(
                "tls", packet: hello.packet, time: hello.time,
                fields: [(.tlsVersion, version), (.tlsServerName, serverName)]))
    }

    func gap(on side: Side) { done = true }

    func finish(into events: inout [Event]) {
        // A client hello without a server answer: report what the client offered.
        if !done, hello != nil, let offered { emit(version: "\(offered) (offered)", into: &events) }
    }
}
