/// The name of an event field, interned to a small integer.
///
/// Rules are compiled against `Field` values once, so matching an event never hashes a string.
/// The set is open: the names below are those Vigil's own sources produce (Elastic Common Schema
/// names where one exists: `src.ip`, `user.name`, ...); a source may add fields the core never
/// heard of (an audit record's `exe`, `key`, `a0`), and a rule interns the names it uses when it
/// loads. Which fields a source produces is its schema (``FieldSchema``).
public struct Field: Hashable, Sendable, CustomStringConvertible {
    /// The field's number in the table of fields.
    public let index: UInt16

    @usableFromInline init(_ index: UInt16) { self.index = index }

    /// The dotted name, as rules and the `vigil events` output spell it.
    public var name: String { Field.table.name(UInt32(index)) }
    public var description: String { name }

    /// The names Vigil's own sources produce, in identifier order: the constants below are their
    /// positions (constants, so that reading one costs no lazy initialisation).
    static let table = NameTable(
        [
            "event.kind",
            "src.ip", "src.port", "src.mac",
            "dst.ip", "dst.port", "dst.mac",
            "network.transport",
            "user.name", "host.name",
            "service", "process", "process.pid", "protocol",
            "credential.protocol", "credential.kind", "credential.outcome", "credential.reply",
            "credential.anonymous", "credential.hashcat_mode", "credential.version", "user.domain",
            "tls.version", "tls.server_name", "ssh.version", "ssh.software", "http.method", "url.path",
            "dhcp.hostname", "dhcp.vendor_class", "dhcp.fingerprint", "dhcp.requested_ip",
            "device.source", "device.platform", "device.port",
            "auth.method", "snmp.version",
            "src.domain", "user.target", "user.id", "group.name", "process.command_line", "process.working_directory",
            "tty", "event.action", "event.reason", "http.status", "http.user_agent", "log.format",
            "device.managed", "device.previous_mac", "asset.tag", "asset.status", "asset.owner",
            "credential.score", "credential.weak", "credential.default", "auth.new_source", "event.hour",
            "event.weekday", "log.message", "url.query", "http.referrer", "http.version", "url.domain",
            "http.bytes", "url.original", "timestamp", "url.extension", "log.syslog.facility.code",
        ], capacity: 1 << 16)

    /// The field with this dotted name, if any source or rule has named it.
    public static func named(_ name: String) -> Field? { table.number(of: name).map { Field(UInt16($0)) } }

    /// The field with this dotted name, interned when new (a source's own field, a rule's).
    /// `nil` only when 65,536 names are interned already.
    public static func intern(_ name: String) -> Field? { table.intern(name).map { Field(UInt16($0)) } }

    /// Every field named so far.
    public static var all: [Field] { (0..<table.size).map { Field(UInt16($0)) } }

