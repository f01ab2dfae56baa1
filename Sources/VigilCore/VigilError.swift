/// An error Vigil reports to its user: a code scripts can test, the file and the position in
/// it, what was wrong, and what to do about it.
///
/// `description` is the one line the CLI prints: `vigil: FILE: offset 24: reason (hint)`.
public struct VigilError: Error, Sendable, CustomStringConvertible {
    /// A stable error code. A struct rather than an enum so that new codes don't break callers.
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        public let rawValue: String
        /// A code named `rawValue` (`unreadable`, `corrupt`, …).
        public init(_ rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }

        /// The path does not exist or cannot be opened.
        public static let unreadable = Code("unreadable")
        /// The file is not of any kind Vigil reads.
        public static let unrecognised = Code("unrecognised")
        /// The file claims a format but its content breaks it.
        public static let corrupt = Code("corrupt")
        /// A rule file is not a valid rule.
        public static let invalidRule = Code("invalid-rule")
        /// The command line asks for something impossible.
        public static let usage = Code("usage")
        /// Writing an output failed.
        public static let output = Code("output")
        /// A library Vigil relies on (OpenSSL, libpcap) failed.
        public static let library = Code("library")
        /// A signer may not sign this: a certificate outside the organisation's CA, expired, or
        /// without the role the step needs.
        public static let notAllowed = Code("not-allowed")
        /// An input went past one of Vigil's resource limits (a gzip that expands too far, too
        /// many rules, a rule file too large); what came before it was kept.
        public static let limit = Code("limit")
        /// A rule Vigil cannot apply: its log source is one Vigil does not read, or it names a
        /// field no source of its events produces. It is skipped (an error with `--strict-rules`).
        public static let cannotApply = Code("cannot-apply")
    }

    /// A place in a file.
    public enum Position: Hashable, Sendable, CustomStringConvertible {
        case offset(Int64)
        case line(Int)
        case lineColumn(Int, Int)
        case packet(Int)

        public var description: String {
            switch self {
            case .offset(let offset): "offset \(offset)"
            case .line(let line): "line \(line)"
            case .lineColumn(let line, let column): "line \(line), column \(column)"
            case .packet(let packet): "packet \(packet)"
            }
        }
    }

    /// What the user can do about an error, in the library's terms: the command line says it
    /// with its own flags (``hint`` is the library's words when it has no flag to name).
    public enum Remedy: Sendable, Equatable {
        /// Write every format to a folder rather than one file.
        case writeAFolderOfReports
        /// Start a checklist, or name the store that holds them.
        case startOrNameAChecklistStore
        /// Name the organisation's CA certificate, which the first ledger entry pins.
        case pinTheOrganisationCA
        /// Have the organisation's CA issue a key with this role (`nil`: any role).
        case issueAKey(role: String?)
        /// Raise the limits on a gzip log's expansion.
        case raiseTheGzipLimits
        /// Name an existing unprivileged account to run a live capture as.
        case nameAnUnprivilegedUser
    }

    public var code: Code
    public var path: String?
    public var position: Position?
    public var reason: String
    public var hint: String?
    /// What to do, for the command line to say with its flags.
    public var remedy: Remedy?

    /// An error of `code` about `path` at `position`: what was wrong (`reason`), what to do (`hint`,
    /// `remedy`).
    public init(
        _ code: Code, path: String? = nil, position: Position? = nil, reason: String, hint: String? = nil,
        remedy: Remedy? = nil
    ) {
        self.code = code
        self.path = path
        self.position = position
        self.reason = reason
        self.hint = hint
        self.remedy = remedy
    }

    public var description: String {
        var parts: [String] = []
        if let path { parts.append(path) }
        if let position { parts.append(position.description) }
        parts.append(reason)
        var line = parts.joined(separator: ": ")
        if let hint { line += " (\(hint))" }
        return line
    }
}
