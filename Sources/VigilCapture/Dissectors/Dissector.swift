internal import VigilCore

// The two doors of a protocol into Vigil: a `TCPDissector` (recognised by the first bytes of a
// connection, then a session per connection) and a `UDPDissector` (a session per capture that
// claims the datagrams that are its own). A protocol carried both ways, such as Kerberos,
// conforms to both in one folder. Each is listed once in `DissectorRegistry`.

/// Which end of a TCP connection sent some bytes.
enum Side {
    case client, server
}

/// The transport a protocol was seen on.
enum Transport: String {
    case tcp, udp
}

/// A protocol Vigil reads from captures.
protocol Dissector: Sendable {
    /// Short name: `ftp`.
    static var name: String { get }
}

/// What a dissector knows about the connection (or exchange of datagrams) it reads.
struct FlowContext {
    /// The capture file, interned.
    var input: InputID
    /// The ends in binary form: their text is made only when an event needs it, not for each
    /// of the many connections that never produce one.
    var clientAddress: FlowEndpoint
    var serverAddress: FlowEndpoint
    var transport: Transport

    init(input: InputID, client: FlowEndpoint, server: FlowEndpoint, transport: Transport = .tcp) {
        self.input = input
        clientAddress = client
        serverAddress = server
        self.transport = transport
    }

    /// The capture file, as reports name it.
    var path: String { input.path }
    var client: Endpoint { clientAddress.endpoint }
    var server: Endpoint { serverAddress.endpoint }
}

// MARK: - TCP

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

/// A protocol Vigil recognises by content on TCP, on any port.
protocol TCPDissector: Dissector {
    static func probe(_ input: ProbeInput) -> ProbeVerdict
    static func makeSession(_ context: FlowContext) -> any TCPSession
}

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

// MARK: - UDP

/// One UDP datagram as a dissector sees it. `packet.payload` is valid during the call only.
struct Datagram {
    var packet: TransportPacket
    /// The sending interface's MAC, when the link layer has one.
    var sourceMAC: MACAddress?
    /// The packet's number in the capture.
    var number: Int
    var time: Timestamp

    var payload: UnsafeRawBufferPointer { packet.payload }

    /// Whether either end uses one of `ports`.
    func uses(_ ports: UInt16...) -> Bool {
        ports.contains(packet.sourcePort) || ports.contains(packet.destinationPort)
    }
}

/// What the UDP dissectors of one capture share: its path, and the observer device sightings
/// go to.
struct CaptureContext {
    var path: String
    var devices: DeviceObserver
}

/// A UDP protocol's reader for one capture (datagrams are not connections: requests wait here
/// for their answers, across the whole capture).
protocol DatagramSession: AnyObject {
    /// Reads `datagram` if it is this protocol's; `true` when it was (no other dissector sees it).
    func receive(_ datagram: Datagram, into events: inout [Event]) -> Bool
    /// The capture ended: report what still waits for an answer.
    func finish(into events: inout [Event])
}

extension DatagramSession {
    /// Nothing waits by default.
    func finish(into events: inout [Event]) {}
}

/// A protocol Vigil reads from UDP datagrams, recognised by content (with well-known ports as a
/// hint where content is ambiguous).
protocol UDPDissector: Dissector {
    static func makeSession(_ context: CaptureContext) -> any DatagramSession
}
