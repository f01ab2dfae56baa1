internal import VigilCore

/// Which end of a TCP connection sent some bytes.
enum Side {
    case client, server
}

/// What a dissector knows about the connection it reads.
struct FlowContext {
    /// The capture file, as reports name it.
    var path: String
    /// The ends in binary form: their text is made only when an event needs it, not for each
    /// of the many connections that never produce one.
    var clientAddress: FlowEndpoint
    var serverAddress: FlowEndpoint
    /// `tcp` or `udp`.
    var transport: String = "tcp"

    init(path: String, client: FlowEndpoint, server: FlowEndpoint, transport: String = "tcp") {
        self.path = path
        clientAddress = client
        serverAddress = server
        self.transport = transport
    }

    var client: Endpoint { clientAddress.endpoint }
    var server: Endpoint { serverAddress.endpoint }
}

extension FlowContext {
    /// A `credential.observed` event for `credential`, located at `packet`, with the fields
    /// every credential event carries.
    func credentialEvent(_ credential: Credential, time: Timestamp, packet: Int) -> Event {
        var event = Event(
            kind: .credentialObserved, time: time, source: SourceLocation(path: path, position: .packet(packet)),
            credential: credential)
        event.set(.srcIP, client.ip)
        event.set(.srcPort, client.port)
        event.set(.dstIP, server.ip)
        event.set(.dstPort, server.port)
        event.set(.transport, transport)
        event.set(.protocol, credential.protocolName)
        event.set(.userName, credential.username)
        event.set(.userDomain, credential.domain)
        event.set(.hostName, credential.workstation)
        event.set(.credentialProtocol, credential.protocolName)
        event.set(.credentialKind, credential.kind.rawValue)
        event.set(.credentialOutcome, credential.outcome.label)
        event.set(.credentialReply, credential.outcome.reply)
        event.set(.credentialHashcatMode, credential.hashcatMode)
        event.set(.credentialVersion, credential.attribute("version"))
        event.set(
            .credentialAnonymous, ["anonymous", "ftp"].contains(credential.username.lowercased()))
        return event
    }

    /// A credential from this connection's client to its server.
    func credential(
        _ protocolName: String, user: String, secret bytes: some Sequence<UInt8>, kind: CredentialKind = .password,
        outcome: AuthOutcome = .unknown, packets: [Int], domain: String? = nil, workstation: String? = nil,
        hashcatMode: Int? = nil, attributes: [CredentialAttribute] = []
    ) -> Credential? {
        let secret = Secret(clear: bytes)
        return Credential(
            protocolName: protocolName, username: user, secret: secret, kind: kind, client: client, server: server,
            outcome: outcome, packets: packets, domain: domain, workstation: workstation, hashcatMode: hashcatMode,
            attributes: attributes)
    }
}

/// The first bytes each end of a connection sent, for a dissector to recognise its protocol.
///
/// The bytes are borrowed (often straight from the capture), valid during the probe only.
struct ProbeInput {
    var client: UnsafeRawBufferPointer
    var server: UnsafeRawBufferPointer
    var clientPort: UInt16
    var serverPort: UInt16
    /// Which end sent the first byte seen: a banner protocol (POP3, SMTP, FTP) has the server
    /// speak first, a request protocol (HTTP, Redis) the client.
    var firstSpeaker: Side? = nil
    /// The first line of each side, computed once for every probe.
    let clientLine: FirstLine
    let serverLine: FirstLine

    init(
        client: UnsafeRawBufferPointer, server: UnsafeRawBufferPointer, clientPort: UInt16, serverPort: UInt16,
        firstSpeaker: Side? = nil
    ) {
        self.client = client
        self.server = server
        self.clientPort = clientPort
        self.serverPort = serverPort
        self.firstSpeaker = firstSpeaker
        clientLine = FirstLine(client)
        serverLine = FirstLine(server)
    }

