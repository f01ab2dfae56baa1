internal import VigilCore

/// The names of the credentials captures yield (`credential.protocol`), and of the service each
/// belongs to.
enum CredentialProtocol: String {
    case ftp, telnet, snmp, ldap, redis, imap, smtp, pop3, vnc, mysql, postgresql
    case pop3APOP = "pop3-apop"
    case postgresqlMD5 = "postgresql-md5"
    case httpBasic = "http-basic"
    case httpDigest = "http-digest"
    case httpForm = "http-form"
    case ntlmv1, ntlmv2
    case kerberosASREQ = "kerberos-asreq"
    case kerberosTGSRC4 = "kerberos-tgs-rc4"

    /// The service the credential was sent to: `pop3` for `pop3-apop`, `http` for `http-form`.
    var service: String {
        switch self {
        case .pop3APOP: "pop3"
        case .postgresqlMD5: "postgresql"
        case .httpBasic, .httpDigest, .httpForm: "http"
        case .kerberosASREQ, .kerberosTGSRC4: "kerberos"
        case .ntlmv1, .ntlmv2: "ntlm"
        default: rawValue
        }
    }

    /// How an HTTP login authenticated, as `auth.method` says it (`basic`, `digest`, `form`,
    /// `ntlm`).
    var httpMethod: String {
        switch self {
        case .httpBasic: "basic"
        case .httpDigest: "digest"
        case .httpForm: "form"
        default: "ntlm"
        }
    }
}

extension FlowContext {
    /// A `credential.observed` event for `credential`, located at `packet`, with the fields
    /// every credential event carries.
    func credentialEvent(_ credential: Credential, time: Timestamp, packet: Int) -> Event {
        var event = Event(
            kind: .credentialObserved, time: time, source: SourceLocation(input: input, position: .packet(packet)),
            credential: credential)
        event.set(.srcIP, address: client.ip)
        event.set(.srcPort, client.port)
        event.set(.dstIP, address: server.ip)
        event.set(.dstPort, server.port)
        event.set(.transport, transport.rawValue)
        event.set(.protocol, credential.protocolName)
        event.set(.userName, credential.username)
        event.set(.userDomain, credential.domain)
        event.set(.hostName, credential.workstation)
        event.set(.credentialProtocol, credential.protocolName)
        event.set(.credentialKind, credential.kind.rawValue)
        event.set(.credentialOutcome, credential.outcome.label)
        event.set(.credentialReply, credential.outcome.reply)
        event.set(.credentialHashcatMode, credential.hashcatMode)
        event.set(.credentialVersion, credential.attribute("version"))
        event.set(
            .credentialAnonymous, ["anonymous", "ftp"].contains(credential.username.lowercased()))
        return event
    }

    /// A credential from this connection's client to its server.
    func credential(
        _ name: CredentialProtocol, user: String, secret bytes: some Sequence<UInt8>, kind: CredentialKind = .password,
        outcome: AuthOutcome = .unknown, packets: [Int], domain: String? = nil, workstation: String? = nil,
        hashcatMode: Int? = nil, attributes: [CredentialAttribute] = []
    ) -> Credential {
        Credential(
            protocolName: name.rawValue, username: user, secret: Secret(clear: bytes), kind: kind, client: client,
            server: server, outcome: outcome, packets: packets, domain: domain, workstation: workstation,
            hashcatMode: hashcatMode, attributes: attributes)
    }

    /// A `protocol.observed` event for this connection, with `fields` added.
    func protocolEvent(_ name: String, packet: Int, time: Timestamp, fields: [(Field, String?)] = []) -> Event {
        var event = Event(
            kind: .protocolObserved, time: time, source: SourceLocation(input: input, position: .packet(packet)))
        event.set(.srcIP, address: client.ip)
        event.set(.srcPort, client.port)
        event.set(.dstIP, address: server.ip)
        event.set(.dstPort, server.port)
        event.set(.transport, transport.rawValue)
        event.set(.protocol, name)
        for (field, value) in fields { event.set(field, value) }
        return event
    }

    /// The `protocol.observed` event of a login seen in clear on the wire: the service lets
    /// credentials cross the network unprotected (HTTP without TLS, an LDAP simple bind, mail
    /// without STARTTLS, SNMP v1/v2c). One per login; findings fold them by server.
    func cleartextLoginEvent(
        _ name: String, method: String, packet: Int, time: Timestamp, fields: [(Field, String?)] = []
    ) -> Event {
        protocolEvent(name, packet: packet, time: time, fields: [(.authMethod, method)] + fields)
    }
}
