public import VigilCore

/// Writes events one per line for `vigil events`: JSON Lines in the contract's shape, or text.
///
/// A credential's secret is masked (with its digest) unless `revealSecrets` is set.
public struct EventWriter: Sendable {
    public enum Format: String, Sendable, CaseIterable {
        case jsonl, text
    }

    public var format: Format
    public var revealSecrets: Bool

    public init(format: Format, revealSecrets: Bool) {
        self.format = format
        self.revealSecrets = revealSecrets
    }

    /// One line (without the newline) for `event`.
    public func line(_ event: Event) -> String {
        switch format {
        case .jsonl: json(event).serialized()
        case .text: text(event)
        }
    }

    public func json(_ event: Event) -> JSONValue {
        let source: JSONValue =
            switch event.source.position {
            case .packet(let number): .object([("path", .string(event.source.path)), ("packet", .int(Int64(number)))])
            case .line(let number): .object([("path", .string(event.source.path)), ("line", .int(Int64(number)))])
            }
        var fields: [(String, JSONValue)] = event.fields.map { entry in
            switch entry.value {
            case .string(let text): (entry.field.name, .string(text))
            case .int(let number): (entry.field.name, .int(number))
            case .bool(let flag): (entry.field.name, .bool(flag))
            }
        }
        if let credential = event.credential {
            fields.append(("credential.secret_masked", .string(credential.secret.masked)))
            fields.append(("credential.secret_sha256", .string(credential.secret.sha256)))
            if revealSecrets { fields.append(("credential.secret", .string(credential.secret.reveal()))) }
        }
        return .object([
            ("kind", .string(event.kind.rawValue)), ("time", .string(event.time.iso8601)), ("source", source),
            ("fields", .object(fields)),
        ])
    }

    private func text(_ event: Event) -> String {
        var parts = [event.time.iso8601, event.kind.rawValue, "\(event.source.path):\(event.source.locator)"]
        parts += event.fields.map { "\($0.field)=\($0.value)" }
        if let credential = event.credential {
            parts.append("secret=\(revealSecrets ? credential.secret.reveal() : credential.secret.masked)")
        }
        return parts.joined(separator: " ")
    }
}
