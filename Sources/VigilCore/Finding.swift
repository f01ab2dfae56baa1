public import VigilCrypto

/// Who or what a finding is about. Every part is optional: a log line may name only a user,
/// a device only a MAC address.
public struct Subject: Hashable, Sendable {
    public var ip: String?
    public var mac: String?
    public var host: String?
    public var user: String?

    /// A subject; `nil` for each part the finding does not know.
    public init(ip: String? = nil, mac: String? = nil, host: String? = nil, user: String? = nil) {
        self.ip = ip
        self.mac = mac
        self.host = host
        self.user = user
    }
}

/// One piece of evidence: a file, a place in it, and a sentence saying what is there.
public struct Evidence: Hashable, Sendable {
    public var source: String
    public var locator: String
    public var summary: String

    /// Evidence in `source` at `locator` (`packet 71`, `line 13`), with a one-line summary.
    public init(source: String, locator: String, summary: String) {
        self.source = source
        self.locator = locator
        self.summary = summary
    }
}

/// A rule's verdict on one subject, aggregated over every event that matched it.
public struct Finding: Sendable {
    /// Stable identifier: the same rule and subject give the same id in every run.
    public var id: String
    public var rule: String
    public var title: String
    public var severity: Severity
    public var category: Category
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    public var count: Int
    public var subject: Subject
    public var credential: Credential?
    /// At most ``Finding/evidenceLimit`` entries, the earliest first.
    public var evidence: [Evidence]
    public var remediation: String
    public var checklist: [String]

    /// How many pieces of evidence a finding keeps; `count` still counts every event.
    public static let evidenceLimit = 20

    /// A finding of `rule` about `subject`, with its times, count, evidence and remediation.
    public init(
        id: String, rule: String, title: String, severity: Severity, category: Category, firstSeen: Timestamp,
        lastSeen: Timestamp, count: Int, subject: Subject, credential: Credential?, evidence: [Evidence],
        remediation: String, checklist: [String]
    ) {
        self.id = id
        self.rule = rule
        self.title = title
        self.severity = severity
        self.category = category
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.count = count
        self.subject = subject
        self.credential = credential
        self.evidence = evidence
        self.remediation = remediation
        self.checklist = checklist
    }

    /// The id for `rule` and an aggregation `key` (subject and, for credentials, the account and
    /// secret digest): the first 32 hex digits of their SHA-256, stable across runs and machines.
    public static func stableID(rule: String, key: [String?]) throws(OpenSSLError) -> String {
        let text = ([rule] + key.map { $0 ?? "" }).joined(separator: "\u{1F}")
        return String(try SHA256.hex(text).prefix(32))
    }
}

/// What one input was and what reading it showed, for the report's `inputs` list: every path
/// named or found in a folder is one, whether it was read or not.
public struct InputReport: Sendable, Hashable {
    /// What became of an input.
    public enum Status: String, Sendable, Hashable {
        /// Read whole (perhaps with warnings).
        case read
        /// Read up to a point where it broke off (a corrupt record, a read error, a limit): what
        /// came before was analysed; the audit exits 2.
        case partial = "read-in-part"
        /// Not read, on purpose: of no kind Vigil reads, a duplicate of another input, hidden.
        case skipped
        /// Could not be read: missing, no permission, broken link; the audit exits 2.
        case unreadable
    }

    public var path: String
    /// `pcap`, `pcapng`, `log`, `log.gz`, `journal`, `inventory`; `unknown` when it was not read.
    public var kind: String
    public var status: Status = .read
    /// Why it was skipped, not readable or read in part.
    public var reason: String?
    /// Packets read, for captures.
    public var packets: Int?
    /// Lines read, for logs.
    public var lines: Int?
    /// Of those, the lines no service recognised: each is a `log.line` event all the same, for
    /// keyword rules and rules over a whole log.
    public var unrecognisedLines: Int?
    /// Problems that did not stop the reading (a truncated last record, a flow over its limit).
    public var warnings: [String]
    /// For a live capture, each sample's counts.
    public var samples: [CaptureSample] = []

    /// The report of an input read (or not: `status` and `reason`).
    public init(path: String, kind: String, packets: Int? = nil, lines: Int? = nil, warnings: [String] = []) {
        self.path = path
        self.kind = kind
        self.packets = packets
        self.lines = lines
        self.warnings = warnings
    }

    /// An input that was not read: skipped or not readable, and why.
    public init(path: String, status: Status, reason: String, kind: String = "unknown") {
        self.init(path: path, kind: kind)
        self.status = status
        self.reason = reason
    }

    /// The status as reports write it: `read-with-warnings` for an input read whole with warnings.
    public var statusLabel: String {
        status == .read && !warnings.isEmpty ? "read-with-warnings" : status.rawValue
    }

    /// Whether it makes the audit exit 2: not readable, or read only in part.
    public var isFailure: Bool { status == .unreadable || status == .partial }
}

/// Counts for one sample of a live capture.
public struct CaptureSample: Sendable, Hashable {
    public var index: Int
    public var start: Timestamp
    public var end: Timestamp
    public var packets: Int
    /// Bytes on the wire.
    public var bytes: Int
    /// Packets the kernel dropped during the sample (buffer full), from `pcap_stats`.
    public var kernelDrops: Int
    /// Packets the interface or driver dropped, where the platform reports it.
    public var interfaceDrops: Int

    /// A device seen, with what the inventory says of it.
    public init(
        index: Int, start: Timestamp, end: Timestamp, packets: Int, bytes: Int, kernelDrops: Int, interfaceDrops: Int
    ) {
        self.index = index
        self.start = start
        self.end = end
        self.packets = packets
        self.bytes = bytes
        self.kernelDrops = kernelDrops
        self.interfaceDrops = interfaceDrops
    }
}

/// A device seen on the network, for the report's `devices` list.
public struct Device: Sendable, Hashable {
    public var mac: String
    public var ips: [String]
    public var hostnames: [String]
    public var vendor: String?
    public var firstSeen: Timestamp
    public var lastSeen: Timestamp
    public var managed: Bool
    public var assetTag: String?
    /// The inventory's status for it (`active`, `retired`, `disposed`, `lost`, `stolen`).
    public var assetStatus: String?
    /// Switch or router platform (CDP, LLDP system description).
    public var platform: String?
    /// The switch port it announced (CDP, LLDP).
    public var port: String?
    /// The MAC's U/L bit is set: a randomised or virtual address, not a vendor's.
    public var locallyAdministered: Bool
    /// How it was seen: `arp`, `dhcp`, `lldp`, `cdp`, `mdns`, `llmnr`, `traffic`.
    public var seenBy: [String]

    /// One sample of a live capture: its times, packets, bytes and drops.
    public init(
        mac: String, ips: [String], hostnames: [String], vendor: String?, firstSeen: Timestamp, lastSeen: Timestamp,
        managed: Bool, assetTag: String?, platform: String? = nil, port: String? = nil,
        locallyAdministered: Bool = false, seenBy: [String] = []
    ) {
        self.mac = mac
        self.ips = ips
        self.hostnames = hostnames
        self.vendor = vendor
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.managed = managed
        self.assetTag = assetTag
        self.platform = platform
        self.port = port
        self.locallyAdministered = locallyAdministered
        self.seenBy = seenBy
    }
}
