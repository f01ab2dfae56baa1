internal import Foundation
internal import VigilCore

/// The user and password of a SASL PLAIN message (RFC 4616): `authzid NUL authcid NUL passwd`,
/// base64-encoded.
func saslPlain(_ base64: String) -> (user: String, secret: [UInt8])? {
    guard let data = Data(base64Encoded: base64.trimmingSpaces) else { return nil }
    let parts = data.split(separator: 0, omittingEmptySubsequences: false)
    guard parts.count == 3 else { return nil }
    let user = String(decoding: parts[1].isEmpty ? parts[0] : parts[1], as: UTF8.self)
    return (user, Array(parts[2]))
}

/// Base64 text decoded to bytes, or `nil`.
func base64Bytes(_ text: String) -> [UInt8]? { Data(base64Encoded: text.trimmingSpaces).map(Array.init) }

/// A pending login awaiting the server's verdict.
struct PendingLogin {
    var protocolName: String
    var user: String
    var secret: [UInt8]
    var kind: CredentialKind = .password
    var packets: [Int]
    var time: Timestamp
    var attributes: [CredentialAttribute] = []
    /// How a mail client logged in (`password` for USER/PASS and LOGIN, `plain`, `login`,
    /// `apop`): set, a login also reports its service as taking logins in clear. Other
    /// protocols sharing this type (Telnet, databases) have their own protocol events.
    var method: String? = nil
}

extension FlowContext {
    /// Appends the event for `login` with `outcome`.
    func emit(_ login: PendingLogin, outcome: AuthOutcome, replyPacket: Int?, into events: inout [Event]) {
        guard
            let credential = credential(
                login.protocolName, user: login.user, secret: login.secret, kind: login.kind, outcome: outcome,
                packets: login.packets + (replyPacket.map { [$0] } ?? []), attributes: login.attributes)
        else { return }
        events.append(credentialEvent(credential, time: login.time, packet: login.packets.last ?? 0))
        guard let method = login.method else { return }
        // `pop3-apop` is POP3 by the APOP method: the protocol is the name's first part.
        let service = login.protocolName.split(separator: "-").first.map(String.init) ?? login.protocolName
        events.append(cleartextLoginEvent(service, method: method, packet: login.packets.last ?? 0, time: login.time))
    }
}

// MARK: - POP3

/// POP3 (RFC 1939, RFC 5034): `USER`/`PASS`, `APOP` (an MD5 digest of the banner's timestamp and
/// the password), `AUTH PLAIN`; `+OK` success, `-ERR` failure; reading stops after `STLS`.
enum POP3Dissector: TCPDissector {
    static let name = "pop3"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if input.serverPort == 110 { return .yes(swapSides: false) }
        // The banner comes first; a "+OK" answering a client that spoke first is Redis or other.
        if case .text(let line) = input.serverLine, line.hasPrefix("+OK"), input.firstSpeaker != .client {
            return .yes(swapSides: false)
        }
        if case .text(let line) = input.clientLine, line.hasPrefix("+OK"), input.firstSpeaker == .client {
            return .yes(swapSides: true)
        }
        if case .text = input.serverLine { return .no }
        return input.clientLine == .pending && input.server.isEmpty ? .undecided : .no
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { POP3Session(context: context) }
}

final class POP3Session: TCPSession {
    private let context: FlowContext
    private var clientLines = LineBuffer()
    private var serverLines = LineBuffer()
    private var user: (name: String, packet: Int)?
    private var pending: PendingLogin?
    private var awaitingPlain: Int?
    private var tls = false
    private var stlsRequested = false

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !tls else { return }
        if side == .client {
            clientLines.feed(bytes) { raw in
                let line = String(decoding: raw, as: UTF8.self)
                if let started = awaitingPlain {
                    awaitingPlain = nil
                    if let (name, secret) = saslPlain(line) {
                        pending = PendingLogin(
                            protocolName: "pop3", user: name, secret: secret, packets: [started, packet], time: time,
                            method: "plain")
                    }
                    return
                }
                let words = line.split(separator: " ", maxSplits: 1).map(String.init)
                let verb = words.first?.uppercased() ?? ""
                let argument = words.count > 1 ? words[1] : ""
                switch verb {
                case "USER": user = (argument, packet)
                case "PASS":
                    pending = PendingLogin(
                        protocolName: "pop3", user: user?.name ?? "", secret: Array(argument.utf8),
                        packets: [user?.packet, packet].compactMap { $0 }, time: time, method: "password")
                case "APOP":
                    let parts = argument.split(separator: " ").map(String.init)
                    if parts.count == 2 {
                        pending = PendingLogin(
                            protocolName: "pop3-apop", user: parts[0], secret: Array(parts[1].utf8), kind: .hash,
                            packets: [packet], time: time, method: "apop")
                    }
                case "AUTH":
                    let parts = argument.split(separator: " ").map(String.init)
                    if parts.first?.uppercased() == "PLAIN" {
                        if parts.count == 2, let (name, secret) = saslPlain(parts[1]) {
                            pending = PendingLogin(
                                protocolName: "pop3", user: name, secret: secret, packets: [packet], time: time,
                                method: "plain")
                        } else {
                            awaitingPlain = packet
                        }
                    }
                case "STLS": stlsRequested = true
                default: break
                }
            }
        } else {
            serverLines.feed(bytes) { raw in
                let ok = raw.starts(with: Array("+OK".utf8))
                let error = raw.starts(with: Array("-ERR".utf8))
                if stlsRequested && ok {
                    tls = true
                    return
                }
                stlsRequested = false
                guard ok || error, let login = pending else { return }
                pending = nil
                context.emit(
                    login, outcome: ok ? .success(reply: "+OK") : .failure(reply: "-ERR"), replyPacket: packet,
                    into: &events)
            }
        }
    }

    func gap(on side: Side) { if side == .client { clientLines.reset() } else { serverLines.reset() } }

    func finish(into events: inout [Event]) {
        if let login = pending { context.emit(login, outcome: .unknown, replyPacket: nil, into: &events) }
        pending = nil
    }
}

