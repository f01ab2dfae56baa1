/// Vendor default credentials: accounts devices and software ship with, that scanners and
/// botnets try first. A credential on this list is weak whatever its zxcvbn score.
///
/// Reports name the vendor, never the pair: printing "admin/admin" would print the secret.
enum DefaultCredentials {
    /// One default: the vendor or product, the user (`nil`: any user, as for SNMP communities
    /// and shared passwords), the password, and the protocols it applies to (`nil`: any).
    struct Entry {
        var vendor: String
        var user: String?
        var password: String
        var protocols: Set<String>?
    }

    /// The SNMP community strings devices ship with or administrators leave in place.
    static let snmpCommunities: Set<String> = [
        "public", "private", "community", "cisco", "manager", "admin", "snmp", "snmpd", "monitor", "read",
        "write", "secret", "default", "test", "ILMI", "tivoli", "openview", "all private", "security", "system",
        "router", "switch", "network", "mngt", "access", "password",
    ]

    static let entries: [Entry] = [
        Entry(vendor: "generic device", user: "admin", password: "admin"),
        Entry(vendor: "generic device", user: "admin", password: "password"),
        Entry(vendor: "generic device", user: "admin", password: "1234"),
        Entry(vendor: "generic device", user: "admin", password: "12345"),
        Entry(vendor: "generic device", user: "admin", password: ""),
        Entry(vendor: "generic device", user: "administrator", password: "administrator"),
        Entry(vendor: "generic device", user: "root", password: "root"),
        Entry(vendor: "generic device", user: "root", password: "toor"),
        Entry(vendor: "generic device", user: "root", password: ""),
        Entry(vendor: "generic device", user: "user", password: "user"),
        Entry(vendor: "generic device", user: "guest", password: "guest"),
        Entry(vendor: "generic device", user: "test", password: "test"),
        Entry(vendor: "generic device", user: "support", password: "support"),
        Entry(vendor: "shipped placeholder", user: nil, password: "changeme"),
        Entry(vendor: "shipped placeholder", user: nil, password: "default"),
        Entry(vendor: "Cisco", user: "cisco", password: "cisco"),
        Entry(vendor: "Cisco", user: "admin", password: "cisco"),
        Entry(vendor: "Cisco", user: "enable", password: "cisco"),
        Entry(vendor: "Ubiquiti", user: "ubnt", password: "ubnt"),
        Entry(vendor: "Raspberry Pi OS", user: "pi", password: "raspberry"),
        Entry(vendor: "Dell iDRAC", user: "root", password: "calvin"),
        Entry(vendor: "Supermicro IPMI", user: "ADMIN", password: "ADMIN"),
        Entry(vendor: "HP printers and switches", user: "admin", password: "hp.com"),
        Entry(vendor: "Hikvision", user: "admin", password: "12345"),
        Entry(vendor: "Dahua", user: "admin", password: "admin"),
        Entry(vendor: "Axis", user: "root", password: "pass"),
        Entry(vendor: "Zyxel", user: "admin", password: "1234"),
        Entry(vendor: "Netgear", user: "admin", password: "password"),
        Entry(vendor: "APC", user: "apc", password: "apc"),
        Entry(vendor: "Avaya", user: "craft", password: "crftpw"),
        Entry(vendor: "Brocade", user: "admin", password: "password"),
        Entry(vendor: "Juniper", user: "super", password: "juniper123"),
        Entry(vendor: "Polycom", user: "Polycom", password: "456"),
        Entry(vendor: "VMware ESXi", user: "root", password: "vmware"),
        Entry(vendor: "Apache Tomcat", user: "tomcat", password: "tomcat"),
        Entry(vendor: "Apache Tomcat", user: "admin", password: "tomcat"),
        Entry(vendor: "Apache Tomcat", user: "tomcat", password: "s3cret"),
        Entry(vendor: "Oracle", user: "scott", password: "tiger"),
        Entry(vendor: "Oracle", user: "system", password: "manager"),
        Entry(vendor: "PostgreSQL", user: "postgres", password: "postgres"),
        Entry(vendor: "MySQL", user: "root", password: "mysql"),
        Entry(vendor: "Microsoft SQL Server", user: "sa", password: ""),
        Entry(vendor: "Microsoft SQL Server", user: "sa", password: "sa"),
        Entry(vendor: "RabbitMQ", user: "guest", password: "guest"),
        Entry(vendor: "Elasticsearch", user: "elastic", password: "changeme"),
        Entry(vendor: "Kibana", user: "kibana", password: "changeme"),
        Entry(vendor: "Grafana", user: "admin", password: "admin"),
        Entry(vendor: "Jenkins", user: "admin", password: "admin"),
        Entry(vendor: "Redis", user: "default", password: "foobared"),
        Entry(vendor: "MikroTik", user: "admin", password: ""),
        Entry(vendor: "Fortinet", user: "admin", password: ""),
        Entry(vendor: "Huawei", user: "admin", password: "Admin@123"),
        Entry(vendor: "TP-Link", user: "admin", password: "admin"),
        Entry(vendor: "D-Link", user: "admin", password: ""),
    ]

    /// The vendor whose default `user`/`password` is, for a login over `protocolName`; `nil`
    /// when it is no default. User names compare without case, passwords exactly.
    static func vendor(user: String, password: String, protocolName: String, isCommunity: Bool) -> String? {
        if isCommunity {
            return snmpCommunities.contains(password) || snmpCommunities.contains(password.lowercased())
                ? "SNMP agents" : nil
        }
        let lowered = user.lowercased()
        var generic: String?
        for entry in entries where entry.password == password {
            if let protocols = entry.protocols, !protocols.contains(protocolName) { continue }
            if let expected = entry.user, expected.lowercased() != lowered { continue }
            // A vendor's own default says more than a generic one: "admin/12345" is Hikvision's.
            if entry.vendor == "generic device" || entry.vendor == "shipped placeholder" {
                generic = generic ?? entry.vendor
                continue
            }
            return entry.vendor
        }
        return generic
    }
}