    /// Calls `body` with an input over byte arrays.
    static func with<Result>(
        client: [UInt8], server: [UInt8], clientPort: UInt16, serverPort: UInt16, firstSpeaker: Side? = nil,
        _ body: (ProbeInput) -> Result
    ) -> Result {
        client.withUnsafeBytes { client in
            server.withUnsafeBytes { server in
                body(
                    ProbeInput(
                        client: client, server: server, clientPort: clientPort, serverPort: serverPort,
                        firstSpeaker: firstSpeaker))
            }
        }
    }
}

/// A dissector's verdict on a connection's first bytes.
enum ProbeVerdict: Equatable {
    /// Not this protocol.
    case no
    /// Cannot tell yet: wait for more bytes.
    case undecided
    /// This protocol; `swapSides` when the end taken for the client is in fact the server.
    case yes(swapSides: Bool)
}

/// A protocol reader for one TCP connection: gets reassembled bytes from each end in order
/// and appends the events it recognises.
protocol TCPSession: AnyObject {
    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event])
    /// Bytes were lost on `side`; a line- or record-based reader should resynchronise.
    func gap(on side: Side)
    /// The connection ended (FIN, RST, idle timeout or end of capture).
    func finish(into events: inout [Event])
}

/// A protocol Vigil recognises by content.
protocol TCPDissector: Sendable {
    /// Short name: `ftp`.
    static var name: String { get }
    static func probe(_ input: ProbeInput) -> ProbeVerdict
    static func makeSession(_ context: FlowContext) -> any TCPSession
}

/// Every TCP dissector, in the order they are asked to recognise a connection.
let tcpDissectors: [any TCPDissector.Type] = [
    FTPDissector.self, HTTPDissector.self, SMTPDissector.self, POP3Dissector.self, IMAPDissector.self,
    RedisDissector.self, LDAPDissector.self, NTLMCarrierDissector.self, PostgreSQLDissector.self,
    MySQLDissector.self, VNCDissector.self, TelnetDissector.self, TLSDissector.self, SSHDissector.self,
    KerberosDissector.self,
]

/// The first line of a byte stream, as probes see it.
enum FirstLine: Equatable {
    /// A complete line of text, without its line ending.
    case text(String)
    /// No line end yet, and nothing says this is not text.
    case pending
    /// Binary bytes, or no line end within the first 512 bytes: not a line protocol.
    case binary

    init(_ bytes: UnsafeRawBufferPointer) {
        let window = bytes.prefix(512)
        for (index, byte) in window.enumerated() {
            if byte == 0x0A {
                var end = index
                if end > 0 && window[end - 1] == 0x0D { end -= 1 }
                self = .text(String(decoding: window[..<end], as: UTF8.self))
                return
            }
            if byte < 0x20 && byte != 0x09 && byte != 0x0D {
                self = .binary
                return
            }
        }
        self = window.count >= 512 ? .binary : .pending
    }
}

/// Splits a byte stream into lines (LF or CRLF), holding a partial line between segments.
///
/// A line longer than `limit` bytes is dropped whole: no unbounded buffer for a stream that never
/// sends a newline.
struct LineBuffer {
    private var partial: [UInt8] = []
    private var overlong = false
    let limit: Int

    init(limit: Int = 8192) { self.limit = limit }

    /// Calls `body` with each complete line in `bytes` (without its line ending).
    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        var start = 0
        while let newline = bytes[start...].firstIndex(of: 0x0A) {
            if overlong {
                overlong = false
                partial.removeAll(keepingCapacity: true)
            } else if partial.isEmpty {
                body(Self.trimCR(bytes.slice(start, newline)))
            } else {
                partial.append(contentsOf: bytes.slice(start, newline))
                partial.withUnsafeBytes { body(Self.trimCR($0)) }
                partial.removeAll(keepingCapacity: true)
            }
            start = newline + 1
        }
        guard start < bytes.count, !overlong else { return }
        partial.append(contentsOf: bytes.slice(start, bytes.count))
        if partial.count > limit {
            partial.removeAll()
            overlong = true
        }
    }

    /// Forgets any partial line, after a gap.
    mutating func reset() {
        partial.removeAll(keepingCapacity: true)
        overlong = false
    }

    private static func trimCR(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
        line.last == 0x0D ? line.slice(0, line.count - 1) : line
    }
}
