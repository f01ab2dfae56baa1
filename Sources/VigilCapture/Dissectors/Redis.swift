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
            inlineCommands.contains(TextCommand.verb(of: line))
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

/// RESP values (and inline commands): each complete top-level value is one frame, its string
/// parts kept (bulk strings, simple strings, inline words; at most 16 of 4 KiB each) and whether
/// it was an error reply. Large values are skipped as they stream, never held.
struct RESPDecoder: FrameDecoder {
    /// A complete top-level value.
    struct Value {
        var parts: [[UInt8]]
        var isError: Bool
    }

    let limit = 65_536
    private var skip = 0
    private var bulk: [UInt8]?
    /// Elements still expected at each open array level.
    private var arrays: [Int] = []
    private var parts: [[UInt8]] = []
    private var topIsError = false
    private static let maxKept = 4096

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<Value> {
        if skip > 0 {
            let take = min(skip, bytes.count)
            if let kept = bulk, kept.count < Self.maxKept {
                bulk = kept + bytes.prefix(min(take, Self.maxKept - kept.count))
            }
            skip -= take
            // The bulk string and its CRLF are consumed.
            guard skip == 0, var value = bulk else { return .skip(take) }
            if value.count >= 2 { value.removeLast(2) }
            bulk = nil
            return element(value).map { .frame($0, consumed: take) } ?? .skip(take)
        }
        guard let newline = bytes.index(of: 0x0A) else { return .needMore }
        var line = bytes.slice(0, newline)
        if line.last == 0x0D { line = line.slice(0, line.count - 1) }
        switch header(line) {
        case .value(let value): return .frame(value, consumed: newline + 1)
        case .more: return .skip(newline + 1)
        case .desynchronised: return .stop
        }
    }

    private enum HeaderResult {
        case value(Value)
        case more
        case desynchronised
    }

    private mutating func header(_ text: UnsafeRawBufferPointer) -> HeaderResult {
        guard let kind = text.first else { return .more }
        let rest = text.from(1)
        let number = Int(rest.text)
        switch kind {
        case 0x2A, 0x3E, 0x7E, 0x25:  // array, push, set, map (maps count pairs)
            // Redis refuses multi-bulk counts past 1024*1024 (and bulk strings past 512 MB).
            guard var count = number, count <= 1 << 20 else { return .desynchronised }
            if kind == 0x25 { count *= 2 }
            if arrays.isEmpty { topIsError = false }
            if count <= 0 { return element(nil).map { .value($0) } ?? .more }
            arrays.append(count)
            return .more
        case 0x24, 0x21, 0x3D:  // bulk string, bulk error, verbatim
            guard let length = number, length <= 512 << 20 else { return .desynchronised }
            if arrays.isEmpty { topIsError = kind == 0x21 }
            if length < 0 { return element(nil).map { .value($0) } ?? .more }
            bulk = []
            skip = length + 2
            return .more
        case 0x2B, 0x2D, 0x3A, 0x5F, 0x2C, 0x23, 0x28:  // simple, error, integer, null, double, bool, big number
            if arrays.isEmpty { topIsError = kind == 0x2D }
            return element(Array(rest)).map { .value($0) } ?? .more
        default:
            // An inline command: words separated by spaces, only at the top level.
            guard arrays.isEmpty else { return .desynchronised }
            return .value(Value(parts: text.split(separator: 0x20).map(Array.init), isError: false))
        }
    }

    /// Adds one element to the value being read; the value when it is complete.
    private mutating func element(_ value: [UInt8]?) -> Value? {
        if let value, parts.count < 16 { parts.append(value) }
        while let last = arrays.last {
            arrays[arrays.count - 1] = last - 1
            if last - 1 > 0 { return nil }
            arrays.removeLast()
        }
        defer {
            parts.removeAll()
            topIsError = false
        }
        return Value(parts: parts, isError: topIsError)
    }

    mutating func resynchronise() { self = RESPDecoder() }
}

/// One Redis connection.
final class RedisSession: TCPSession {
    private let context: FlowContext
    private var client = FramedStream(RESPDecoder())
    private var server = FramedStream(RESPDecoder())
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
        let credential = context.credential(
            .redis, user: auth.user, secret: auth.secret, outcome: outcome,
            packets: [auth.packet] + (packet.map { [$0] } ?? []))
        events.append(context.credentialEvent(credential, time: auth.time, packet: auth.packet))
    }

    func gap(on side: Side) {
        // Lost bytes break the pairing of replies with commands: report what is pending.
        if side == .client { client.gap() } else { server.gap() }
    }

    func finish(into events: inout [Event]) {
        for auth in awaiting.compactMap({ $0 }) { emit(auth, outcome: .unknown, packet: nil, into: &events) }
        awaiting.removeAll()
    }
}
