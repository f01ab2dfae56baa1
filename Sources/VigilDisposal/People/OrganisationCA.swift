internal import Foundation
internal import VigilCore
public import VigilCrypto

/// The organisation's certificate authority: one CA per organisation (`ca.pem`, `ca.key` in a
/// folder kept offline), which issues each person a key and a certificate with their roles, and
/// keeps a copy of every certificate it issued in `issued/`.
public struct OrganisationCA: Sendable {
    /// How long a CA may be valid, in days.
    public static let caDays: ClosedRange<Int> = 1...7300
    /// How long a person's certificate may be valid, in days.
    public static let personDays: ClosedRange<Int> = 1...1825

    public let folder: String
    public let certificate: Certificate
    let key: PrivateKey

    /// Creates the CA in `folder` (0700 if new): `ca.key` (0600) and `ca.pem`; never over
    /// existing files.
    ///
    /// - Throws: ``VigilError`` for a validity outside ``caDays`` or existing files.
    @discardableResult
    public static func create(folder: String, organisation: String, days: Int) throws -> OrganisationCA {
        guard caDays.contains(days) else {
            throw VigilError(
                .usage,
                reason: "a CA's validity of \(days) days is outside \(caDays.lowerBound) to \(caDays.upperBound)")
        }
        guard !organisation.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw VigilError(.usage, reason: "the organisation's name is empty")
        }
        try makeFolder(folder)
        for name in ["ca.pem", "ca.key"] where FileManager.default.fileExists(atPath: folder + "/" + name) {
            throw VigilError(
                .usage, path: folder + "/" + name, reason: "already exists: keys are never overwritten",
                hint: "choose another folder or move the old keys away")
        }
        let key = try PrivateKey.generateP256()
        let certificate = try Certificate.issue(
            commonName: "\(organisation) disposal CA", organisation: organisation, key: key, role: .authority,
            days: days)
        try KeyFile.write(key, to: folder + "/ca.key")
        try FileOutput.write(certificate.pem(), to: folder + "/ca.pem", permissions: 0o644, existing: .refuse)
        return OrganisationCA(folder: folder, certificate: certificate, key: key)
    }

    /// Opens the CA in `folder` (`ca.pem`, `ca.key`).
    public init(folder: String) throws {
        let key = try KeyFile.read(folder + "/ca.key")
        guard let certificate = try PEMFile.certificates(path: folder + "/ca.pem").first else {
            throw VigilError(.corrupt, path: folder + "/ca.pem", reason: "no certificate in it")
        }
        guard certificate.matches(key), certificate.isSelfSignedAuthority else {
            throw VigilError(
                .usage, path: folder + "/ca.key", reason: "not the key of a CA certificate in \(folder)/ca.pem")
        }
        self.init(folder: folder, certificate: certificate, key: key)
    }

    private init(folder: String, certificate: Certificate, key: PrivateKey) {
        self.folder = folder
        self.certificate = certificate
        self.key = key
    }

    /// A person's new key and certificate.
    public struct Issued: Sendable {
        public var certificate: Certificate
        public var identity: SignerIdentity
        /// Earlier certificates of this CA whose names look like this one (``PersonName/skeleton(_:)``)
        /// but are of another key: people a reader could mistake for each other.
        public var lookalikes: [SignerIdentity]
    }

    /// Issues `name` a new ECDSA P-256 key and a certificate with `roles`, valid `days`, and
    /// writes `signer.key` (0600), `signer.pem` and a copy of `ca.pem` into `output` (0700 if
    /// new), and the certificate into the CA's `issued/`.
    ///
    /// - Throws: ``VigilError``: no role, a validity outside ``personDays`` or past the CA's own,
    ///   an empty name, existing files.
    public func issue(name: String, roles: [PersonRole], days: Int, output: String) throws -> Issued {
        let trimmed = name.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty else { throw VigilError(.usage, reason: "the person's name is empty") }
        guard !roles.isEmpty else {
            throw VigilError(.usage, reason: "a person needs at least one role: technician, approver or both")
        }
        guard Self.personDays.contains(days) else {
            throw VigilError(
                .usage,
                reason:
                    "a validity of \(days) days is outside \(Self.personDays.lowerBound) to \(Self.personDays.upperBound)"
            )
        }
        let now = Timestamp.now().seconds
        let caDaysLeft = Int((certificate.notAfter - now) / 86_400)
        guard Int64(days) * 86_400 + now <= certificate.notAfter else {
            throw VigilError(
                .usage,
                reason:
                    "the CA expires on \(Timestamp(seconds: certificate.notAfter).iso8601): a certificate may last \(max(0, caDaysLeft)) days at most"
            )
        }
        try Self.makeFolder(output)
        for file in ["signer.key", "signer.pem"] where FileManager.default.fileExists(atPath: output + "/" + file) {
            throw VigilError(
                .usage, path: output + "/" + file, reason: "already exists: keys are never overwritten",
                hint: "choose another folder")
        }
        let key = try PrivateKey.generateP256()
        let organisation = certificate.organisation ?? certificate.subject
        let issued = try Certificate.issue(
            commonName: trimmed, organisation: organisation, key: key, role: .signer, days: days,
            issuer: (certificate, self.key), extendedKeyUsages: Set(roles).sorted().map(\.objectIdentifier))
        let identity = try SignerIdentity(issued)
        let lookalikes = try issuedIdentities().filter {
            PersonName.skeleton($0.name) == PersonName.skeleton(trimmed) && $0.keySHA256 != identity.keySHA256
        }
        try KeyFile.write(key, to: output + "/signer.key")
        try FileOutput.write(issued.pem(), to: output + "/signer.pem", permissions: 0o644, existing: .refuse)
        if !FileManager.default.fileExists(atPath: output + "/ca.pem") {
            try FileOutput.write(certificate.pem(), to: output + "/ca.pem", permissions: 0o644, existing: .refuse)
        }
        try Self.makeFolder(folder + "/issued")
        try FileOutput.write(
            issued.pem(), to: folder + "/issued/\(identity.certificateSHA256).pem", permissions: 0o644,
            existing: .refuse)
        return Issued(certificate: issued, identity: identity, lookalikes: lookalikes)
    }

    /// Every certificate this CA issued (its `issued/` folder).
    public func issuedIdentities() throws -> [SignerIdentity] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/issued")) ?? []
        return try names.sorted().filter { $0.hasSuffix(".pem") }.compactMap { name in
            try PEMFile.certificates(path: folder + "/issued/" + name).first.map(SignerIdentity.init)
        }
    }

    /// Signs `content` with the CA's own key (a change of CA, recorded in the ledger).
    func sign(_ content: [UInt8]) throws -> [UInt8] { try CMS.sign(content, certificate: certificate, key: key) }

    private static func makeFolder(_ path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
    }
}
