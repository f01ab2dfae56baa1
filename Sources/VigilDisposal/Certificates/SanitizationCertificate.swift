internal import Foundation
public import VigilCore
internal import VigilCrypto

/// What the person certifying a sanitization states, beside what Vigil measured.
public struct SanitizationDetails: Sendable {
    /// The asset's tag (NIST's "media property number").
    public var assetTag: String
    /// The person who certifies, as their certificate names them.
    public var technician: SignerIdentity
    public var organisation: String
    /// NIST SP 800-88's category: `clear`, `purge` or `destroy`.
    public var category: String
    /// How it was sanitized, in words (`1 pass of zeros`, `ATA SANITIZE BLOCK ERASE`, ...).
    public var method: String
    /// The tool and its version (`nwipe 0.33`).
    public var tool: String
    /// `hdd`, `ssd`, `nvme`, `usb`, `image`, ...; from the device when not given.
    public var mediaType: String?
    /// Where the medium goes next (`reuse`, `recycling`, `destruction`, `vendor return`).
    public var destination: String?
    /// The computer or system the medium came from.
    public var source: String?
    /// What the wiping tool's own log said (nwipe), imported.
    public var toolLog: NwipeLog?
    /// How long before the verification the wipe the tool's log records may have ended.
    public var toolLogMaxAge: Int64 = NwipeLog.defaultMaxAge

    /// What the technician states for the certificate: the asset, who, how, where the medium goes.
    public init(
        assetTag: String, technician: SignerIdentity, organisation: String, category: String, method: String,
        tool: String,
        mediaType: String? = nil, destination: String? = nil, source: String? = nil
    ) {
        self.assetTag = assetTag
        self.technician = technician
        self.organisation = organisation
        self.category = category
        self.method = method
        self.tool = tool
        self.mediaType = mediaType
        self.destination = destination
        self.source = source
        self.toolLog = nil
    }
}

/// A certificate of sanitization: the NIST SP 800-88 Appendix G fields and Vigil's verification,
/// as canonical JSON, with a detached CMS signature beside it (`CERT.json.p7s`).
public enum SanitizationCertificate {
    public static let categories = ["clear", "purge", "destroy"]

