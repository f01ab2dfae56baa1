internal import VigilCore

/// What a service parser knows of the line it reads, and how it turns it into events.
struct LineContext {
    let input: InputID
    let number: Int
    /// The line's byte offset in its input (-1: unknown).
    var offset: Int64 = -1
    let line: LogLine
    /// The time of the line, or the file's reference time for a line written without one.
    let time: Timestamp
    let service: String
    /// The line as events keep it (``Event/text``), and where its bytes start in the buffer the
    /// parsers read: a field read from the line can be kept as a slice of it (``value(_:)``).
    var lineText: EventText? = nil
    var lineBase: UnsafeRawPointer? = nil

    /// The input, as reports name it.
    var path: String { input.path }

    /// `bytes`, part of the line being read, as a field value: text longer than a small string
    /// (which costs no allocation anyway) stays in the line's own bytes, no copy, when it is
    /// plain ASCII (``FieldValue/text``); anything else becomes a string.
    func value(_ bytes: UnsafeRawBufferPointer) -> FieldValue {
        if bytes.count > 15, let lineText, let lineBase, let start = bytes.baseAddress,
            !bytes.contains(where: { $0 >= 0x80 }),
            let slice = lineText.slice(from: lineBase.distance(to: start), count: bytes.count)
        {
            return .text(slice)
        }
        return .string(bytes.text)
    }

    /// A new event of `kind` carrying the line's provenance and header fields.
    func event(_ kind: EventKind) -> Event {
        var event = Event(
            kind: kind, time: time, source: SourceLocation(input: input, position: .line(number), offset: offset))
        event.add(.service, service)
        if !line.host.isEmpty { event.add(.hostName, line.host.text) }
        event.add(.processPID, line.pid)
        event.add(.logFormat, line.format.rawValue)
        event.add(.syslogFacility, line.facility)
        return event
    }

    /// An authentication event: failure or success, from `address`, for `user`.
    func auth(
        _ kind: EventKind, from address: LogAddress?, port: Int? = nil, user: String? = nil, method: String? = nil,
        reason: String? = nil, action: String? = nil
    ) -> Event {
        var event = event(kind)
        event.add(.srcIP, address: address?.ip)
        event.add(.srcDomain, address?.domain)
        event.add(.srcPort, port)
        event.add(.userName, user)
        event.add(.authMethod, method)
        event.add(.eventReason, reason)
        event.add(.eventAction, action ?? (kind == .authFailure ? "login-failed" : "logged-in"))
        return event
    }
}

/// Reads the lines of one log and emits the events they hold: the header is parsed once, and
/// the message goes to the service of the program that wrote it (``LogServices``), then to PAM
/// when that service made nothing of it.
///
/// Not `Sendable`: one analyzer per file, fed from one thread. Each service's state lives here,
/// for this log only.
final class LogAnalyzer {
    private var header: HeaderParser
    let path: String
    let input: InputID
    /// Lines that no service made an event of: they are events all the same (`log.line`), and
    /// the input's report counts them.
    private(set) var unrecognised = 0
    /// Where the events' raw messages are kept.
    private var texts = TextArena()
    /// The header format of the last line, and the service that claims it (if one does).
    private var formatCache: (format: LogLine.Format, service: (Int, String)?)?
    /// The time of the last dated line: an undated line (a continuation, a banner) is taken to
    /// be of that time.
    private var lastTime: Timestamp?
    /// Whether the line analysed last had a time of its own.
    private(set) var lastLineDated = false
    /// Each service's reader, made when its first line comes (by index in ``LogServices/all``).
    private var readers: [(any LogServiceReader)?] = Array(repeating: nil, count: LogServices.all.count)
    private lazy var fallback = LogServices.fallback.makeReader()

    init(path: String, clock: LogClock) {
        self.path = path
        input = InputID(path: path)
        header = HeaderParser(clock: clock)
    }

    var reference: Timestamp { header.clock.reference }

    /// Analyses one line; appends the events it holds.
    func analyse(_ bytes: UnsafeRawBufferPointer, number: Int, offset: Int64 = -1, into events: inout [Event]) {
        guard let line = header.parse(bytes) else { return }
        analyse(parsed: line, raw: bytes, number: number, offset: offset, into: &events)
    }

    /// Analyses a line whose header is already known (journald's fields give it); `raw` is the
    /// whole line as written (header and message), the message alone when there is none.
    func analyse(
        parsed line: LogLine, raw: UnsafeRawBufferPointer, number: Int, offset: Int64 = -1, into events: inout [Event]
    ) {
        if line.message.starts(with: Self.repeated) {
            // `message repeated 3 times: [ Failed password for root from … ]`
            let rest = line.message.from(Self.repeated.count)
            if let space = rest.index(of: 0x20), let count = rest.slice(0, space).integer,
                let open = rest.find(Self.openBracket), rest.last == 0x5D
            {
                var inner = line
                inner.message = rest.slice(open + 2, rest.count - 1).trimmed
                for _ in 0..<min(count, 10_000) {
                    dispatch(inner, raw: raw, number: number, offset: offset, into: &events)
                }
                return
            }
        }
        dispatch(line, raw: raw, number: number, offset: offset, into: &events)
    }

    static let repeated = Array("message repeated ".utf8)
    static let openBracket = Array("[ ".utf8)

