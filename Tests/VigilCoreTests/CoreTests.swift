import Testing
import VigilCore
import VigilCrypto

@Suite("Secrets are masked")
struct SecretTests {
    @Test(arguments: [
        ("secret3", "s*****3"),
        ("qwerty", "q****y"),
        ("12345", "1***5"),
        ("1234", "****"),
        ("ab", "**"),
        ("", ""),
        ("pässwörd", "p******d"),
    ])
    func masking(clear: String, masked: String) throws {
        let secret = Secret(clear: Array(clear.utf8))
        #expect(secret.masked == masked)
        #expect(secret.reveal() == clear)
    }

    @Test func printingNeverShowsTheClearText() throws {
        let secret = Secret(clear: Array("hunter2-is-my-password".utf8))
        #expect(!"\(secret)".contains("hunter2"))
        #expect(!String(reflecting: secret).contains("hunter2"))
    }

    /// Digests are keyed: the same secret and key give the same digest, another key another
    /// one, and none is the plain SHA-256 a dictionary would reverse.
    @Test func digestsAreKeyed() throws {
        let secret = Secret(clear: Array("hunter2".utf8))
        let one = try SecretDigest(key: Array(repeating: 1, count: 32), origin: .organisation)
        let two = try SecretDigest(key: Array(repeating: 2, count: 32), origin: .organisation)
        #expect(one.digest(secret) == one.digest(Secret(clear: Array("hunter2".utf8))))
        #expect(one.digest(secret) != two.digest(secret))
        #expect(one.digest(secret) != (try SHA256.hex("hunter2")))
        #expect(one.digest(secret).count == 64)
        #expect(one.fingerprint != two.fingerprint && one.fingerprint.count == 16)
        #expect(throws: VigilError.self) { try SecretDigest(key: [1, 2, 3], origin: .organisation) }
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test(arguments: [
        (Int64(0), "1970-01-01T00:00:00Z"),
        (Int64(1_763_715_600_000_000_000), "2025-11-21T09:00:00Z"),
        (Int64(1_763_715_600_500_000_000), "2025-11-21T09:00:00.500Z"),
        (Int64(1_763_715_600_000_001_000), "2025-11-21T09:00:00.000001Z"),
        (Int64(1_763_715_600_000_000_001), "2025-11-21T09:00:00.000000001Z"),
        (Int64(-1_000_000_000), "1969-12-31T23:59:59Z"),
        (Int64(-500_000_000), "1969-12-31T23:59:59.500Z"),
    ])
    func iso8601(nanoseconds: Int64, text: String) {
        #expect(Timestamp(nanoseconds: nanoseconds).iso8601 == text)
    }

    @Test func wholeSecondsDropsTheFraction() {
        #expect(Timestamp(nanoseconds: 1_500_000_000).wholeSeconds == Timestamp(seconds: 1))
        #expect(Timestamp(nanoseconds: -500_000_000).wholeSeconds == Timestamp(seconds: -1))
    }

    /// Times from inputs can be anything; held times stay within ±2⁶² ns so that no
    /// difference of two overflows (FuzzCaptureFile found one in the flow table's sweep).
    @Test func timesAreClampedSoThatDifferencesCannotOverflow() {
        let far = Timestamp(seconds: Int64.max)
        let early = Timestamp(seconds: Int64.min)
        #expect(far.nanoseconds == Timestamp.limit)
        #expect(early.nanoseconds == -Timestamp.limit)
        #expect(Timestamp(nanoseconds: .max) == far)
        #expect(Timestamp(seconds: 9_223_372_036, nanoseconds: 999_999_999) == far)
        #expect(far.nanoseconds - early.nanoseconds == Int64.max - 1)
        #expect(Timestamp(seconds: 4_102_444_800).iso8601 == "2100-01-01T00:00:00Z")
    }
}

@Suite("Vocabulary")
struct VocabularyTests {
    @Test func severitiesAreOrdered() {
        #expect(Severity.critical > .high)
        #expect(Severity.high > .medium)
        #expect(Severity.low > .info)
        #expect(Severity.descending.first == .critical)
    }

