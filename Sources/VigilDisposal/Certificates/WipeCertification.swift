internal import Foundation
internal import VigilCore
public import VigilCrypto

/// Certifying a wipe: everything that would stop the certificate is checked before the medium
/// is read for minutes (the technician's key and role under the ledger's CA, the files, nwipe's
/// log of this very drive and wipe); once the verification passed, the certificate is signed,
/// written and appended to the ledger in one transaction.
public struct WipeCertification {
    /// Who signs.
    public let signer: Signer
    /// The ledger the certificate goes into.
    public let ledger: Ledger
    /// The CA given to pin in a new ledger.
    public let givenAuthority: Certificate?
    /// The wiping tool's log, imported.
    public let toolLog: NwipeLog?
    /// Where the certificate is written (`PATH` and `PATH.p7s`).
    public let output: String

    /// Checks the signer, the ledger's CA and the output before anything is read.
    ///
    /// - Parameters:
    ///   - technician: the name the technician gave, checked against the certificate's.
    ///   - authorityPath: the organisation's CA, needed only to pin it in a new ledger.
    /// - Throws: ``VigilError`` saying what stops the certificate.
    public init(
        key: String, certificate: String, technician: String?, ledgerPath: String, authorityPath: String?,
        toolLogPath: String?, output: String
    ) throws {
        let signer = try Signer(key: key, certificate: certificate)
        if let technician, PersonName.skeleton(technician) != PersonName.skeleton(signer.identity.name) {
            throw VigilError(
                .usage,
                reason:
                    "the technician named is \(PersonName.display(technician)), but the certificate is \(signer.identity.displayName)'s"
            )
        }
        let ledger = try Ledger(path: ledgerPath)
        let given = try authorityPath.flatMap { try PEMFile.certificates(path: $0).first }
        guard let authority = LedgerHistory(entries: try ledger.entries()).authority ?? given else {
            throw VigilError(
                .usage, path: ledger.path, reason: "the ledger pins no CA yet", remedy: .pinTheOrganisationCA)
        }
        try signer.check(role: .technician, authority: authority)
        for path in [output, output + ".p7s"] where FileManager.default.fileExists(atPath: path) {
            throw VigilError(.usage, path: path, reason: "already exists: certificates are never overwritten")
        }
        self.signer = signer
        self.ledger = ledger
        givenAuthority = given
        toolLog = try toolLogPath.map { try NwipeLog(path: $0) }
        self.output = output
    }

    /// Checks what the operator says was done, and nwipe's log, against the medium about to be
    /// verified.
    ///
    /// - Throws: ``VigilError`` naming the method or the log and every problem found.
    public func check(
        medium: WipeTarget.Identity, expectation: ExpectedContent, method: String?, category: String,
        toolLogPath: String?,
        maxAge: Int64
    ) throws {
        if let method, let problem = MethodCheck.problem(method: method, category: category) {
            throw VigilError(.usage, reason: "the method '\(method)': \(problem)")
        }
        guard let toolLog else { return }
        let problems = toolLog.problems(
            for: medium, expected: expectation, verificationStart: Timestamp.now(), maxAge: maxAge)
        if !problems.isEmpty {
            throw VigilError(
                .usage, path: toolLogPath,
                reason: "the nwipe log cannot back this certificate: " + problems.joined(separator: "; "))
        }
    }

    /// The method as the certificate states it: the operator's, else what nwipe's log records.
    public var toolLogMethod: String? {
        toolLog.map { log in
            [log.method, log.rounds.map { "\($0) round(s)" }, log.verify.map { "nwipe verify \($0)" }]
                .compactMap { $0 }.joined(separator: ", ")
        }
    }

    /// Signs the certificate of `result` with `details`, writes it and appends it to the ledger,
    /// all or nothing; `timestamp` (when given) asks a TSA for a token over the signature.
    ///
    /// - Returns: the ledger entry.
    public func certify(
        _ result: VerificationResult, details: SanitizationDetails, timestamp: (([UInt8]) throws -> [UInt8])?
    ) throws -> Ledger.Entry {
        try ledger.appendCertificate(asset: details.assetTag, signer: signer, authority: givenAuthority) { previous in
            let document = try SanitizationCertificate.document(
                result: result, details: details, previousEntry: previous
            ).bytes
            let signature = try CMS.sign(document, certificate: signer.certificate, key: signer.key)
            let signed = LedgerTransaction.Signed(
                document: document, signature: signature, timestamp: try timestamp.map { try $0(signature) })
            try SanitizationCertificate.write(signed, to: output)
            return signed
        }
    }
}
