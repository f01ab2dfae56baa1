internal import VigilCore

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

/// One SSH connection: its identification strings.
final class SSHSession: TCPSession {
    private let context: FlowContext
    private var lines: [Side: LineStream] = [.client: LineStream(lineLimit: 512), .server: LineStream(lineLimit: 512)]
    private var banners: [Side: (version: String, software: String, packet: Int, time: Timestamp)] = [:]
    private var emitted = false

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard banners[side] == nil, !emitted else { return }
        lines[side]?.feed(bytes) { line in
            guard banners[side] == nil, line.starts(with: Array("SSH-".utf8)) else { return }
            let text = String(decoding: line, as: UTF8.self)
            let parts = text.split(separator: "-", maxSplits: 2).map(String.init)
            guard parts.count == 3 else { return }
            let software = parts[2].split(separator: " ").first.map(String.init) ?? parts[2]
            banners[side] = (parts[1], software, packet, time)
        }
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
