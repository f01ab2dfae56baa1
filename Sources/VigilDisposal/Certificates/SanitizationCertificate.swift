internal import Foundation
public import VigilCore
public import VigilCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// What the person certifying a sanitization states, beside what Vigil measured.
public struct SanitizationDetails: Sendable {
    /// The asset's tag (NIST's "media property number").
    public var assetTag: String
    public var technician: String
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

    public init(
        assetTag: String, technician: String, organisation: String, category: String, method: String, tool: String,
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
            throw VigilError(.usage, reason: "--category '\(details.category)' is not one of clear, purge, destroy")
        }
        for (name, value) in [
            ("--asset", details.assetTag), ("--technician", details.technician), ("--method", details.method),
            ("--tool", details.tool), ("--organisation", details.organisation),
        ] where value.trimmingCharacters(in: .whitespaces).isEmpty {
            throw VigilError(.usage, reason: "\(name) is needed for a certificate")
        }
        if let problem = MethodCheck.problem(method: details.method, category: details.category) {
            throw VigilError(.usage, reason: "--method '\(details.method)': \(problem)")
        }
        if let log = details.toolLog,
            let problem = log.problem(
                device: result.identity.kind == "block-device" ? result.identity.path : nil,
                expected: result.expectation)
        {
            throw VigilError(.usage, reason: "the nwipe log cannot back this certificate: \(problem)")
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
            "format_version": .int(1),
            "id": .string(id),
            "issued": .string(issued.wholeSeconds.iso8601),
            "organisation": .string(details.organisation),
            "person": .object(["name": .string(details.technician), "role": .string("technician")]),
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
            let device =
                log.devices.first {
                    ($0.path as NSString).lastPathComponent == (identity.path as NSString).lastPathComponent
                } ?? log.devices.first
            document["tool_log"] = .object([
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

    /// Writes `document` to `path` and its detached CMS signature (DER) to `path.p7s`, each
    /// through a temporary file renamed into place, so a crash leaves either nothing or both.
    public static func write(
        _ document: CanonicalJSON, to path: String, certificate: Certificate, key: PrivateKey
    ) throws -> (document: [UInt8], signature: [UInt8]) {
        let bytes = document.bytes
        let signature = try CMS.sign(bytes, certificate: certificate, key: key)
        try atomicWrite(signature, to: path + ".p7s")
        try atomicWrite(bytes, to: path)
        return (bytes, signature)
    }

    /// Writes `bytes` to `path` through a temporary file renamed into place, after fsync.
    public static func atomicWrite(_ bytes: [UInt8], to path: String) throws {
        let temporary = path + ".tmp-\(getpid())"
        let fd = open(temporary, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else {
            throw VigilError(.output, path: path, reason: String(cString: strerror(errno)))
        }
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + written, bytes.count - written) }
            if count < 0 {
                close(fd)
                throw VigilError(.output, path: path, reason: String(cString: strerror(errno)))
            }
            written += count
        }
        guard fsync(fd) == 0, close(fd) == 0, rename(temporary, path) == 0 else {
            throw VigilError(.output, path: path, reason: String(cString: strerror(errno)))
        }
    }

    /// Reads a signing key, refusing one whose file others can read: a key anyone on the
    /// machine can copy signs for anyone.
    public static func signingKey(path: String) throws -> PrivateKey {
        var info = stat()
        guard stat(path, &info) == 0 else {
            throw VigilError(.unreadable, path: path, reason: String(cString: strerror(errno)))
        }
        guard info.st_mode & 0o077 == 0 else {
            throw VigilError(
                .usage, path: path,
                reason: "the signing key can be read by others (mode \(String(info.st_mode & 0o777, radix: 8)))",
                hint: "chmod 600 \(path)")
        }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.unreadable, path: path, reason: "cannot read the key")
        }
        do {
            return try PrivateKey(pem: Array(data))
        } catch {
            throw VigilError(.corrupt, path: path, reason: "not a PEM private key (\(error))")
        }
    }

    /// Reads PEM certificates (one or several in a file).
    public static func certificates(path: String) throws -> [Certificate] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.unreadable, path: path, reason: "cannot read the certificate")
        }
        let text = String(decoding: data, as: UTF8.self)
        var found: [Certificate] = []
        var rest = Substring(text)
        while let begin = rest.range(of: "-----BEGIN CERTIFICATE-----"),
            let end = rest.range(of: "-----END CERTIFICATE-----", range: begin.upperBound..<rest.endIndex)
        {
            let pem = String(rest[begin.lowerBound..<end.upperBound]) + "\n"
            do {
                found.append(try Certificate(pem: Array(pem.utf8)))
            } catch {
                throw VigilError(.corrupt, path: path, reason: "a certificate in it does not parse (\(error))")
            }
            rest = rest[end.upperBound...]
        }
        guard !found.isEmpty else { throw VigilError(.corrupt, path: path, reason: "no PEM certificate in it") }
        return found
    }
}
