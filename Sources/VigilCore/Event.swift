/// What an event says happened (`auth.failure`, `log.line`), interned to a small number: kinds
/// compare as numbers. Sources may name kinds of their own; the contract's spelling is
/// ``rawValue``.
public struct EventKind: RawRepresentable, Hashable, Sendable, CustomStringConvertible {
    /// The kind's number in the table of kinds.
    public let id: UInt16

    static let table = NameTable(
        [
            "credential.observed", "auth.failure", "auth.success", "device.observed", "protocol.observed",
            "privilege.use", "privilege.denied", "account.change", "http.request", "log.line",
        ], capacity: 1 << 16)

    /// The kind of number `id` (the constants below, in the order of ``table``).
    @usableFromInline init(id: UInt16) { self.id = id }

    /// The kind named `rawValue` (`auth.failure`), interned on first use.
    public init(rawValue: String) { id = UInt16(Self.table.intern(rawValue) ?? Self.table.intern("log.line")!) }

    /// The kind's name.
    public var rawValue: String { Self.table.name(UInt32(id)) }
    public var description: String { rawValue }

    // By number: without these, `RawRepresentable`'s defaults would compare and hash the names.
    @inlinable public static func == (a: EventKind, b: EventKind) -> Bool { a.id == b.id }
    @inlinable public func hash(into hasher: inout Hasher) { hasher.combine(id) }

    @inlinable public static var credentialObserved: EventKind { EventKind(id: 0) }
    @inlinable public static var authFailure: EventKind { EventKind(id: 1) }
    @inlinable public static var authSuccess: EventKind { EventKind(id: 2) }
    @inlinable public static var deviceObserved: EventKind { EventKind(id: 3) }
    @inlinable public static var protocolObserved: EventKind { EventKind(id: 4) }
    @inlinable public static var privilegeUse: EventKind { EventKind(id: 5) }
    @inlinable public static var privilegeDenied: EventKind { EventKind(id: 6) }
    @inlinable public static var accountChange: EventKind { EventKind(id: 7) }
    @inlinable public static var httpRequest: EventKind { EventKind(id: 8) }
    /// A log line that no service's parser made an event of: its time, host, program, process
    /// and message, for keyword rules and rules over a whole log (`service: syslog`).
    @inlinable public static var logLine: EventKind { EventKind(id: 9) }
}

/// Where an event came from: an input, and a packet number (1-based, as tcpdump and Wireshark
/// count) or a line number (1-based) with the line's byte offset. Plain data: copying it costs
/// no reference count.
public struct SourceLocation: Hashable, Sendable {
    /// The input, interned.
    public var input: InputID
    /// The position inside it.
    public var position: Position
    /// For a line, the byte offset of its start in the input (decompressed), where the line can
    /// be read again; -1 when unknown.
    public var offset: Int64

    /// A position inside an input.
    public enum Position: Hashable, Sendable {
        case packet(Int)
        case line(Int)
    }

    /// The place `position` in `input`, at byte `offset` for a line.
    public init(input: InputID, position: Position, offset: Int64 = -1) {
        self.input = input
        self.position = position
        self.offset = offset
    }

    /// The place `position` in `path` (interned).
    public init(path: String, position: Position) { self.init(input: InputID(path: path), position: position) }

    /// The input file as the user named it (or found in a folder they named).
    public var path: String { input.path }

    /// `packet 118` or `line 12`, the locator reports print.
    public var locator: String {
        switch position {
        case .packet(let number): "packet \(number)"
        case .line(let number): "line \(number)"
        }
    }
}

/// A field's value, typed: text, an integer (ports, PIDs, reply codes), a boolean, or an
/// IP address in binary form.
///
/// Text is a `String`, or, for text longer than a small string read from a log line, the bytes of
/// the line where the reader keeps it (``EventText``): rules read those bytes in place, and a
/// `String` is made only when something asks for one (a finding's subject, a report). The two
/// are the same value: equal, and hashed alike, when their bytes are.
public enum FieldValue: Hashable, Sendable, CustomStringConvertible {
    case string(String)
    /// Text kept in the input's bytes (ASCII, as it was read).
    case text(EventText)
    case int(Int64)
    case bool(Bool)
    /// An address (`src.ip`, `dst.ip`) written in its canonical form; see ``IPAddress``.
    case address(IPAddress)

    /// The value as rules compare it: integers and booleans in their decimal/`true` spelling,
    /// addresses as written.
    public var description: String {
        switch self {
        case .string(let text): text
        case .text(let text): text.string
        case .int(let number): String(number)
        case .bool(let flag): flag ? "true" : "false"
        case .address(let address): address.description
        }
    }

    /// Calls `body` with the UTF-8 bytes of a text value (either form); `nil` for the others.
    @inline(__always)
    public func withTextBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result? {
        switch self {
        case .string(var text): try text.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
        case .text(let text): try text.withBytes(body)
        default: nil
        }
    }

    /// Text values are equal when their bytes are (whichever form holds them); the others by
    /// value.
    public static func == (a: FieldValue, b: FieldValue) -> Bool {
        switch (a, b) {
        case (.string(let x), .string(let y)): return x.utf8.elementsEqual(y.utf8)
        case (.string, .text), (.text, .string), (.text, .text):
            return a.withTextBytes { x in b.withTextBytes { y in x.elementsEqual(y) } ?? false } ?? false
        case (.int(let x), .int(let y)): return x == y
        case (.bool(let x), .bool(let y)): return x == y
        case (.address(let x), .address(let y)): return x == y
        default: return false
        }
    }

