internal import VigilCore

/// Redis (RESP2/RESP3 and inline commands): `AUTH password` and `AUTH user password`, with
/// the server's answer (`+OK` success, an error reply failure). Replies are matched to commands
/// in order, so pipelined commands keep their answers straight; large values are skipped as
/// they stream, never buffered.
enum RedisDissector: TCPDissector {
    static let name = "redis"
    static let inlineCommands: Set<String> = [
        "AUTH", "PING", "HELLO", "SELECT", "INFO", "CLIENT", "GET", "SET", "KEYS",
    ]

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if input.serverPort == 6379 { return .yes(swapSides: false) }
        if input.clientPort == 6379 { return .yes(swapSides: true) }
        if looksLikeRESPCommand(input.client) { return .yes(swapSides: false) }
        if looksLikeRESPCommand(input.server) { return .yes(swapSides: true) }
        if case .text(let line) = input.clientLine,
            inlineCommands.contains(FTPDissector.verb(of: line))
        {
            guard let reply = input.server.first else { return .undecided }
            return [0x2B, 0x2D, 0x24, 0x2A, 0x3A].contains(reply) ? .yes(swapSides: false) : .no
        }
        return input.client.count >= 4 ? .no : .undecided
    }

    /// `*<count>\r\n$<length>\r\n`: an array of bulk strings, as every client library sends.
    static func looksLikeRESPCommand(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard bytes.count >= 6, bytes[0] == 0x2A else { return false }
        var index = 1
        while index < bytes.count && bytes[index] >= 0x30 && bytes[index] <= 0x39 { index += 1 }
        return index > 1 && index + 2 < bytes.count && bytes[index] == 0x0D && bytes[index + 1] == 0x0A
            && bytes[index + 2] == 0x24
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { RedisSession(context: context) }
}

/// Streams RESP values: calls back with each complete top-level value (a command's arguments,
/// or nothing for a reply but whether it was an error).
struct RESPStream {
    private var line: [UInt8] = []
    private var skip = 0
    private var bulk: [UInt8]?
    /// Elements still expected at each open array level.
    private var arrays: [Int] = []
    private var parts: [[UInt8]] = []
    private var topIsError = false
    private var desynchronised = false
    private static let maxKept = 4096
    private static let maxLine = 65_536

    /// A complete top-level value: its string parts (bulk strings, simple strings, inline words)
    /// and whether it was an error reply.
    struct Value {
        var parts: [[UInt8]]
        var isError: Bool
    }

    mutating func feed(_ bytes: UnsafeRawBufferPointer, _ body: (Value) -> Void) {
        var index = 0
        while index < bytes.count && !desynchronised {
            if skip > 0 {
                let take = min(skip, bytes.count - index)
                if bulk != nil, let kept = bulk, kept.count < Self.maxKept {
                    bulk = kept + bytes.slice(index, index + min(take, Self.maxKept - kept.count))
                }
                skip -= take
                index += take
                if skip == 0 {
                    // The bulk string and its CRLF are consumed.
                    if var value = bulk {
                        if value.count >= 2 { value.removeLast(2) }
                        bulk = nil
                        element(value, body)
                    }
                }
                continue
            }
            let byte = bytes[index]
            index += 1
            if byte != 0x0A {
                if line.count < Self.maxLine { line.append(byte) } else { desynchronised = true }
                continue
            }
            if line.last == 0x0D { line.removeLast() }
            let current = line
            line.removeAll(keepingCapacity: true)
            header(current, body)
        }
    }

