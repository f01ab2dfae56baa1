/// The fields each kind of event carries, as Vigil's sources produce them: used when rules load,
/// to tell a rule that can never match here (it names a field no source of its events produces)
/// from a typo (a name no source produces at all). Sources whose records name their own fields
/// (audit records' key=value pairs) are declared open by the log source mapping instead.
public enum FieldSchema {
    /// Every event from a log line carries these.
    static let logLine = [
        "event.kind", "service", "host.name", "process.pid", "log.format", "log.message", "log.syslog.facility.code",
    ]
    static let connection = ["src.ip", "src.port", "dst.ip", "dst.port", "network.transport", "protocol", "src.mac"]
    static let login = ["src.ip", "src.domain", "src.port", "user.name", "auth.method", "event.reason", "event.action"]

    static let byKind: [String: Set<String>] = [
        "log.line": Set(logLine),
        "auth.failure": Set(logLine + login + ["tty", "user.target"]),
        "auth.success": Set(
            logLine + login + ["tty", "user.target", "auth.new_source", "event.hour", "event.weekday"]),
        "privilege.use": Set(
            logLine + [
                "user.name", "user.target", "tty", "process.working_directory", "process.command_line",
                "event.action", "event.reason", "src.ip",
            ]),
        "privilege.denied": Set(
            logLine + [
                "user.name", "user.target", "tty", "process.working_directory", "process.command_line",
                "event.action", "event.reason", "src.ip",
            ]),
        "account.change": Set(
            logLine + ["event.action", "event.reason", "user.target", "user.name", "group.name", "user.id", "src.ip"]),
        "http.request": Set(
            logLine + [
                "src.ip", "src.domain", "user.name", "http.method", "url.path", "url.query", "url.original",
                "http.status", "http.user_agent", "http.referrer", "http.version", "http.bytes", "url.domain",
                "url.extension",
                "event.action", "event.reason",
            ]),
        "credential.observed": Set(
            logLine + connection + [
                "user.name", "user.domain", "src.domain", "event.reason", "credential.protocol", "credential.kind",
                "credential.outcome", "credential.reply", "credential.anonymous", "credential.hashcat_mode",
                "credential.version", "credential.score", "credential.weak", "credential.default",
            ]),
        "protocol.observed": Set(
            connection + [
                "event.kind", "host.name", "tls.version", "tls.server_name", "ssh.version", "ssh.software",
                "auth.method", "snmp.version",
            ]),
        "device.observed": Set([
            "event.kind", "src.mac", "src.ip", "host.name", "device.source", "device.platform", "device.port",
            "dhcp.hostname", "dhcp.vendor_class", "dhcp.fingerprint", "dhcp.requested_ip", "device.managed",
            "device.previous_mac", "asset.tag", "asset.status", "asset.owner",
        ]),
    ]

    /// Whether some source of events of `kinds` (any kind: `nil`) produces `field`.
    public static func produces(_ field: String, kinds: Set<EventKind>?) -> Bool {
        if field == "timestamp" { return true }  // every event has its time
        guard let kinds else { return byKind.values.contains { $0.contains(field) } }
        return kinds.contains { byKind[$0.rawValue]?.contains(field) ?? false }
    }

    /// The kinds of events that carry `field`, by name.
    public static func kinds(producing field: String) -> [String] {
        byKind.filter { $0.value.contains(field) }.map(\.key).sorted()
    }

    /// Whether any source at all produces `field`.
    public static func isKnown(_ field: String) -> Bool { produces(field, kinds: nil) }
}