// MARK: - IMAP

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

final class IMAPSession: TCPSession {
    private let context: FlowContext
    private var serverLines = LineBuffer()
    /// The command being assembled: text so far, with a NUL standing for each literal.
    private var command: [UInt8] = []
    private var literals: [Int: [UInt8]] = [:]
    private var literalRemaining = 0
    private var literal: [UInt8] = []
    private var commandPackets: [Int] = []
    private var pending: [String: PendingLogin] = [:]
    private var plainTag: (tag: String, packet: Int)?
    private var startTLSTag: String?
    private var tls = false
    private var lost = false

    init(context: FlowContext) { self.context = context }

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
        guard !lost else { return }
        for byte in bytes {
            if literalRemaining > 0 {
                literal.append(byte)
                literalRemaining -= 1
                if literalRemaining == 0 {
                    literals[command.count] = literal
                    command.append(0)
                    literal = []
                }
                continue
            }
            if byte == 0x0A {
                if command.last == 0x0D { command.removeLast() }
                if let size = Self.literalSize(command) {
                    // `{n}` ends the line: the next n bytes are the literal, then the line goes on.
                    command.removeLast(command.count - (command.lastIndex(of: 0x7B) ?? command.count))
                    literalRemaining = size
                    if size == 0 {
                        literals[command.count] = []
                        command.append(0)
                    }
                    commandPackets.append(packet)
                    continue
                }
                commandPackets.append(packet)
                clientCommand(time: time, into: &events)
                command = []
                literals = [:]
                commandPackets = []
                continue
            }
            command.append(byte)
            if command.count > 16384 {
                lost = true
                return
            }
        }
    }

    private static func literalSize(_ line: [UInt8]) -> Int? {
        guard line.last == 0x7D, let open = line.lastIndex(of: 0x7B) else { return nil }
        var digits = line[(open + 1)..<(line.count - 1)]
        if digits.last == 0x2B { digits = digits.dropLast() }  // {n+}: non-synchronising
        guard let size = Int(String(decoding: digits, as: UTF8.self)), size <= 65536 else { return nil }
        return size
    }

    private func clientCommand(time: Timestamp, into events: inout [Event]) {
        let packet = commandPackets.last ?? 0
        if let waiting = plainTag {
            plainTag = nil
            if let (user, secret) = saslPlain(String(decoding: command, as: UTF8.self)) {
                pending[waiting.tag] = PendingLogin(
                    protocolName: "imap", user: user, secret: secret, packets: [waiting.packet, packet], time: time,
                    method: "plain")
            }
            return
        }
        let words = IMAPDissector.words(command, literals: literals)
        guard words.count >= 2 else { return }
        let tag = String(decoding: words[0], as: UTF8.self)
        let verb = String(decoding: words[1], as: UTF8.self).uppercased()
        switch verb {
        case "LOGIN" where words.count >= 4:
            pending[tag] = PendingLogin(
                protocolName: "imap", user: String(decoding: words[2], as: UTF8.self), secret: words[3],
                packets: commandPackets, time: time, method: "password")
        case "AUTHENTICATE" where words.count >= 3 && String(decoding: words[2], as: UTF8.self).uppercased() == "PLAIN":
            if words.count >= 4, let (user, secret) = saslPlain(String(decoding: words[3], as: UTF8.self)) {
                pending[tag] = PendingLogin(
                    protocolName: "imap", user: user, secret: secret, packets: [packet], time: time, method: "plain")
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
        guard let login = pending.removeValue(forKey: tag) else { return }
        let outcome: AuthOutcome =
            status == "OK"
            ? .success(reply: "OK") : (status == "NO" || status == "BAD") ? .failure(reply: status) : .unknown
        context.emit(login, outcome: outcome, replyPacket: packet, into: &events)
    }

    func gap(on side: Side) {
        if side == .client { lost = true } else { serverLines.reset() }
    }

    func finish(into events: inout [Event]) {
        for (_, login) in pending.sorted(by: { $0.value.time < $1.value.time }) {
            context.emit(login, outcome: .unknown, replyPacket: nil, into: &events)
        }
        pending.removeAll()
    }
}

// MARK: - SMTP

/// SMTP submission (RFC 4954): `AUTH PLAIN` (initial response or after a 334 prompt) and
/// `AUTH LOGIN` (user and password base64 on separate lines after 334 prompts); 235 success,
/// 535 and other 4xx/5xx failure; reading stops after `STARTTLS` is accepted (220).
enum SMTPDissector: TCPDissector {
    static let name = "smtp"

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if [25, 587, 2525].contains(input.serverPort) { return .yes(swapSides: false) }
        let client = input.clientLine
        let server = input.serverLine
        if case .text(let line) = client, ["EHLO", "HELO", "LHLO"].contains(FTPDissector.verb(of: line)) {
            if case .text(let banner) = server { return banner.hasPrefix("220") ? .yes(swapSides: false) : .no }
            return .yes(swapSides: false)
        }
        if case .text(let line) = server, ["EHLO", "HELO"].contains(FTPDissector.verb(of: line)) {
            return .yes(swapSides: true)
        }
        if case .text(let banner) = server, banner.hasPrefix("220"), client == .pending { return .undecided }
        return .no
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { SMTPSession(context: context) }
}

final class SMTPSession: TCPSession {
    private enum Step {
        case idle
        case plainPrompt(Int)
        case loginUser(Int)
        case loginPassword(user: String, packets: [Int])
    }

    private let context: FlowContext
    private var clientLines = LineBuffer()
    private var serverLines = LineBuffer()
    private var step = Step.idle
    private var pending: PendingLogin?
    private var startTLS = false
    private var tls = false
    private var inData = false

    init(context: FlowContext) { self.context = context }

    func receive(
        _ bytes: UnsafeRawBufferPointer, from side: Side, packet: Int, time: Timestamp, into events: inout [Event]
    ) {
        guard !tls else { return }
        if side == .client {
            clientLines.feed(bytes) { raw in
                clientLine(String(decoding: raw, as: UTF8.self), packet: packet, time: time)
            }
        } else {
            serverLines.feed(bytes) { raw in
                serverLine(String(decoding: raw, as: UTF8.self), packet: packet, into: &events)
            }
        }
    }

    private func clientLine(_ line: String, packet: Int, time: Timestamp) {
        if inData {
            if line == "." { inData = false }
            return
        }
        switch step {
        case .plainPrompt(let started):
            step = .idle
            if let (user, secret) = saslPlain(line) {
                pending = PendingLogin(
                    protocolName: "smtp", user: user, secret: secret, packets: [started, packet], time: time,
                    method: "plain")
            }
            return
        case .loginUser(let started):
            step = .loginPassword(
                user: base64Bytes(line).map { String(decoding: $0, as: UTF8.self) } ?? line, packets: [started, packet])
            return
        case .loginPassword(let user, let packets):
            step = .idle
            if let secret = base64Bytes(line) {
                pending = PendingLogin(
                    protocolName: "smtp", user: user, secret: secret, packets: packets + [packet], time: time,
                    method: "login")
            }
            return
        case .idle:
            break
        }
        let words = line.split(separator: " ").map(String.init)
        switch words.first?.uppercased() {
        case "AUTH" where words.count >= 2:
            switch words[1].uppercased() {
            case "PLAIN":
                if words.count >= 3, let (user, secret) = saslPlain(words[2]) {
                    pending = PendingLogin(
                        protocolName: "smtp", user: user, secret: secret, packets: [packet], time: time,
                        method: "plain")
                } else {
                    step = .plainPrompt(packet)
                }
            case "LOGIN":
                if words.count >= 3, let user = base64Bytes(words[2]) {
                    step = .loginPassword(user: String(decoding: user, as: UTF8.self), packets: [packet])
                } else {
                    step = .loginUser(packet)
                }
            default: break
            }
        case "STARTTLS": startTLS = true
        case "DATA": inData = true
        default: break
        }
    }

    private func serverLine(_ line: String, packet: Int, into events: inout [Event]) {
        guard let reply = FTPDissector.replyCode(line), !reply.continues else { return }
        if startTLS {
            startTLS = false
            if reply.code == 220 { tls = true }
            return
        }
        if reply.code == 354 { inData = true }
        guard reply.code != 334, let login = pending else {
            if reply.code >= 400 { step = .idle }
            return
        }
        pending = nil
        let outcome: AuthOutcome =
            reply.code == 235
            ? .success(reply: "235") : reply.code >= 400 ? .failure(reply: String(reply.code)) : .unknown
        context.emit(login, outcome: outcome, replyPacket: packet, into: &events)
    }

    func gap(on side: Side) { if side == .client { clientLines.reset() } else { serverLines.reset() } }

    func finish(into events: inout [Event]) {
        if let login = pending { context.emit(login, outcome: .unknown, replyPacket: nil, into: &events) }
        pending = nil
    }
}
