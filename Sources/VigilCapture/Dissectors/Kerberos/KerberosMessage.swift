internal import VigilCore

/// Kerberos 5 (RFC 4120) on UDP or TCP: AS-REQ pre-authentication (PA-ENC-TIMESTAMP, a hash of
/// the user's key: hashcat 7500 for RC4, 19800 for AES128, 19900 for AES256) and TGS-REP
/// tickets encrypted with RC4 (Kerberoasting: hashcat 13100).
enum Kerberos {
    /// A crackable value found in one message.
    struct Finding {
        var protocolName: CredentialProtocol
        var user: String
        var realm: String
        var line: String
        var mode: Int
        var etype: Int
        var service: String?
        var requestedBy: String? = nil
    }

    /// The Kerberos message at the start of `bytes` (without the TCP length prefix), if it holds
    /// something crackable.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> Finding? {
        guard let first = bytes.first else { return nil }
        var outer = BERReader(bytes)
        switch first {
        case 0x6A:  // AS-REQ
            guard let message = outer.next(tag: 0x6A) else { return nil }
            return asRequest(message.value)
        case 0x6D:  // TGS-REP
            guard let message = outer.next(tag: 0x6D) else { return nil }
            return tgsReply(message.value)
        default:
            return nil
        }
    }

    /// What the KDC's message at the start of `bytes` says of the request before it: an AS-REP
    /// or TGS-REP grants it; a KRB-ERROR refuses it (`KDC_ERR_KEY_EXPIRED` excepted: the password
    /// was right, only too old). `nil` when `bytes` hold no KDC answer.
    static func outcome(ofReply bytes: UnsafeRawBufferPointer) -> AuthOutcome? {
        guard let first = bytes.first else { return nil }
        var outer = BERReader(bytes)
        switch first {
        case 0x6B: return outer.next(tag: 0x6B) != nil ? .success(reply: "AS-REP") : nil
        case 0x6D: return outer.next(tag: 0x6D) != nil ? .success(reply: "TGS-REP") : nil
        case 0x7E:
            guard let message = outer.next(tag: 0x7E), let code = integer(fields(message.value)[6]) else { return nil }
            let name = errorNames[code] ?? "KRB-ERROR \(code)"
            return code == 23 ? .success(reply: name) : .failure(reply: name)
        default:
            return nil
        }
    }

    /// RFC 4120 section 7.5.9: the error codes an AS exchange ends with.
    static let errorNames: [Int: String] = [
        6: "KDC_ERR_C_PRINCIPAL_UNKNOWN", 12: "KDC_ERR_POLICY", 14: "KDC_ERR_ETYPE_NOSUPP",
        18: "KDC_ERR_CLIENT_REVOKED", 23: "KDC_ERR_KEY_EXPIRED", 24: "KDC_ERR_PREAUTH_FAILED",
        25: "KDC_ERR_PREAUTH_REQUIRED", 37: "KRB_AP_ERR_SKEW", 68: "KDC_ERR_WRONG_REALM",
    ]

    /// The fields of a SEQUENCE of context-tagged elements, by tag number.
    private static func fields(_ sequence: UnsafeRawBufferPointer) -> [Int: UnsafeRawBufferPointer] {
        var reader = BERReader(sequence)
        guard let body = reader.next(tag: 0x30) else { return [:] }
        return contents(body.value)
    }

    /// The context-tagged elements of a SEQUENCE's content, by tag number.
    private static func contents(_ content: UnsafeRawBufferPointer) -> [Int: UnsafeRawBufferPointer] {
        var inner = BERReader(content)
        var found: [Int: UnsafeRawBufferPointer] = [:]
        while let element = inner.next() {
            if element.tag & 0xE0 == 0xA0 { found[Int(element.tag & 0x1F)] = element.value }
        }
        return found
    }

    private static func integer(_ wrapped: UnsafeRawBufferPointer?) -> Int? {
        guard let wrapped else { return nil }
        var reader = BERReader(wrapped)
        return reader.next(tag: 0x02).flatMap { BERReader.integer($0.value) }
    }

    private static func string(_ wrapped: UnsafeRawBufferPointer?) -> String? {
        guard let wrapped else { return nil }
        var reader = BERReader(wrapped)
        guard let element = reader.next(), element.tag == 0x1B || element.tag == 0x04 else { return nil }
        return String(decoding: element.value, as: UTF8.self)
    }

    /// PrincipalName: the name strings joined with `/`.
    private static func principal(_ wrapped: UnsafeRawBufferPointer?) -> String? {
        guard let wrapped, let names = fields(wrapped)[1] else { return nil }
        var reader = BERReader(names)
        guard let list = reader.next(tag: 0x30) else { return nil }
        var parts = BERReader(list.value)
        var strings: [String] = []
        while let part = parts.next(), strings.count < 8 { strings.append(String(decoding: part.value, as: UTF8.self)) }
        return strings.joined(separator: "/")
    }

    /// EncryptedData: etype and cipher.
    private static func encrypted(_ wrapped: UnsafeRawBufferPointer) -> (etype: Int, cipher: [UInt8])? {
        let parts = fields(wrapped)
        guard let etype = integer(parts[0]), let cipherWrapped = parts[2] else { return nil }
        var reader = BERReader(cipherWrapped)
        guard let cipher = reader.next(tag: 0x04) else { return nil }
        return (etype, Array(cipher.value))
    }

    private static func asRequest(_ body: UnsafeRawBufferPointer) -> Finding? {
        let parts = fields(body)
        guard integer(parts[2]) == 10, let padata = parts[3], let requestBody = parts[4] else { return nil }
        let request = fields(requestBody)
        guard let user = principal(request[1]), let realm = string(request[2]) else { return nil }
        var list = BERReader(padata)
        guard let sequence = list.next(tag: 0x30) else { return nil }
        var entries = BERReader(sequence.value)
        while let entry = entries.next() {
            let data = contents(entry.value)
            guard integer(data[1]) == 2, let valueWrapped = data[2] else { continue }  // PA-ENC-TIMESTAMP
            var octets = BERReader(valueWrapped)
            guard let value = octets.next(tag: 0x04), let (etype, cipher) = encrypted(value.value) else { continue }
            switch etype {
            case 23 where cipher.count > 16:
                let line =
                    "$krb5pa$23$\(user)$\(realm)$$\(cipher.dropFirst(16).hexString)\(cipher.prefix(16).hexString)"
                return Finding(
                    protocolName: .kerberosASREQ, user: user, realm: realm, line: line, mode: 7500, etype: 23)
            case 17, 18:
                let line = "$krb5pa$\(etype)$\(user)$\(realm)$\(cipher.hexString)"
                return Finding(
                    protocolName: .kerberosASREQ, user: user, realm: realm, line: line,
                    mode: etype == 17 ? 19800 : 19900, etype: etype)
            default:
                continue
            }
        }
        return nil
    }

    private static func tgsReply(_ body: UnsafeRawBufferPointer) -> Finding? {
        let parts = fields(body)
        guard integer(parts[1]) == 13, let realm = string(parts[3]), let user = principal(parts[4]),
            let ticketWrapped = parts[5]
        else { return nil }
        var reader = BERReader(ticketWrapped)
        guard let ticket = reader.next(tag: 0x61) else { return nil }
        let ticketParts = fields(ticket.value)
        guard let service = principal(ticketParts[2]), let encWrapped = ticketParts[3],
            let (etype, cipher) = encrypted(encWrapped), etype == 23, cipher.count > 16
        else { return nil }
        let line =
            "$krb5tgs$23$*\(user)$\(realm)$\(service)*$\(cipher.prefix(16).hexString)$\(cipher.dropFirst(16).hexString)"
        // The ticket is encrypted with the service account's key: that is the password at risk.
        return Finding(
            protocolName: .kerberosTGSRC4, user: service, realm: realm, line: line, mode: 13100, etype: 23,
            service: service, requestedBy: user)
    }

    /// The credential event for `finding`, seen from `context`'s client, with the KDC's verdict
    /// (a TGS-REP is its own answer: the ticket was granted).
    static func event(
        _ finding: Finding, context: FlowContext, packet: Int, time: Timestamp, outcome: AuthOutcome = .unknown,
        replyPacket: Int? = nil
    ) -> Event {
        let outcome = finding.requestedBy != nil ? .success(reply: "TGS-REP") : outcome
        var attributes = [CredentialAttribute("etype", String(finding.etype))]
        if let service = finding.service { attributes.append(CredentialAttribute("service", service)) }
        if let user = finding.requestedBy { attributes.append(CredentialAttribute("requested_by", user)) }
        let credential = context.credential(
            finding.protocolName, user: finding.user, secret: Array(finding.line.utf8), kind: .hash, outcome: outcome,
            packets: [packet] + (replyPacket.map { [$0] } ?? []), domain: finding.realm, hashcatMode: finding.mode,
            attributes: attributes)
        return context.credentialEvent(credential, time: time, packet: packet)
    }
}
