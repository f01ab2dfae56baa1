internal import Foundation
internal import VigilCrypto

/// A secret seen in clear: kept for strength scoring and a keyed digest, shown only masked.
///
/// `description` and `debugDescription` give the masked form, so interpolating a `Secret` into
/// a log line or an error message cannot leak it. How a secret appears in any output is decided
/// in one place, ``shown(reveal:)`` and ``scrub(_:of:reveal:)``; its digest is keyed
/// (``SecretDigest``), never a plain hash a dictionary could reverse.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    private let clear: [UInt8]

    /// A secret holding `bytes` in clear (shown masked unless revealed).
    public init(clear bytes: some Sequence<UInt8>) {
        clear = Array(bytes)
    }

    /// The number of bytes of the clear secret.
    public var byteCount: Int { clear.count }

    /// The first and last characters with one `*` for each character between, as in the
    /// contract's `s*****3`; secrets of four characters or fewer are all stars, since showing
    /// two of four characters would give away half the secret.
    public var masked: String {
        let characters = Array(String(decoding: clear, as: UTF8.self))
        if characters.count <= 4 { return String(repeating: "*", count: characters.count) }
        return Printable.visible(String(characters[0])) + String(repeating: "*", count: characters.count - 2)
            + Printable.visible(String(characters[characters.count - 1]))
    }

    /// The clear secret, decoded as UTF-8 (invalid sequences become U+FFFD). Call only on the
    /// user's explicit request.
    public func reveal() -> String { String(decoding: clear, as: UTF8.self) }

    /// How every output shows the secret: masked, or in clear (control characters made visible)
    /// when the user asked with `--reveal-secrets`.
    public func shown(reveal: Bool) -> String { reveal ? Printable.visible(self.reveal()) : masked }

    /// `text` (a log line, an evidence summary) with every occurrence of each of `secrets`
    /// replaced by how ``shown(reveal:)`` shows it: the one rule for text that holds a secret.
    public static func scrub(_ text: String, of secrets: [Secret], reveal: Bool) -> String {
        guard !reveal else { return text }
        var out = text
        for secret in secrets where secret.byteCount > 0 {
            let clear = secret.reveal()
            if out.contains(clear) { out = out.replacingOccurrences(of: clear, with: secret.masked) }
        }
        return out
    }

    /// The clear bytes, for strength scoring and keyed digests. Never write them anywhere.
    public func withClearBytes<R>(_ body: ([UInt8]) throws -> R) rethrows -> R { try body(clear) }

    public var description: String { masked }
    public var debugDescription: String { "Secret(\(masked))" }
}

/// A network endpoint: an IPv4 or IPv6 address in its usual text form and a port.
public struct Endpoint: Hashable, Sendable, CustomStringConvertible {
    public var ip: String
    public var port: Int

    /// The end `ip`:`port`.
    public init(ip: String, port: Int) {
        self.ip = ip
        self.port = port
    }

    /// `10.0.0.5:51514`, or `[2001:db8::1]:21` for IPv6.
    public var description: String { ip.contains(":") ? "[\(ip)]:\(port)" : "\(ip):\(port)" }
}

/// What the server answered to a login, where the capture shows it.
public enum AuthOutcome: Hashable, Sendable, CustomStringConvertible {
    case success(reply: String?)
    case failure(reply: String?)
    case unknown

    /// `success`, `failure` or `unknown`, as the `credential.outcome` field spells it.
    public var label: String {
        switch self {
        case .success: "success"
        case .failure: "failure"
        case .unknown: "unknown"
        }
    }

    /// The server's reply code or status text, where there was one.
    public var reply: String? {
        switch self {
        case .success(let reply), .failure(let reply): reply
        case .unknown: nil
        }
    }

    /// `failure (530)`, the form the conformance data and reports use.
    public var description: String { reply.map { "\(label) (\($0))" } ?? label }
}

/// What a credential's secret is.
public enum CredentialKind: String, Sendable, Hashable {
    /// A password or passphrase, in clear.
    case password
    /// A challenge-response or digest to crack offline (NTLM, Kerberos, PostgreSQL MD5, VNC).
    case hash
    /// An SNMP community string.
    case community
    /// A bearer token or API key.
    case token
}

/// A named, non-secret detail of a credential (`realm`, `version`, `server_challenge`).
public struct CredentialAttribute: Sendable, Hashable {
    public var name: String
    public var value: String

    /// A protocol detail `name` = `value` (`realm`, `salt`, …).
    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// A login seen in clear: who, to what, with which secret, and how the server answered.
public struct Credential: Sendable, Hashable {
    /// The protocol's short name as reports print it: `ftp`, `http-basic`, `ldap`, ...
    public var protocolName: String
    public var username: String
    /// For a hash, the hashcat input line; otherwise the clear secret.
    public var secret: Secret
    public var kind: CredentialKind
    public var client: Endpoint?
    public var server: Endpoint?
    public var outcome: AuthOutcome
    /// Packet numbers that make up the evidence (user, secret, reply), in capture order.
    public var packets: [Int]
    /// Windows or Kerberos domain (realm), where the protocol carries one.
    public var domain: String?
    /// The client's host name, where the protocol carries one (NTLM).
    public var workstation: String?
    /// The hashcat mode that cracks ``secret`` when it is a hash (5500, 5600, 13100, ...).
    public var hashcatMode: Int?
    /// Other non-secret details, in the order the dissector found them.
    public var attributes: [CredentialAttribute]
    /// How guessable the secret is, once scored (clear-text secrets only).
    public var strength: CredentialStrength?

    /// A credential seen over `protocolName`: the account, the secret, between whom, with what outcome and in
    /// which packets.
    public init(
        protocolName: String, username: String, secret: Secret, kind: CredentialKind = .password, client: Endpoint?,
        server: Endpoint?, outcome: AuthOutcome, packets: [Int], domain: String? = nil, workstation: String? = nil,
        hashcatMode: Int? = nil, attributes: [CredentialAttribute] = []
    ) {
        self.protocolName = protocolName
        self.username = username
        self.secret = secret
        self.kind = kind
        self.client = client
        self.server = server
        self.outcome = outcome
        self.packets = packets
        self.domain = domain
        self.workstation = workstation
        self.hashcatMode = hashcatMode
        self.attributes = attributes
    }

    /// The value of the attribute `name`, if present.
    public func attribute(_ name: String) -> String? { attributes.first { $0.name == name }?.value }
}

/// How guessable a clear-text secret is, and why it is weak, in words a security manager can
/// forward (the secret itself is never part of it).
public struct CredentialStrength: Sendable, Hashable {
    /// zxcvbn's score: 0 (too guessable), 1 (very guessable), 2 (somewhat), 3 (safely
    /// unguessable), 4 (very unguessable).
    public var score: Int
    /// log10 of the number of guesses zxcvbn estimates an attacker needs.
    public var guessesLog10: Double
    /// Every reason it is weak (`a vendor default credential`, `shorter than 8 characters`,
    /// `contains the user name`, ...); empty when it is not weak.
    public var weakBecause: [String]
    /// It is on the list of vendor default credentials.
    public var isDefault: Bool

    /// A strength verdict: zxcvbn's score and guesses, the reasons it is weak, and whether it is a vendor
    /// default.
    public init(score: Int, guessesLog10: Double, weakBecause: [String], isDefault: Bool) {
        self.score = score
        self.guessesLog10 = guessesLog10
        self.weakBecause = weakBecause
        self.isDefault = isDefault
    }

    /// It fails the policy: any reason at all.
    public var isWeak: Bool { !weakBecause.isEmpty }
}