    @Test func fieldsRoundTripByName() {
        for field in Field.all {
            #expect(Field.named(field.name) == field)
        }
        #expect(Field.named("no.such.field") == nil)
        #expect(Field.userName.name == "user.name")
    }

    /// The constants are positions in the tables of names: each must name what it says.
    @Test func constantsNameWhatTheySay() {
        let fields: [(Field, String)] = [
            (Field.eventKind, "event.kind"),
            (Field.srcIP, "src.ip"),
            (Field.srcPort, "src.port"),
            (Field.srcMAC, "src.mac"),
            (Field.dstIP, "dst.ip"),
            (Field.dstPort, "dst.port"),
            (Field.dstMAC, "dst.mac"),
            (Field.transport, "network.transport"),
            (Field.userName, "user.name"),
            (Field.hostName, "host.name"),
            (Field.service, "service"),
            (Field.process, "process"),
            (Field.processPID, "process.pid"),
            (Field.`protocol`, "protocol"),
            (Field.credentialProtocol, "credential.protocol"),
            (Field.credentialKind, "credential.kind"),
            (Field.credentialOutcome, "credential.outcome"),
            (Field.credentialReply, "credential.reply"),
            (Field.credentialAnonymous, "credential.anonymous"),
            (Field.credentialHashcatMode, "credential.hashcat_mode"),
            (Field.credentialVersion, "credential.version"),
            (Field.userDomain, "user.domain"),
            (Field.tlsVersion, "tls.version"),
            (Field.tlsServerName, "tls.server_name"),
            (Field.sshVersion, "ssh.version"),
            (Field.sshSoftware, "ssh.software"),
            (Field.httpMethod, "http.method"),
            (Field.urlPath, "url.path"),
            (Field.dhcpHostname, "dhcp.hostname"),
            (Field.dhcpVendorClass, "dhcp.vendor_class"),
            (Field.dhcpFingerprint, "dhcp.fingerprint"),
            (Field.dhcpRequestedIP, "dhcp.requested_ip"),
            (Field.deviceSource, "device.source"),
            (Field.devicePlatform, "device.platform"),
            (Field.devicePort, "device.port"),
            (Field.authMethod, "auth.method"),
            (Field.snmpVersion, "snmp.version"),
            (Field.srcDomain, "src.domain"),
            (Field.userTarget, "user.target"),
            (Field.userID, "user.id"),
            (Field.groupName, "group.name"),
            (Field.processCommandLine, "process.command_line"),
            (Field.processWorkingDirectory, "process.working_directory"),
            (Field.tty, "tty"),
            (Field.eventAction, "event.action"),
            (Field.eventReason, "event.reason"),
            (Field.httpStatus, "http.status"),
            (Field.httpUserAgent, "http.user_agent"),
            (Field.logFormat, "log.format"),
            (Field.deviceManaged, "device.managed"),
            (Field.devicePreviousMAC, "device.previous_mac"),
            (Field.assetTag, "asset.tag"),
            (Field.assetStatus, "asset.status"),
            (Field.assetOwner, "asset.owner"),
            (Field.credentialScore, "credential.score"),
            (Field.credentialWeak, "credential.weak"),
            (Field.credentialDefault, "credential.default"),
            (Field.authNewSource, "auth.new_source"),
            (Field.eventHour, "event.hour"),
            (Field.eventWeekday, "event.weekday"),
            (Field.logMessage, "log.message"),
            (Field.urlQuery, "url.query"),
            (Field.httpReferrer, "http.referrer"),
            (Field.httpVersion, "http.version"),
            (Field.urlDomain, "url.domain"),
            (Field.httpBytes, "http.bytes"),
            (Field.urlOriginal, "url.original"),
            (Field.urlExtension, "url.extension"),
            (Field.timestamp, "timestamp"),
        ]
        for (field, name) in fields { #expect(field.name == name) }
        let kinds: [(EventKind, String)] = [
            (EventKind.credentialObserved, "credential.observed"),
            (EventKind.authFailure, "auth.failure"),
            (EventKind.authSuccess, "auth.success"),
            (EventKind.deviceObserved, "device.observed"),
            (EventKind.protocolObserved, "protocol.observed"),
            (EventKind.privilegeUse, "privilege.use"),
            (EventKind.privilegeDenied, "privilege.denied"),
            (EventKind.accountChange, "account.change"),
            (EventKind.httpRequest, "http.request"),
            (EventKind.logLine, "log.line"),
        ]
        for (kind, name) in kinds { #expect(kind.rawValue == name) }
    }

    @Test func eventFieldsAreSetAndReplaced() {
        var event = Event(
            kind: .credentialObserved, time: Timestamp(seconds: 1),
            source: SourceLocation(path: "x", position: .packet(3)))
        event.set(.userName, "alice")
        event.set(.userName, "bob")
        event.set(.dstPort, 21)
        #expect(event[.userName] == .string("bob"))
        #expect(event[.dstPort] == .int(21))
        #expect(event[.eventKind] == .string("credential.observed"))
        #expect(event[.srcIP] == nil)
        #expect(event.fields.count == 2)
        #expect(event.source.locator == "packet 3")
    }

    @Test func errorsReadAsOneLine() {
        let error = VigilError(
            .corrupt, path: "a.pcap", position: .offset(24), reason: "bad record", hint: "the rest was read")
        #expect(error.description == "a.pcap: offset 24: bad record (the rest was read)")
        #expect(!error.description.contains("\n"))
    }

    @Test func stableIDsDependOnRuleAndSubjectOnly() throws {
        let a = try Finding.stableID(rule: "r", key: ["10.0.0.5", nil, nil, "alice"])
        let b = try Finding.stableID(rule: "r", key: ["10.0.0.5", nil, nil, "alice"])
        let c = try Finding.stableID(rule: "r", key: ["10.0.0.5", nil, nil, "bob"])
        #expect(a == b)
        #expect(a != c)
        #expect(a.count == 32)
    }

    @Test func endpointsBracketIPv6() {
        #expect(Endpoint(ip: "10.0.0.1", port: 21).description == "10.0.0.1:21")
        #expect(Endpoint(ip: "2001:db8::1", port: 21).description == "[2001:db8::1]:21")
    }
}

@Suite("Addresses in binary form")
struct IPAddressTests {
    @Test(arguments: [
        ("192.0.2.7", true), ("10.0.0.255", true), ("2001:db8::1", true), ("::1", true), ("fe80::1:2", true),
        // Other spellings stay text, so that evidence shows what the input wrote.
        ("0.0.0.0", true), ("255.255.255.255", true), ("100.64.9.10", true),
        ("192.168.001.010", false), ("2001:DB8::1", false), ("2001:db8:0:0::1", false), ("files", false),
        ("1.2.3", false), ("1.2.3.4.5", false), ("01.2.3.4", false), ("1.2.3.04", false), ("256.1.1.1", false),
        ("1..2.3", false), ("1.2.3.4 ", false),
    ])
    func canonicalSpellingsAreBinary(text: String, binary: Bool) {
        let value = FieldValue.address(text: text)
        if case .address = value { #expect(binary) } else { #expect(!binary) }
        #expect(value.description == text)
    }

    @Test func bytesAndOrder() throws {
        let v4 = try #require(IPAddress("192.0.2.7"))
        #expect(v4.isIPv4 && v4.withBytes { Array($0) } == [192, 0, 2, 7])
        let v6 = try #require(IPAddress("2001:db8::ff"))
        #expect(
            !v6.isIPv4
                && v6.withBytes { Array($0) } == [0x20, 0x01, 0x0d, 0xb8] + Array(repeating: 0, count: 11) + [0xff])
        #expect(IPAddress("2001:db8::FF") == v6)
        #expect(IPAddress("192.0.2.256") == nil && IPAddress("") == nil)
    }

    /// Events from logs and captures carry their addresses in binary form.
    @Test func eventsCarryBinaryAddresses() {
        var event = Event(
            kind: .authFailure, time: Timestamp(seconds: 0), source: SourceLocation(path: "a", position: .line(1)))
        event.add(.srcIP, address: "203.0.113.9")
        event.add(.dstIP, address: "203.0.113.010")
        #expect(event[.srcIP] == .address(IPAddress("203.0.113.9")!))
        #expect(event[.dstIP] == .string("203.0.113.010"))
    }
}
