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
    public var name: String { Field.table.name(index) }
    public var description: String { name }

    /// The names Vigil's own sources produce, in identifier order.
    static let table = NameTable([
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
    ])

    /// The field with this dotted name, if any source or rule has named it.
    public static func named(_ name: String) -> Field? { table.number(of: name).map(Field.init) }

    /// The field with this dotted name, interned when new (a source's own field, a rule's).
    /// `nil` only when 65,536 names are interned already.
    public static func intern(_ name: String) -> Field? { table.intern(name).map(Field.init) }

    /// Every field named so far.
    public static var all: [Field] { table.all.indices.map { Field(UInt16($0)) } }

    private static func known(_ name: String) -> Field {
        guard let field = named(name) else { preconditionFailure("field \(name) missing from Field.table") }
        return field
    }

    public static let eventKind = known("event.kind")
    public static let srcIP = known("src.ip")
    public static let srcPort = known("src.port")
    public static let srcMAC = known("src.mac")
    public static let dstIP = known("dst.ip")
    public static let dstPort = known("dst.port")
    public static let dstMAC = known("dst.mac")
    public static let transport = known("network.transport")
    public static let userName = known("user.name")
    public static let hostName = known("host.name")
    public static let service = known("service")
    public static let process = known("process")
    public static let processPID = known("process.pid")
    public static let `protocol` = known("protocol")
    public static let credentialProtocol = known("credential.protocol")
    public static let credentialKind = known("credential.kind")
    public static let credentialOutcome = known("credential.outcome")
    public static let credentialReply = known("credential.reply")
    public static let credentialAnonymous = known("credential.anonymous")
    public static let credentialHashcatMode = known("credential.hashcat_mode")
    public static let credentialVersion = known("credential.version")
    public static let userDomain = known("user.domain")
    public static let tlsVersion = known("tls.version")
    public static let tlsServerName = known("tls.server_name")
    public static let sshVersion = known("ssh.version")
    public static let sshSoftware = known("ssh.software")
    public static let httpMethod = known("http.method")
    public static let urlPath = known("url.path")
    public static let dhcpHostname = known("dhcp.hostname")
    public static let dhcpVendorClass = known("dhcp.vendor_class")
    public static let dhcpFingerprint = known("dhcp.fingerprint")
    public static let dhcpRequestedIP = known("dhcp.requested_ip")
    public static let deviceSource = known("device.source")
    public static let devicePlatform = known("device.platform")
    public static let devicePort = known("device.port")
    /// How a login authenticated: `password`, `simple` (LDAP), `basic`, `digest`, `ntlm`, `form`
    /// (HTTP), `apop`, `plain`, `login` (mail), `publickey`, ... (logs).
    public static let authMethod = known("auth.method")
    public static let snmpVersion = known("snmp.version")
    /// The remote end by name, where a log gives a host name rather than an address.
    public static let srcDomain = known("src.domain")
    /// The account a privilege was used as (`sudo -u`, `su`), or an account a change concerns.
    public static let userTarget = known("user.target")
    public static let userID = known("user.id")
    public static let groupName = known("group.name")
    public static let processCommandLine = known("process.command_line")
    public static let processWorkingDirectory = known("process.working_directory")
    public static let tty = known("tty")
    /// What happened, in a word: `user-added`, `group-member-added`, `password-changed`, ...
    public static let eventAction = known("event.action")
    /// Why, as the log says it (`invalid user`, `too many authentication failures`, ...).
    public static let eventReason = known("event.reason")
    public static let httpStatus = known("http.status")
    public static let httpUserAgent = known("http.user_agent")
    /// The log's format: `syslog`, `rfc5424`, `journal`, `apache-error`, `nginx-error`, `access`, ...
    public static let logFormat = known("log.format")
    /// Set on `device.observed` when an inventory was given: whether the MAC (or host name) is in it.
    public static let deviceManaged = known("device.managed")
    /// Set on an ARP or DHCP sighting when the address was held by another MAC before ("flip flop").
    public static let devicePreviousMAC = known("device.previous_mac")
    /// The inventory row a device matched: its asset tag, status (`active`, `retired`,
    /// `disposed`, `lost`, `stolen`) and owner.
    public static let assetTag = known("asset.tag")
    public static let assetStatus = known("asset.status")
    public static let assetOwner = known("asset.owner")
    /// A clear-text credential's zxcvbn score, 0 (guessed at once) to 4.
    public static let credentialScore = known("credential.score")
    /// The credential fails the strength policy (see ``CredentialStrength``).
    public static let credentialWeak = known("credential.weak")
    /// The credential is a vendor default (admin/admin, SNMP `public`, ...).
    public static let credentialDefault = known("credential.default")
    /// A success for an account from a source it had not logged in from before in this audit.
    public static let authNewSource = known("auth.new_source")
    /// The hour (0-23) and ISO weekday (1 Monday - 7 Sunday) of a login, in the audit's time zone.
    public static let eventHour = known("event.hour")
    public static let eventWeekday = known("event.weekday")
    /// The log line's message (after the syslog header), kept only when a rule's `keywords`
    /// need the raw text.
    public static let logMessage = known("log.message")
    /// The query of a requested URL (`a=1&b=2`), without its `?`.
    public static let urlQuery = known("url.query")
    /// The page a request came from (`Referer`).
    public static let httpReferrer = known("http.referrer")
    /// The protocol version of a request line (`HTTP/1.1`).
    public static let httpVersion = known("http.version")
    /// The host a request was for (`Host`), where a log records it.
    public static let urlDomain = known("url.domain")
    /// The size of a response body, as an access log writes it.
    public static let httpBytes = known("http.bytes")
    /// A request's target as written (path and query).
    public static let urlOriginal = known("url.original")
    /// The extension of the requested file (`php` of `/shell.php?x=1`).
    public static let urlExtension = known("url.extension")
    /// The event's own time (ISO 8601, UTC): every event has it; the field Sigma's time
    /// modifiers read (`timestamp|hour`).
    public static let timestamp = known("timestamp")
}
