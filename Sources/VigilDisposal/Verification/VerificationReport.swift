internal import Foundation
internal import VigilCore

/// The result of a wipe verification for a person (text) or a script (JSON).
public enum VerificationReport {
    /// The verification for a person.
    public static func text(_ result: VerificationResult) -> String {
        let identity = result.identity
        var out = "Vigil \(VigilVersion.current) wipe verification, \(result.finished.wholeSeconds.iso8601)\n\n"
        out +=
            "target:      \(identity.path) (\(identity.kind), \(ByteCount.text(identity.size)), \(identity.size) bytes)\n"
        let details = [
            identity.vendor, identity.model, identity.serial.map { "serial \($0)" },
            identity.firmware.map { "firmware \($0)" },
            identity.rotational.map { $0 ? "rotational" : "solid state" },
            identity.removable == true ? "removable" : nil, identity.backingFile.map { "backed by \($0)" },
        ].compactMap { $0 }
        if !details.isEmpty { out += "device:      " + details.joined(separator: ", ") + "\n" }
        out += "expected:    \(result.expectation)"
        if result.expectation == .random {
            out +=
                " (the weaker check: no structure left, each 64 KiB block statistically random; it does not prove every byte was overwritten)"
        }
        out += "\n"
        switch result.scope {
        case .full: out += "scope:       full (every byte)\n"
        case .sample(let percent, let seed):
            out +=
                "scope:       sample of \(percent)% of each of \(result.subsections ?? 0) subsections plus the first and last MiB; "
            out += "seed \(seed); \(result.samples) ranges read\n"
        }
        let percent = (result.coverage * 10000).rounded() / 100
        out +=
            "verified:    \(ByteCount.text(result.bytesVerified)) (\(result.bytesVerified) bytes, \(percent)% of the medium)"
        out += " in \(String(format: "%.2f", result.seconds)) s, \(ByteCount.text(Int64(result.throughput)))/s\n"
        if case .sample = result.scope {
            out += "sampling:    a single bad byte anywhere would be missed with probability "
            out += "\(String(format: "%.4f", result.missProbability)); a full verification reads every byte\n"
        }
        out += "result:      " + (result.passed ? "PASS" : "FAIL") + "\n"
        if result.mismatches > 0 {
            let unit = result.expectation == .random ? "block(s) of 64 KiB" : "byte(s)"
            out += "\n\(result.mismatches) \(unit) not as expected; the first:\n"
            for failure in result.failures {
                out += "  offset \(failure.offset) (0x\(String(failure.offset, radix: 16))): found \(failure.found)"
                if let reason = failure.reason { out += " — \(reason)" }
                out += "\n"
            }
        }
        for error in result.readErrors { out += "read error at offset \(error.offset): \(error.reason)\n" }
        if result.stoppedEarly { out += "stopped at the first failure, as asked\n" }
        return out
    }

    /// The verification for a script.
    public static func json(_ result: VerificationResult) -> String {
        let identity = result.identity
        func optional(_ text: String?) -> JSONValue { text.map(JSONValue.string) ?? .null }
        var scope: [(String, JSONValue)] = []
        switch result.scope {
        case .full: scope = [("mode", .string("full"))]
        case .sample(let percent, let seed):
            scope = [
                ("mode", .string("sample")), ("percent", .double(percent)), ("seed", .string(String(seed))),
                ("subsections", .int(Int64(result.subsections ?? 0))), ("ranges", .int(Int64(result.samples))),
                ("miss_probability", .double(result.missProbability)),
            ]
        }
        let value = JSONValue.object([
            ("tool", .string("vigil \(VigilVersion.current)")),
            (
                "target",
                .object([
                    ("path", .string(identity.path)), ("kind", .string(identity.kind)), ("size", .int(identity.size)),
                    ("logical_block_size", .int(Int64(identity.logicalBlockSize))),
                    ("vendor", optional(identity.vendor)),
                    ("model", optional(identity.model)), ("serial", optional(identity.serial)),
                    ("firmware", optional(identity.firmware)),
                    ("rotational", identity.rotational.map(JSONValue.bool) ?? .null),
                    ("removable", identity.removable.map(JSONValue.bool) ?? .null),
                    ("backing_file", optional(identity.backingFile)),
                ])
            ),
            ("expect", .string(result.expectation.description)),
            ("scope", .object(scope)),
            ("result", .string(result.passed ? "pass" : "fail")),
            ("bytes_verified", .int(result.bytesVerified)),
            ("coverage", .double(result.coverage)),
            ("mismatches", .int(result.mismatches)),
            (
                "failures",
                .array(
                    result.failures.map {
                        .object([
                            ("offset", .int($0.offset)), ("found", .string($0.found)), ("reason", optional($0.reason)),
                        ])
                    })
            ),
            (
                "read_errors",
                .array(
                    result.readErrors.map { .object([("offset", .int($0.offset)), ("reason", .string($0.reason))]) })
            ),
            ("stopped_early", .bool(result.stoppedEarly)),
            ("started", .string(result.started.iso8601)), ("finished", .string(result.finished.iso8601)),
            ("seconds", .double(result.seconds)), ("bytes_per_second", .double(result.throughput)),
        ])
        return value.serialized(pretty: true) + "\n"
    }
}
