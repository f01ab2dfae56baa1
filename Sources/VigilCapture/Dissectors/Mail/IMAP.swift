internal import VigilCore

/// IMAP (RFC 9051): `LOGIN` with atoms, quoted strings (with `\"` and `\\` escapes) or literals
/// (`{n}` then n bytes, also `{n+}`), and `AUTHENTICATE PLAIN` (with or without initial
/// response); the tagged `OK`/`NO`/`BAD` gives the outcome; reading stops after `STARTTLS`.
enum IMAPDissector: TCPDissector {
    static let name = "imap"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if input.serverPort == 143 { return .yes(swapSides: false) }
        if case .text(let line) = input.serverLine, line.hasPrefix("* OK") || line.hasPrefix("* PREAUTH") {
            return .yes(swapSides: false)
        }
        if case .text(let line) = input.clientLine, line.hasPrefix("* OK") { return .yes(swapSides: true) }
        if case .text = input.serverLine { return .no }
        return input.clientLine == .pending && input.server.isEmpty ? .undecided : .no
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { IMAPSession(context: context) }

    /// Splits a command into its words: atoms, quoted strings (unescaped) and literals (given
    /// here already inlined as their bytes, marked by `literals`).
    static func words(_ bytes: [UInt8], literals: [Int: [UInt8]]) -> [[UInt8]] {
        var words: [[UInt8]] = []
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == 0x20 {
                index += 1
                continue
            }
            if byte == 0x22 {
                var word: [UInt8] = []
                index += 1
                while index < bytes.count && bytes[index] != 0x22 {
                    if bytes[index] == 0x5C && index + 1 < bytes.count { index += 1 }
                    word.append(bytes[index])
                    index += 1
                }
                index += 1
                words.append(word)
                continue
            }
            if byte == 0x00, let literal = literals[index] {
                words.append(literal)
                index += 1
                continue
            }
            var word: [UInt8] = []
            while index < bytes.count && bytes[index] != 0x20 {
                word.append(bytes[index])
                index += 1
            }
            words.append(word)
        }
        return words
    }
}

/// A client's commands, literals included: a line ending in `{n}` announces n bytes that belong
/// to the command, which then goes on.
struct IMAPCommandDecoder: FrameDecoder {
    enum Frame {
        /// A line ending in a literal's announcement: the command goes on after the literal.
        case continued
        /// A whole command, a NUL standing for each literal (found in `literals` by position).
        case command([UInt8], literals: [Int: [UInt8]])
    }

    let limit = 16384
    private var command: [UInt8] = []
    private var literals: [Int: [UInt8]] = [:]
    private var literalRemaining = 0
    private var literal: [UInt8] = []

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<Frame> {
        if literalRemaining > 0 {
            let take = min(literalRemaining, bytes.count)
            literal.append(contentsOf: bytes.prefix(take))
            literalRemaining -= take
            if literalRemaining == 0 { endLiteral() }
            return .skip(take)
        }
        guard let newline = bytes.index(of: 0x0A) else { return .needMore }
        command.append(contentsOf: bytes.prefix(newline))
        guard command.count <= limit else { return .stop }
        if command.last == 0x0D { command.removeLast() }
        if let size = Self.literalSize(command) {
            // `{n}` ends the line: the next n bytes are the literal, then the line goes on.
            command.removeLast(command.count - (command.lastIndex(of: 0x7B) ?? command.count))
            literalRemaining = size
            if size == 0 { endLiteral() }
            return .frame(.continued, consumed: newline + 1)
        }
        let whole = Frame.command(command, literals: literals)
        command = []
        literals = [:]
        return .frame(whole, consumed: newline + 1)
    }

    private mutating func endLiteral() {
        literals[command.count] = literal
        command.append(0)
        literal = []
    }

    private static func literalSize(_ line: [UInt8]) -> Int? {
        guard line.last == 0x7D, let open = line.lastIndex(of: 0x7B) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        if digits.last == 0x2B { digits = digits.dropLast() }  // {n+}: non-synchronising
        guard let size = Int(String(decoding: digits, as: UTF8.self)), size <= 65536 else { return nil }
        return size
    }
}

/// One IMAP connection.
final class IMAPSession: TCPSession {
    private var commands = FramedStream(IMAPCommandDecoder())
    private var serverLines = LineStream()
    private var commandPackets: [Int] = []
    /// Logins wait under their command tags.
    private var logins: LoginTracker
    private var plainTag: (tag: String, packet: Int)?
    private var startTLSTag: String?
    private var tls = false

    init(context: FlowContext) { logins = LoginTracker(context: context) }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !tls else { return }
        if side == .server {
            serverLines.feed(bytes) { raw in
                serverLine(String(decoding: raw, as: UTF8.self), packet: packet, into: &events)
            }
            return
        }
        commands.feed(bytes) { frame in
            commandPackets.append(packet)
            guard case .command(let command, let literals) = frame else { return }
            clientCommand(command, literals: literals, time: time, into: &events)
            commandPackets = []
        }
    }

    private func clientCommand(
        _ command: [UInt8], literals: [Int: [UInt8]], time: Timestamp, into events: inout [Event]
    ) {
        let packet = commandPackets.last ?? 0
        if let waiting = plainTag {
            plainTag = nil
            if let (user, secret) = TextCommand.saslPlain(String(decoding: command, as: UTF8.self)) {
                logins.begin(
                    PendingLogin(
                        protocolName: .imap, user: user, secret: secret, packets: [waiting.packet, packet], time: time,
                        method: "plain"),
                    tag: waiting.tag, into: &events)
            }
            return
        }
        let words = IMAPDissector.words(command, literals: literals)
        guard words.count >= 2 else { return }
        let tag = String(decoding: words[0], as: UTF8.self)
        let verb = String(decoding: words[1], as: UTF8.self).uppercased()
        switch verb {
        case "LOGIN" where words.count >= 4:
            logins.begin(
                PendingLogin(
                    protocolName: .imap, user: String(decoding: words[2], as: UTF8.self), secret: words[3],
                    packets: commandPackets, time: time, method: "password"),
                tag: tag, into: &events)
        case "AUTHENTICATE" where words.count >= 3 && String(decoding: words[2], as: UTF8.self).uppercased() == "PLAIN":
            if words.count >= 4, let (user, secret) = TextCommand.saslPlain(String(decoding: words[3], as: UTF8.self)) {
                logins.begin(
                    PendingLogin(
                        protocolName: .imap, user: user, secret: secret, packets: [packet], time: time, method: "plain"),
                    tag: tag, into: &events)
            } else {
                plainTag = (tag, packet)
            }
        case "STARTTLS":
            startTLSTag = tag
        default:
            break
        }
    }

    private func serverLine(_ line: String, packet: Int, into events: inout [Event]) {
        let parts = line.split(separator: " ", maxSplits: 2).map(String.init)
        guard parts.count >= 2 else { return }
        let tag = parts[0]
        let status = parts[1].uppercased()
        if tag == startTLSTag && status == "OK" {
            tls = true
            return
        }
        let outcome: AuthOutcome =
            status == "OK"
            ? .success(reply: "OK") : (status == "NO" || status == "BAD") ? .failure(reply: status) : .unknown
        logins.resolve(tag: tag, outcome, replyPacket: packet, into: &events)
    }

    func gap(on side: Side) {
        if side == .client { commands.stop() } else { serverLines.gap() }
    }

    func finish(into events: inout [Event]) { logins.flush(into: &events) }
}
