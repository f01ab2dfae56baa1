public import VigilCore

/// Writes events one per line for `vigil events`: JSON Lines in the contract's shape, or text.
///
/// A credential's secret is masked (with its keyed digest) unless `revealSecrets` is set; text
/// fields that hold a secret (a log line with a password typed as a user name) are scrubbed the
/// same way; the text format shows control characters visibly.
public struct EventWriter: Sendable {
    /// How events are written: one JSON object per line, or text.
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, text
    }

    public var format: Format
    public var revealSecrets: Bool
    /// The key of the secrets' digests.
    public var digest: SecretDigest

    /// A writer in `format`, secrets in clear only when `revealSecrets`, digests under `digest`'s key.
    public init(format: Format, revealSecrets: Bool, digest: SecretDigest = .ephemeral()) {
        self.format = format
        self.revealSecrets = revealSecrets
        self.digest = digest
    }

    /// One line (without the newline) for `event`.
    public func line(_ event: Event) -> String {
        switch format {
        case .jsonl: json(event).serialized()
        case .text: text(event)
        }
    }

    /// Appends `event` as one JSON line (without the newline) to `out`: the same bytes as
    /// ``json(_:)`` serialised, written without building the value first (`vigil events`).
    public func appendJSON(_ event: Event, to out: inout [UInt8]) {
        out.append(contentsOf: #"{"kind":"#.utf8)
        JSONValue.quote(event.kind.rawValue, into: &out)
        out.append(contentsOf: #","time":""#.utf8)
        event.time.appendISO8601(to: &out)
        out.append(UInt8(ascii: "\""))
        out.append(contentsOf: #","source":{"path":"#.utf8)
        JSONValue.quote(event.source.path, into: &out)
        switch event.source.position {
        case .packet(let number): out.append(contentsOf: #","packet":\#(number)},"fields":{"#.utf8)
        case .line(let number): out.append(contentsOf: #","line":\#(number)},"fields":{"#.utf8)
        }
        var first = true
        func key(_ name: String) {
            if !first { out.append(0x2C) }
            first = false
            JSONValue.quote(name, into: &out)
            out.append(0x3A)
        }
        let secrets = event.secretsInText
        var message = false
        for entry in event.fields {
            key(entry.field.name)
            if entry.field == .logMessage { message = true }
            switch entry.value {
            case .string(let text):
                JSONValue.quote(
                    secrets.isEmpty ? text : Secret.scrub(text, of: secrets, reveal: revealSecrets), into: &out)
            case .text(let text):
                // Written as read when plain ASCII with no secret to scrub; else as a string
                // (invalid UTF-8 repaired, secrets scrubbed).
                text.withBytes { bytes in
                    if secrets.isEmpty && !bytes.contains(where: { $0 >= 0x80 }) {
                        JSONValue.quote(utf8: bytes, into: &out)
                    } else {
                        JSONValue.quote(Secret.scrub(text.string, of: secrets, reveal: revealSecrets), into: &out)
                    }
                }
            case .int(let number): out.append(contentsOf: String(number).utf8)
            case .bool(let flag): out.append(contentsOf: (flag ? "true" : "false").utf8)
            case .address(let address):
                let text = address.description
                JSONValue.quote(
                    secrets.isEmpty ? text : Secret.scrub(text, of: secrets, reveal: revealSecrets), into: &out)
            }
        }
        if let text = event.text, !message {
            key(Field.logMessage.name)
            text.withBytes { bytes in
                if secrets.isEmpty && !bytes.contains(where: { $0 >= 0x80 }) {
                    JSONValue.quote(utf8: bytes, into: &out)
                } else {
                    JSONValue.quote(Secret.scrub(text.string, of: secrets, reveal: revealSecrets), into: &out)
                }
            }
        }
        if let credential = event.credential {
            key("credential.secret_masked")
            JSONValue.quote(credential.secret.masked, into: &out)
            key("credential.secret_digest")
            JSONValue.quote(digest.digest(credential.secret), into: &out)
            if revealSecrets {
                key("credential.secret")
                JSONValue.quote(credential.secret.reveal(), into: &out)
            }
        }
        out.append(contentsOf: "}}".utf8)
    }

    /// `event` as a JSON object: kind, time, source, fields, and its credential masked.
    public func json(_ event: Event) -> JSONValue {
        let source: JSONValue =
            switch event.source.position {
            case .packet(let number): .object([("path", .string(event.source.path)), ("packet", .int(Int64(number)))])
            case .line(let number): .object([("path", .string(event.source.path)), ("line", .int(Int64(number)))])
            }
        let secrets = event.secretsInText
        var fields: [(String, JSONValue)] = event.allFields.map { entry in
            switch entry.value {
            case .string(let text):
                (entry.field.name, .string(Secret.scrub(text, of: secrets, reveal: revealSecrets)))
            case .text(let text):
                (entry.field.name, .string(Secret.scrub(text.string, of: secrets, reveal: revealSecrets)))
            case .int(let number): (entry.field.name, .int(number))
            case .bool(let flag): (entry.field.name, .bool(flag))
            case .address(let address):
                (entry.field.name, .string(Secret.scrub(address.description, of: secrets, reveal: revealSecrets)))
            }
        }
        if let credential = event.credential {
            fields.append(("credential.secret_masked", .string(credential.secret.masked)))
            fields.append(("credential.secret_digest", .string(digest.digest(credential.secret))))
            if revealSecrets { fields.append(("credential.secret", .string(credential.secret.reveal()))) }
        }
        return .object([
            ("kind", .string(event.kind.rawValue)), ("time", .string(event.time.iso8601)), ("source", source),
            ("fields", .object(fields)),
        ])
    }

    private func text(_ event: Event) -> String {
        let secrets = event.secretsInText
        var parts = [
            event.time.iso8601, event.kind.rawValue, "\(Printable.visible(event.source.path)):\(event.source.locator)",
        ]
        parts += event.allFields.map {
            "\($0.field)=\(Printable.visible(Secret.scrub($0.value.description, of: secrets, reveal: revealSecrets)))"
        }
        if let credential = event.credential {
            parts.append("secret=\(credential.secret.shown(reveal: revealSecrets))")
        }
        return parts.joined(separator: " ")
    }
}
