internal import VigilCore

/// Linux audit records (`/var/log/audit/audit.log`): `type=T msg=audit(SECONDS.MS:SERIAL): k=v …`.
///
/// Every record is an event whose fields are its `key=value` pairs, as SigmaHQ's `service:
/// auditd` rules name them (`type`, `a0`, `exe`, `key`, `SYSCALL` …; the log source mapping
/// declares the source open): the names known to Vigil (``knownKeys``, and any a loaded rule
/// uses) become fields, the rest stay in the raw record (`log.message`), so that a hostile log
/// cannot fill the table of field names. Values the kernel writes hex-encoded (an untrusted
/// string with a space or a quote: `proctitle`, `name`, EXECVE arguments …) are decoded.
///
/// Logins: a failed USER_AUTH or USER_ERR is a failed attempt; USER_LOGIN `res=failed` follows
/// one for the same attempt and is not counted again; `res=success` USER_LOGIN is a login.
enum AuditLog {
    private static let stamp = Array("msg=audit(".utf8)

    /// The keys of audit records that become fields even when no rule names them (from the
    /// audit system's field dictionary, the ones rules and reports use).
    static let knownKeys: Set<String> = [
        "type", "exe", "comm", "key", "name", "nametype", "syscall", "SYSCALL", "success", "exit", "uid", "auid",
        "euid", "gid", "egid", "suid", "fsuid", "pid", "ppid", "ses", "cwd", "proctitle", "acct", "op", "res", "addr",
        "hostname", "terminal", "cmd", "unit", "argc", "a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9",
        "mode", "ouid", "inode", "dev", "obj", "subj", "old-auid", "tty", "UID", "AUID", "EUID", "ARCH",
    ]
    private static let interned: Void = { for key in knownKeys { _ = Field.intern(key) } }()
    /// Keys whose value the kernel hex-encodes when it holds a space, a quote or a control byte.
    private static let untrusted: Set<String> = [
        "name", "cwd", "exe", "comm", "path", "proctitle", "data", "acct", "cmd", "dir", "old", "new",
    ]
    /// The most pairs read of one record (a longer record keeps the rest in its raw text).
    static let maxPairs = 128

    static func parse(_ message: UnsafeRawBufferPointer, context outer: LineContext, into events: inout [Event]) {
        _ = interned
        guard let at = message.find(stamp), let colon = message.index(of: 0x3A, from: at) else { return }
        let type = message.from(5).word(at: 0).text
        let seconds = message.slice(at + stamp.count, colon)
        let dot = seconds.index(of: 0x2E) ?? seconds.count
        guard let whole = seconds.slice(0, dot).integer else { return }
        let fraction = seconds.from(dot + 1)
        let millis = fraction.count == 3 ? fraction.integer ?? 0 : 0
        var pairs: [(key: String, value: String)] = [("type", type)]
        let close = message.index(of: 0x29, from: colon) ?? colon
        Self.pairs(message.from(min(message.count, close + 2)), type: type, into: &pairs)
        func value(_ key: String) -> String? {
            pairs.first { $0.key == key }.map(\.value).flatMap { $0 == "?" || $0.isEmpty ? nil : $0 }
        }
        let login = type == "USER_AUTH" || type == "USER_ERR" || type == "USER_LOGIN"
        // A login's service is the program that authenticated (sshd); other records are auditd's.
        let service = login ? value("exe")?.split(separator: "/").last.map(String.init) ?? "audit" : "auditd"
        var line = LogLine(message: message, format: .audit)
        line.pid = value("pid").flatMap { Int($0) }
        let context = LineContext(
            input: outer.input, number: outer.number, offset: outer.offset, line: line,
            time: Timestamp(seconds: Int64(whole), nanoseconds: Int64(millis) * 1_000_000), service: service)
        let before = events.count
        if login {
            let failed = value("res") == "failed"
            let address = value("addr").flatMap { text in Array(text.utf8).withUnsafeBytes { LogAddress($0) } }
            let account = value("acct")
            if failed && type != "USER_LOGIN" {
                context.appendFailure(
                    from: address, user: account, method: value("op"), reason: "audit: \(type) failed",
                    into: &events)
            } else if !failed && type == "USER_LOGIN" {
                events.append(context.auth(.authSuccess, from: address, user: account, method: value("op")))
            }
        }
        if events.count == before { events.append(context.event(.logLine)) }
        for index in before..<events.count {
            for (key, text) in pairs {
                guard let field = Field.named(key), events[index][field] == nil else { continue }
                events[index].add(field, text)
            }
        }
    }

    /// The `key=value` pairs of `bytes`: values quoted (`"…"`), hex-encoded (decoded), plain, or a
    /// quoted section of pairs of their own (`msg='op=… res=failed'`, flattened); the enriched
    /// format's group separator (0x1D) separates like a space.
    static func pairs(_ bytes: UnsafeRawBufferPointer, type: String, into pairs: inout [(key: String, value: String)]) {
        var index = 0
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x1D || byte == 0x09 }
        while index < bytes.count && pairs.count < maxPairs {
            while index < bytes.count && isSpace(bytes[index]) { index += 1 }
            let keyStart = index
            while index < bytes.count && bytes[index] != 0x3D && !isSpace(bytes[index]) { index += 1 }
            guard index < bytes.count, bytes[index] == 0x3D, index > keyStart, index - keyStart <= 32 else {
                // A word without a value (`user` in USER_LOGIN records), or a key too long to be
                // one: passed over, value and all.
                while index < bytes.count && !isSpace(bytes[index]) { index += 1 }
                continue
            }
            let key = bytes.slice(keyStart, index).text
            index += 1
            guard index < bytes.count else { break }
            switch bytes[index] {
            case 0x27:  // msg='…': pairs of their own
                let end = bytes.index(of: 0x27, from: index + 1) ?? bytes.count
                Self.pairs(bytes.slice(index + 1, end), type: type, into: &pairs)
                index = end + 1
            case 0x22:
                let end = bytes.index(of: 0x22, from: index + 1) ?? bytes.count
                pairs.append((key, bytes.slice(index + 1, end).text))
                index = end + 1
            default:
                let start = index
                while index < bytes.count && !isSpace(bytes[index]) { index += 1 }
                let raw = bytes.slice(start, index)
                let encoded = untrusted.contains(key) || (type == "EXECVE" && key.first == "a" && key != "argc")
                pairs.append((key, encoded ? hexDecoded(raw) ?? raw.text : raw.text))
            }
        }
    }

    /// `raw` decoded from hexadecimal (an even number of hex digits, at least two), or `nil`.
    static func hexDecoded(_ raw: UnsafeRawBufferPointer) -> String? {
        guard raw.count >= 2, raw.count % 2 == 0 else { return nil }
        func digit(_ byte: UInt8) -> UInt8? {
            switch byte {
            case 0x30...0x39: byte - 0x30
            case 0x41...0x46: byte - 0x37
            case 0x61...0x66: byte - 0x57
            default: nil
            }
        }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(raw.count / 2)
        var index = 0
        while index < raw.count {
            guard let high = digit(raw[index]), let low = digit(raw[index + 1]) else { return nil }
            // proctitle separates the arguments with NUL: shown as spaces.
            let byte = high << 4 | low
            decoded.append(byte == 0 ? 0x20 : byte)
            index += 2
        }
        return String(decoding: decoded, as: UTF8.self)
    }
}

extension AuditLog: StatelessLogService {
    static let programs: [String] = []
    static let formats: [LogLine.Format: String] = [.audit: "audit"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        parse(line.message, context: context, into: &events)
    }
}