    /// The certificate for a verification that passed.
    ///
    /// - Throws: ``VigilError`` when there is nothing to certify: the verification failed, or
    ///   the details are incomplete or contradict each other.
    public static func document(
        result: VerificationResult, details: SanitizationDetails, id: String? = nil,
        previousEntry: String? = nil, issued: Timestamp = Timestamp.now()
    ) throws(VigilError) -> CanonicalJSON {
        let id = id ?? UUID().uuidString.lowercased()
        guard result.passed else {
            throw VigilError(
                .usage, path: result.identity.path,
                reason: "the verification failed: Vigil certifies only what it verified",
                hint: "wipe the medium again, then verify it")
        }
        guard categories.contains(details.category) else {
            throw VigilError(.usage, reason: "the category '\(details.category)' is not one of clear, purge, destroy")
        }
        for (name, value) in [
            ("the asset's tag", details.assetTag), ("the sanitization method", details.method),
            ("the sanitization tool", details.tool), ("the organisation", details.organisation),
        ] where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw VigilError(.usage, reason: "\(name) is needed for a certificate")
        }
        if let problem = MethodCheck.problem(method: details.method, category: details.category) {
            throw VigilError(.usage, reason: "the method '\(details.method)': \(problem)")
        }
        if let log = details.toolLog {
            let problems = log.problems(
                for: result.identity, expected: result.expectation, verificationStart: result.started,
                maxAge: details.toolLogMaxAge)
            if !problems.isEmpty {
                throw VigilError(
                    .usage, reason: "the nwipe log cannot back this certificate: " + problems.joined(separator: "; "))
            }
        }
        let identity = result.identity
        func text(_ value: String?) -> CanonicalJSON { value.map(CanonicalJSON.string) ?? .null }
        var verification: [String: CanonicalJSON] = [
            "tool": .string("vigil \(VigilVersion.current)"),
            "expected": .string(result.expectation.description),
            "result": .string("pass"),
            "bytes_verified": .int(result.bytesVerified),
            "coverage_ppm": .int(Int64((result.coverage * 1_000_000).rounded(.down))),
            "mismatches": .int(result.mismatches),
            "read_errors": .int(Int64(result.readErrors.count)),
            "started": .string(result.started.iso8601),
            "finished": .string(result.finished.iso8601),
            "bytes_per_second": .int(Int64(result.throughput)),
        ]
        switch result.scope {
        case .full:
            verification["method"] = .string("full")
        case .sample(let percent, let seed):
            verification["method"] = .string("sample")
            verification["seed"] = .string(String(seed))
            verification["percent_per_subsection"] = .string(String(percent))
            verification["subsections"] = .int(Int64(result.subsections ?? 0))
            verification["ranges"] = .int(Int64(result.samples))
            verification["miss_probability_ppm"] = .int(Int64((result.missProbability * 1_000_000).rounded(.up)))
        }
        if result.expectation == .random {
            verification["note"] = .string(
                "random: each 64 KiB block was checked for structure (entropy, chi-square, text, signatures); "
                    + "this does not prove every byte was overwritten")
        }
        let verificationDigest = (try? SHA256.hex(CanonicalJSON.object(verification).bytes)) ?? ""
        let mediaType =
            details.mediaType
            ?? (identity.kind == "image-file"
                ? "image" : identity.removable == true ? "removable" : identity.rotational == false ? "ssd" : "hdd")
        var document: [String: CanonicalJSON] = [
            "certificate": .string("certificate of sanitization (NIST SP 800-88 Rev. 1, Appendix G)"),
            "format_version": .int(2),
            "id": .string(id),
            "issued": .string(issued.wholeSeconds.iso8601),
            "organisation": .string(details.organisation),
            "person": .object([
                "name": .string(details.technician.name), "role": .string("technician"),
                "certificate_sha256": .string(details.technician.certificateSHA256),
                "key_sha256": .string(details.technician.keySHA256),
            ]),
            "media": .object([
                "property_number": .string(details.assetTag),
                "type": .string(mediaType),
                "manufacturer": text(identity.vendor),
                "model": text(identity.model),
                "serial": text(identity.serial),
                "firmware": text(identity.firmware),
                "size_bytes": .int(identity.size),
                "path": .string(URL(fileURLWithPath: identity.path).standardizedFileURL.path),
                "source": text(details.source),
            ]),
            "sanitization": .object([
                "category": .string(details.category),
                "method": .string(details.method),
                "tool": .string(details.tool),
            ]),
            "verification": .object(verification),
            "verification_sha256": .string(verificationDigest),
            "destination": text(details.destination),
            "vigil_version": .string(VigilVersion.current),
            "previous_entry_sha256": text(previousEntry),
        ]
        if let log = details.toolLog {
            let device = log.device(for: identity)
            document["tool_log"] = .object([
                "size_bytes": device?.size.map(CanonicalJSON.int) ?? .null,
                "model": text(device?.model), "serial": text(device?.serial),
                "tool": text(log.version), "method": text(log.method),
                "rounds": log.rounds.map { .int(Int64($0)) } ?? .null,
                "verify": text(log.verify), "prng": text(log.prng), "started": text(log.started),
                "ended": text(log.ended),
                "device": text(device?.path), "status": text(device?.status),
                "errors": .int(
                    Int64((device?.passErrors ?? 0) + (device?.verificationErrors ?? 0) + (device?.syncErrors ?? 0))),
                "verified_by_tool": .bool(device?.verified ?? false), "blanked": .bool(device?.blanked ?? false),
                "log_sha256": .string(log.sha256),
            ])
        }
        return .object(document)
    }

    /// Writes a signed certificate: `document` to `path`, its detached CMS signature (DER) to
    /// `path.p7s`, and a timestamp token over the signature to `path.p7s.tsr` when there is one.
    /// Each file is created whole or not at all and never over an existing file, so two runs
    /// naming the same `path` cannot both succeed; if one cannot be written, those written before
    /// it are removed.
    public static func write(_ signed: LedgerTransaction.Signed, to path: String) throws {
        var written: [String] = []
        do {
            try FileOutput.write(signed.signature, to: path + ".p7s", permissions: 0o644, existing: .refuse)
            written.append(path + ".p7s")
            try FileOutput.write(signed.document, to: path, permissions: 0o644, existing: .refuse)
            written.append(path)
            if let token = signed.timestamp {
                try FileOutput.write(token, to: path + ".p7s.tsr", permissions: 0o644, existing: .refuse)
            }
        } catch {
            written.forEach(FileOutput.remove)
            throw error
        }
    }
}
