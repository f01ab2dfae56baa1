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

    private init(_ index: UInt16) { self.index = index }

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
            "http.bytes", "url.original", "timestamp", "url.extension",
        ], capacity: 1 << 16)

    /// The field with this dotted name, if any source or rule has named it.
    public static func named(_ name: String) -> Field? { table.number(of: name).map { Field(UInt16($0)) } }

    /// The field with this dotted name, interned when new (a source's own field, a rule's).
    /// `nil` only when 65,536 names are interned already.
    public static func intern(_ name: String) -> Field? { table.intern(name).map { Field(UInt16($0)) } }

    /// Every field named so far.
    public static var all: [Field] { (0..<table.size).map { Field(UInt16($0)) } }

    public static let eventKind = Field(0)
    public static let srcIP = Field(1)
    public static let srcPort = Field(2)
    public static let srcMAC = Field(3)
    public static let dstIP = Field(4)
    public static let dstPort = Field(5)
    public static let dstMAC = Field(6)
    public static let transport = Field(7)
    public static let userName = Field(8)
    public static let hostName = Field(9)
    public static let service = Field(10)
    public static let process = Field(11)
    public static let processPID = Field(12)
    public static let `protocol` = Field(13)
    public static let credentialProtocol = Field(14)
    public static let credentialKind = Field(15)
    public static let credentialOutcome = Field(16)
    public static let credentialReply = Field(17)
    public static let credentialAnonymous = Field(18)
    public static let credentialHashcatMode = Field(19)
    public static let credentialVersion = Field(20)
    public static let userDomain = Field(21)
    public static let tlsVersion = Field(22)
    public static let tlsServerName = Field(23)
    public static let sshVersion = Field(24)
    public static let sshSoftware = Field(25)
    public static let httpMethod = Field(26)
    public static let urlPath = Field(27)
    public static let dhcpHostname = Field(28)
    public static let dhcpVendorClass = Field(29)
    public static let dhcpFingerprint = Field(30)
    public static let dhcpRequestedIP = Field(31)
    public static let deviceSource = Field(32)
    public static let devicePlatform = Field(33)
    public static let devicePort = Field(34)
    /// How a login authenticated: `password`, `simple` (LDAP), `basic`, `digest`, `ntlm`, `form`
    /// (HTTP), `apop`, `plain`, `login` (mail), `publickey`, ... (logs).
    public static let authMethod = Field(35)
    public static let snmpVersion = Field(36)
    /// The remote end by name, where a log gives a host name rather than an address.
    public static let srcDomain = Field(37)
    /// The account a privilege was used as (`sudo -u`, `su`), or an account a change concerns.
    public static let userTarget = Field(38)
    public static let userID = Field(39)
    public static let groupName = Field(40)
    public static let processCommandLine = Field(41)
    public static let processWorkingDirectory = Field(42)
    public static let tty = Field(43)
    /// What happened, in a word: `user-added`, `group-member-added`, `password-changed`, ...
    public static let eventAction = Field(44)
    /// Why, as the log says it (`invalid user`, `too many authentication failures`, ...).
    public static let eventReason = Field(45)
    public static let httpStatus = Field(46)
    public static let httpUserAgent = Field(47)
    /// The log's format: `syslog`, `rfc5424`, `journal`, `apache-error`, `nginx-error`, `access`, ...
    public static let logFormat = Field(48)
    /// Set on `device.observed` when an inventory was given: whether the MAC (or host name) is in it.
    public static let deviceManaged = Field(49)
    /// Set on an ARP or DHCP sighting when the address was held by another MAC before ("flip flop").
    public static let devicePreviousMAC = Field(50)
    /// The inventory row a device matched: its asset tag, status (`active`, `retired`,
    /// `disposed`, `lost`, `stolen`) and owner.
    public static let assetTag = Field(51)
    public static let assetStatus = Field(52)
    public static let assetOwner = Field(53)
    /// A clear-text credential's zxcvbn score, 0 (guessed at once) to 4.
    public static let credentialScore = Field(54)
    /// The credential fails the strength policy (see ``CredentialStrength``).
    public static let credentialWeak = Field(55)
    /// The credential is a vendor default (admin/admin, SNMP `public`, ...).
    public static let credentialDefault = Field(56)
    /// A success for an account from a source it had not logged in from before in this audit.
    public static let authNewSource = Field(57)
    /// The hour (0-23) and ISO weekday (1 Monday - 7 Sunday) of a login, in the audit's time zone.
    public static let eventHour = Field(58)
    public static let eventWeekday = Field(59)
    /// The raw record an event was read from (a log line, header included): what keywords
    /// search (``Event/text``).
    public static let logMessage = Field(60)
    /// The query of a requested URL (`a=1&b=2`), without its `?`.
    public static let urlQuery = Field(61)
    /// The page a request came from (`Referer`).
    public static let httpReferrer = Field(62)
    /// The protocol version of a request line (`HTTP/1.1`).
    public static let httpVersion = Field(63)
    /// The host a request was for (`Host`), where a log records it.
    public static let urlDomain = Field(64)
    /// The size of a response body, as an access log writes it.
    public static let httpBytes = Field(65)
    /// A request's target as written (path and query).
    public static let urlOriginal = Field(66)
    /// The extension of the requested file (`php` of `/shell.php?x=1`).
    public static let urlExtension = Field(68)
    /// The event's own time (ISO 8601, UTC): every event has it; the field Sigma's time
    /// modifiers read (`timestamp|hour`).
    public static let timestamp = Field(67)
}
