internal import VigilCore

extension FlowContext {
    /// A `protocol.observed` event for this connection, with `fields` added.
    func protocolEvent(_ name: String, packet: Int, time: Timestamp, fields: [(Field, String?)] = []) -> Event {
        var event = Event(
            kind: .protocolObserved, time: time, source: SourceLocation(path: path, position: .packet(packet)))
        event.set(.srcIP, client.ip)
        event.set(.srcPort, client.port)
        event.set(.dstIP, server.ip)
        event.set(.dstPort, server.port)
        event.set(.transport, transport)
        event.set(.protocol, name)
        for (field, value) in fields { event.set(field, value) }
        return event
    }

    /// The `protocol.observed` event of a login seen in clear on the wire: the service lets
    /// credentials cross the network unprotected (HTTP without TLS, an LDAP simple bind, mail
    /// without STARTTLS, SNMP v1/v2c). One per login; findings fold them by server.
    func cleartextLoginEvent(
        _ name: String, method: String, packet: Int, time: Timestamp, fields: [(Field, String?)] = []
    ) -> Event {
        protocolEvent(name, packet: packet, time: time, fields: [(.authMethod, method)] + fields)
    }
}

// MARK: - TLS

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

final class TLSSession: TCPSession {
    private let context: FlowContext
    private var client = MessageBuffer()
    private var server = MessageBuffer()
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
            client.append(bytes)
            if client.bytes.first.map({ $0 & 0x80 != 0 }) == true, client.bytes.count >= 5, client.bytes[2] == 1 {
                offered = "SSL 2.0"
                hello = (packet, time)
                emit(version: "SSL 2.0", into: &events)
                return
            }
            guard let body = handshake(&client, type: 1) else { return }
            hello = (packet, time)
            parseClientHello(body)
        } else {
            server.append(bytes)
            guard hello != nil || server.bytes.count > 0, let body = handshake(&server, type: 2) else { return }
            if hello == nil { hello = (packet, time) }
            emit(version: serverVersion(body), into: &events)
        }
    }

    /// The body of the first handshake message of `type` in the first record, once whole.
    private func handshake(_ buffer: inout MessageBuffer, type: UInt8) -> [UInt8]? {
        guard buffer.bytes.count >= 9, buffer.bytes[0] == 0x16 else {
            if buffer.bytes.count >= 9 { done = true }
            return nil
        }
        let recordLength = Int(buffer.bytes[3]) << 8 | Int(buffer.bytes[4])
        guard buffer.bytes.count >= 5 + recordLength else {
            if buffer.bytes.count > 20_000 { done = true }
            return nil
        }
        let record = Array(buffer.bytes[5..<(5 + recordLength)])
        guard record.count >= 4, record[0] == type else {
            done = true
            return nil
        }
        let length = Int(record[1]) << 16 | Int(record[2]) << 8 | Int(record[3])
        return Array(record.dropFirst(4).prefix(length))
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

// MARK: - SSH

/// SSH identification strings (RFC 4253): protocol version and software of both ends, one
/// `protocol.observed` event per connection (the server's, with the client's software).
enum SSHDissector: TCPDissector {
    static let name = "ssh"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        let banner = Array("SSH-".utf8)
        if input.server.starts(with: banner) { return .yes(swapSides: false) }
        if input.client.starts(with: banner) {
            return input.server.isEmpty || input.server.starts(with: banner) ? .yes(swapSides: false) : .undecided
        }
        return input.server.count >= 4 || input.client.count >= 4 ? .no : .undecided
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { SSHSession(context: context) }
}

final class SSHSession: TCPSession {
    private let context: FlowContext
    private var lines: [Side: LineBuffer] = [.client: LineBuffer(limit: 512), .server: LineBuffer(limit: 512)]
    private var banners: [Side: (version: String, software: String, packet: Int, time: Timestamp)] = [:]
    private var emitted = false

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard banners[side] == nil, !emitted else { return }
        var buffer = lines[side] ?? LineBuffer(limit: 512)
        buffer.feed(bytes) { line in
            guard banners[side] == nil, line.starts(with: Array("SSH-".utf8)) else { return }
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: "-", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { return }
            let software = parts[2].split(separator: " ").first.map(String.init) ?? parts[2]
            banners[side] = (parts[1], software, packet, time)
        }
        lines[side] = buffer
        if banners[.server] != nil && banners[.client] != nil { emit(into: &events) }
    }

    private func emit(into events: inout [Event]) {
        guard !emitted, let server = banners[.server] ?? banners[.client] else { return }
        emitted = true
        // Version 1.99 means "2.0 and 1.x": the weaker of the two ends decides what is used.
        let versions = [banners[.server]?.version, banners[.client]?.version].compactMap { $0 }
        let version = versions.contains { $0.hasPrefix("1.") && $0 != "1.99" } ? "1.x" : server.version
        events.append(
            context.protocolEvent(
                "ssh", packet: server.packet, time: server.time,
                fields: [(.sshVersion, version), (.sshSoftware, banners[.server]?.software)]))
    }

    func gap(on side: Side) { emitted = true }

    func finish(into events: inout [Event]) { emit(into: &events) }
}