    private mutating func header(_ text: [UInt8], _ body: (Value) -> Void) {
        guard let kind = text.first else { return }
        let rest = Array(text.dropFirst())
        let number = Int(String(decoding: rest, as: UTF8.self))
        switch kind {
        case 0x2A, 0x3E, 0x7E, 0x25:  // array, push, set, map (maps count pairs)
            // Redis refuses multi-bulk counts past 1024*1024 (and bulk strings past 512 MB).
            guard var count = number, count <= 1 << 20 else { return desync() }
            if kind == 0x25 { count *= 2 }
            if arrays.isEmpty { topIsError = false }
            if count <= 0 {
                element(nil, body)
            } else {
                arrays.append(count)
            }
        case 0x24, 0x21, 0x3D:  // bulk string, bulk error, verbatim
            guard let length = number, length <= 512 << 20 else { return desync() }
            if arrays.isEmpty { topIsError = kind == 0x21 }
            if length < 0 {
                element(nil, body)
            } else {
                bulk = []
                skip = length + 2
            }
        case 0x2B, 0x2D, 0x3A, 0x5F, 0x2C, 0x23, 0x28:  // simple, error, integer, null, double, bool, big number
            if arrays.isEmpty { topIsError = kind == 0x2D }
            element(rest, body)
        default:
            // An inline command: words separated by spaces, only at the top level.
            guard arrays.isEmpty else { return desync() }
            let words = text.split(separator: 0x20).map(Array.init)
            body(Value(parts: words, isError: false))
        }
    }

    private mutating func element(_ value: [UInt8]?, _ body: (Value) -> Void) {
        if let value, parts.count < 16 { parts.append(value) }
        while let last = arrays.last {
            arrays[arrays.count - 1] = last - 1
            if last - 1 > 0 { return }
            arrays.removeLast()
        }
        body(Value(parts: parts, isError: topIsError))
        parts.removeAll()
        topIsError = false
    }

    private mutating func desync() { desynchronised = true }

    mutating func reset() {
        self = RESPStream()
    }
}

/// One Redis connection.
final class RedisSession: TCPSession {
    private let context: FlowContext
    private var client = RESPStream()
    private var server = RESPStream()
    /// For each command awaiting its reply: the AUTH it carried, if any.
    private var awaiting: [(user: String, secret: [UInt8], packet: Int, time: Timestamp)?] = []

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        switch side {
        case .client:
            client.feed(bytes) { value in
                guard awaiting.count < 4096 else { return }
                let verb = value.parts.first.map { String(decoding: $0, as: UTF8.self).uppercased() }
                if verb == "AUTH", value.parts.count == 2 || value.parts.count == 3 {
                    let user =
                        value.parts.count == 3 ? String(decoding: value.parts[1], as: UTF8.self) : "default"
                    awaiting.append((user, value.parts[value.parts.count - 1], packet, time))
                } else if verb == "HELLO",
                    let index = value.parts.firstIndex(where: {
                        String(decoding: $0, as: UTF8.self).uppercased() == "AUTH"
                    }), index + 2 < value.parts.count
                {
                    let user = String(decoding: value.parts[index + 1], as: UTF8.self)
                    awaiting.append((user, value.parts[index + 2], packet, time))
                } else {
                    awaiting.append(nil)
                }
            }
        case .server:
            server.feed(bytes) { value in
                guard !awaiting.isEmpty else { return }
                let auth = awaiting.removeFirst()
                guard let auth else { return }
                let reply = value.parts.first.map { String(decoding: $0.prefix(40), as: UTF8.self) }
                emit(
                    auth, outcome: value.isError ? .failure(reply: reply) : .success(reply: reply), packet: packet,
                    into: &events)
            }
        }
    }

    private func emit(
        _ auth: (user: String, secret: [UInt8], packet: Int, time: Timestamp), outcome: AuthOutcome, packet: Int?,
        into events: inout [Event]
    ) {
        guard
            let credential = context.credential(
                RedisDissector.name, user: auth.user, secret: auth.secret, outcome: outcome,
                packets: [auth.packet] + (packet.map { [$0] } ?? []))
        else { return }
        events.append(context.credentialEvent(credential, time: auth.time, packet: auth.packet))
    }

    func gap(on side: Side) {
        // Lost bytes break the pairing of replies with commands: report what is pending.
        if side == .client { client.reset() } else { server.reset() }
    }

    func finish(into events: inout [Event]) {
        for auth in awaiting.compactMap({ $0 }) { emit(auth, outcome: .unknown, packet: nil, into: &events) }
        awaiting.removeAll()
    }
}