    @inlinable public static var eventKind: Field { Field(0) }
    @inlinable public static var srcIP: Field { Field(1) }
    @inlinable public static var srcPort: Field { Field(2) }
    @inlinable public static var srcMAC: Field { Field(3) }
    @inlinable public static var dstIP: Field { Field(4) }
    @inlinable public static var dstPort: Field { Field(5) }
    @inlinable public static var dstMAC: Field { Field(6) }
    @inlinable public static var transport: Field { Field(7) }
    @inlinable public static var userName: Field { Field(8) }
    @inlinable public static var hostName: Field { Field(9) }
    @inlinable public static var service: Field { Field(10) }
    @inlinable public static var process: Field { Field(11) }
    @inlinable public static var processPID: Field { Field(12) }
    @inlinable public static var `protocol`: Field { Field(13) }
    @inlinable public static var credentialProtocol: Field { Field(14) }
    @inlinable public static var credentialKind: Field { Field(15) }
    @inlinable public static var credentialOutcome: Field { Field(16) }
    @inlinable public static var credentialReply: Field { Field(17) }
    @inlinable public static var credentialAnonymous: Field { Field(18) }
    @inlinable public static var credentialHashcatMode: Field { Field(19) }
    @inlinable public static var credentialVersion: Field { Field(20) }
    @inlinable public static var userDomain: Field { Field(21) }
    @inlinable public static var tlsVersion: Field { Field(22) }
    @inlinable public static var tlsServerName: Field { Field(23) }
    @inlinable public static var sshVersion: Field { Field(24) }
    @inlinable public static var sshSoftware: Field { Field(25) }
    @inlinable public static var httpMethod: Field { Field(26) }
    @inlinable public static var urlPath: Field { Field(27) }
    @inlinable public static var dhcpHostname: Field { Field(28) }
    @inlinable public static var dhcpVendorClass: Field { Field(29) }
    @inlinable public static var dhcpFingerprint: Field { Field(30) }
    @inlinable public static var dhcpRequestedIP: Field { Field(31) }
    @inlinable public static var deviceSource: Field { Field(32) }
    @inlinable public static var devicePlatform: Field { Field(33) }
    @inlinable public static var devicePort: Field { Field(34) }
    /// How a login authenticated: `password`, `simple` (LDAP), `basic`, `digest`, `ntlm`, `form`
    /// (HTTP), `apop`, `plain`, `login` (mail), `publickey`, ... (logs).
    @inlinable public static var authMethod: Field { Field(35) }
    @inlinable public static var snmpVersion: Field { Field(36) }
    /// The remote end by name, where a log gives a host name rather than an address.
    @inlinable public static var srcDomain: Field { Field(37) }
    /// The account a privilege was used as (`sudo -u`, `su`), or an account a change concerns.
    @inlinable public static var userTarget: Field { Field(38) }
    @inlinable public static var userID: Field { Field(39) }
    @inlinable public static var groupName: Field { Field(40) }
    @inlinable public static var processCommandLine: Field { Field(41) }
    @inlinable public static var processWorkingDirectory: Field { Field(42) }
    @inlinable public static var tty: Field { Field(43) }
    /// What happened, in a word: `user-added`, `group-member-added`, `password-changed`, ...
    @inlinable public static var eventAction: Field { Field(44) }
    /// Why, as the log says it (`invalid user`, `too many authentication failures`, ...).
    @inlinable public static var eventReason: Field { Field(45) }
    @inlinable public static var httpStatus: Field { Field(46) }
    @inlinable public static var httpUserAgent: Field { Field(47) }
    /// The log's format: `syslog`, `rfc5424`, `journal`, `apache-error`, `nginx-error`, `access`, ...
    @inlinable public static var logFormat: Field { Field(48) }
    /// Set on `device.observed` when an inventory was given: whether the MAC (or host name) is in it.
    @inlinable public static var deviceManaged: Field { Field(49) }
    /// Set on an ARP or DHCP sighting when the address was held by another MAC before ("flip flop").
    @inlinable public static var devicePreviousMAC: Field { Field(50) }
    /// The inventory row a device matched: its asset tag, status (`active`, `retired`,
    /// `disposed`, `lost`, `stolen`) and owner.
    @inlinable public static var assetTag: Field { Field(51) }
    @inlinable public static var assetStatus: Field { Field(52) }
    @inlinable public static var assetOwner: Field { Field(53) }
    /// A clear-text credential's zxcvbn score, 0 (guessed at once) to 4.
    @inlinable public static var credentialScore: Field { Field(54) }
    /// The credential fails the strength policy (see ``CredentialStrength``).
    @inlinable public static var credentialWeak: Field { Field(55) }
    /// The credential is a vendor default (admin/admin, SNMP `public`, ...).
    @inlinable public static var credentialDefault: Field { Field(56) }
    /// A success for an account from a source it had not logged in from before in this audit.
    @inlinable public static var authNewSource: Field { Field(57) }
    /// The hour (0-23) and ISO weekday (1 Monday - 7 Sunday) of a login, in the audit's time zone.
    @inlinable public static var eventHour: Field { Field(58) }
    @inlinable public static var eventWeekday: Field { Field(59) }
    /// The raw record an event was read from (a log line, header included): what keywords
    /// search (``Event/text``).
    @inlinable public static var logMessage: Field { Field(60) }
    /// The query of a requested URL (`a=1&b=2`), without its `?`.
    @inlinable public static var urlQuery: Field { Field(61) }
    /// The page a request came from (`Referer`).
    @inlinable public static var httpReferrer: Field { Field(62) }
    /// The protocol version of a request line (`HTTP/1.1`).
    @inlinable public static var httpVersion: Field { Field(63) }
    /// The host a request was for (`Host`), where a log records it.
    @inlinable public static var urlDomain: Field { Field(64) }
    /// The size of a response body, as an access log writes it.
    @inlinable public static var httpBytes: Field { Field(65) }
    /// A request's target as written (path and query).
    @inlinable public static var urlOriginal: Field { Field(66) }
    /// The extension of the requested file (`php` of `/shell.php?x=1`).
    @inlinable public static var urlExtension: Field { Field(68) }
    /// The event's own time (ISO 8601, UTC): every event has it; the field Sigma's time
    /// modifiers read (`timestamp|hour`).
    @inlinable public static var timestamp: Field { Field(67) }
    /// The syslog facility (RFC 5424 numbering: 4 auth, 10 authpriv), from a journald entry or a
    /// `<PRI>` header.
    @inlinable public static var syslogFacility: Field { Field(69) }
}