    /// The events of one line: its service's, else PAM's, else a `log.line` event; each carries
    /// the raw line (header included: what keyword rules search, as a SIEM searches a raw
    /// event) as its text.
    private func dispatch(
        _ line: LogLine, raw: UnsafeRawBufferPointer, number: Int, offset: Int64, into events: inout [Event]
    ) {
        lastLineDated = line.time != nil
        if let time = line.time { lastTime = time }
        let time = line.time ?? lastTime ?? reference
        let before = events.count
        // Kept first, so that fields read from the line can be slices of it.
        let text = texts.store(raw)
        var context: LineContext
        // The format of the line before is that of most lines: looked up once per change.
        if formatCache?.format != line.format { formatCache = (line.format, LogServices.byFormat[line.format]) }
        if let (index, service) = formatCache!.service {
            // A header only one service writes: its lines are that service's, whatever they hold.
            context = LineContext(
                input: input, number: number, offset: offset, line: line, time: time, service: service,
                lineText: text, lineBase: raw.baseAddress)
            reader(index).read(line, context: context, into: &events)
        } else {
            let (service, index) = lookUp(line.programBase)
            context = LineContext(
                input: input, number: number, offset: offset, line: line, time: time, service: service,
                lineText: text, lineBase: raw.baseAddress)
            var pamMayFollow = true
            if let index {
                let reader = reader(index)
                reader.read(line, context: context, into: &events)
                pamMayFollow = reader.pamMayFollow
            }
            if events.count == before && pamMayFollow { fallback.read(line, context: context, into: &events) }
        }
        if events.count == before {
            unrecognised += 1
            events.append(context.event(.logLine))
        }
        for index in before..<events.count { events[index].text = text }
    }

    private func reader(_ index: Int) -> any LogServiceReader {
        if let reader = readers[index] { return reader }
        let reader = LogServices.all[index].makeReader()
        readers[index] = reader
        return reader
    }

    /// The last program seen, its name as text and its service: a log's lines come mostly from
    /// a few programs, so the name is compared as bytes and rarely made into a string again.
    private var lastProgram: [UInt8] = []
    private var lastService = "syslog"
    private var lastIndex: Int?

    private func lookUp(_ base: UnsafeRawBufferPointer) -> (String, Int?) {
        if base.count == lastProgram.count && base.elementsEqual(lastProgram) { return (lastService, lastIndex) }
        lastProgram = Array(base)
        lastService = base.isEmpty ? "syslog" : base.text
        lastIndex = LogServices.index(ofProgram: lastService)
        return (lastService, lastIndex)
    }
}

/// Whether a failed login's "user name" is in fact a password typed in the wrong field: long
/// enough, mixing upper and lower case with digits or symbols, as few account names do.
func looksLikePassword(_ name: String) -> Bool {
    let bytes = Array(name.utf8)
    guard bytes.count >= 8, bytes.count <= 64, !bytes.contains(0x20) else { return false }
    var lower = false
    var upper = false
    var digit = false
    var symbol = false
    for byte in bytes {
        switch byte {
        case 0x61...0x7A: lower = true
        case 0x41...0x5A: upper = true
        case 0x30...0x39: digit = true
        default: symbol = true
        }
    }
    let classes = [lower, upper, digit, symbol].filter { $0 }.count
    return upper && lower && classes >= 3
}

extension LineContext {
    /// The `credential.observed` event of a password typed as a user name: the secret is
    /// evidence (masked in every report), the name field left empty.
    func leakedPassword(_ text: String, from address: LogAddress?, port: Int? = nil) -> Event? {
        let secret = Secret(clear: Array(text.utf8))
        let credential = Credential(
            protocolName: service, username: "", secret: secret, kind: .password,
            client: address?.ip.map { Endpoint(ip: $0, port: port ?? 0) }, server: nil, outcome: .failure(reply: nil),
            packets: [])
        var event = event(.credentialObserved)
        event.credential = credential
        event.set(.srcIP, address: address?.ip)
        event.set(.srcDomain, address?.domain)
        event.set(.userName, "")
        event.set(.credentialProtocol, service)
        event.set(.credentialKind, "password")
        event.set(.credentialOutcome, "failure")
        event.set(.eventReason, "a password typed as the user name")
        return event
    }

    /// Appends a failure, and a leaked-password event when the user name looks like one.
    func appendFailure(
        from address: LogAddress?, port: Int? = nil, user: String?, method: String? = nil, reason: String? = nil,
        action: String? = nil, invalidUser: Bool = false, into events: inout [Event]
    ) {
        if invalidUser, let user, looksLikePassword(user), let leaked = leakedPassword(user, from: address, port: port)
        {
            // The "user" is a password: the failure names it masked, the leak is its own event; both
            // carry it, so that their line is shown scrubbed wherever it is shown.
            let masked = leaked.credential?.secret.masked ?? ""
            var failure = auth(
                .authFailure, from: address, port: port, user: masked, method: method,
                reason: (reason.map { $0 + "; " } ?? "") + "a password typed as the user name", action: action)
            failure.secretsInText = leaked.secrets
            events.append(failure)
            var leak = leaked
            leak.secretsInText = leaked.secrets
            events.append(leak)
            return
        }
        events.append(
            auth(.authFailure, from: address, port: port, user: user, method: method, reason: reason, action: action))
    }
}