    public func hash(into hasher: inout Hasher) {
        switch self {
        case .string, .text:
            hasher.combine(0 as UInt8)
            withTextBytes { hasher.combine(bytes: $0) }
        case .int(let number):
            hasher.combine(1 as UInt8)
            hasher.combine(number)
        case .bool(let flag):
            hasher.combine(2 as UInt8)
            hasher.combine(flag)
        case .address(let address):
            hasher.combine(3 as UInt8)
            hasher.combine(address)
        }
    }

    /// `text` as an address value: binary when it is an address in its canonical spelling,
    /// else the text as it is (another spelling, a host name).
    public static func address(text: String) -> FieldValue {
        IPAddress(canonical: text).map(FieldValue.address) ?? .string(text)
    }
}

/// One observation with provenance, the unit that flows from sources to rules.
///
/// Fields are a short array, not a dictionary: an event carries a handful of them and rules
/// look them up by ``Field`` identifier.
public struct Event: Sendable {
    public var kind: EventKind
    public var time: Timestamp
    public var source: SourceLocation
    public private(set) var fields: [(field: Field, value: FieldValue)]
    /// The raw record the event was read from (a log line's message, after its header): the
    /// text keyword rules search, shown as `log.message`.
    public var text: EventText?
    /// The credential a `credential.observed` event saw, with its secret; `nil` otherwise.
    public var credential: Credential? {
        get { credentialBox?.credential }
        set { credentialBox = newValue.map(CredentialBox.init) }
    }
    /// Boxed: a credential is large and rare, and an event is copied at every hand-off, so the
    /// events without one (nearly all) stay small.
    private var credentialBox: CredentialBox?

    private final class CredentialBox: Sendable {
        let credential: Credential
        init(_ credential: Credential) { self.credential = credential }
    }

    /// Secrets the event's text fields hold (a password typed as a user name is in the log
    /// line): every output shows those fields through ``Secret/scrub(_:of:reveal:)``.
    public var secretsInText: [Secret] {
        get { secretsBox?.secrets ?? [] }
        set { secretsBox = newValue.isEmpty ? nil : SecretsBox(newValue) }
    }
    private var secretsBox: SecretsBox?

    private final class SecretsBox: Sendable {
        let secrets: [Secret]
        init(_ secrets: [Secret]) { self.secrets = secrets }
    }

    /// Every secret the event holds: its credential's and those in its text.
    public var secrets: [Secret] { (credential.map { [$0.secret] } ?? []) + secretsInText }

    /// An event of `kind` at `time`, read at `source`, with its credential if it carries one.
    public init(kind: EventKind, time: Timestamp, source: SourceLocation, credential: Credential? = nil) {
        self.kind = kind
        self.time = time
        self.source = source
        self.fields = []
        self.fields.reserveCapacity(12)  // one allocation for the fields an event usually has
        self.credentialBox = credential.map(CredentialBox.init)
    }

    /// The value of `field`, or `nil` if the event does not carry it. `event.kind` is always set;
    /// `log.message` is the raw record (``text``) unless a source set the field itself.
    public subscript(field: Field) -> FieldValue? {
        if field == .eventKind { return .string(kind.rawValue) }
        for entry in fields where entry.field == field { return entry.value }
        if field == .logMessage, let text { return .string(text.string) }
        if field == .timestamp { return .string(time.iso8601) }
        return nil
    }

    /// Every field with its value, `log.message` (the raw record) last when the event has one.
    public var allFields: [(field: Field, value: FieldValue)] {
        guard let text, !fields.contains(where: { $0.field == .logMessage }) else { return fields }
        return fields + [(.logMessage, .string(text.string))]
    }

    /// Sets `field`, replacing any earlier value.
    public mutating func set(_ field: Field, _ value: FieldValue?) {
        if let index = fields.firstIndex(where: { $0.field == field }) {
            if let value { fields[index].value = value } else { fields.remove(at: index) }
        } else if let value {
            fields.append((field, value))
        }
    }

    /// Adds `field`, known not to be set yet (a source building a new event): no search.
    public mutating func add(_ field: Field, _ value: FieldValue?) {
        if let value { fields.append((field, value)) }
    }

    /// Adds `text` as `field` (nothing for `nil`), keeping a value already there.
    public mutating func add(_ field: Field, _ text: String?) { add(field, text.map(FieldValue.string)) }
    /// Adds `number` as `field` (nothing for `nil`), keeping a value already there.
    public mutating func add(_ field: Field, _ number: Int?) { add(field, number.map { FieldValue.int(Int64($0)) }) }

    /// Sets `field` to `text`, replacing any value (nothing for `nil`).
    public mutating func set(_ field: Field, _ text: String?) { set(field, text.map(FieldValue.string)) }
    /// Sets `field` to `number`, replacing any value (nothing for `nil`).
    public mutating func set(_ field: Field, _ number: Int?) { set(field, number.map { FieldValue.int(Int64($0)) }) }
    /// Sets `field` to `flag`, replacing any value.
    public mutating func set(_ field: Field, _ flag: Bool) { set(field, FieldValue.bool(flag)) }

    /// Adds the address `text` as `field` (binary when canonical, see ``FieldValue/address(text:)``;
    /// nothing for `nil`).
    public mutating func add(_ field: Field, address text: String?) {
        add(field, text.map { FieldValue.address(text: $0) })
    }

    /// Sets `field` to the address `text`, replacing any value (nothing for `nil`).
    public mutating func set(_ field: Field, address text: String?) {
        set(field, text.map { FieldValue.address(text: $0) })
    }
}
