public import VigilCore

/// Which events a rule's `logsource` selects, as the log source mapping resolves it: where they
/// come from, their kinds, and for log lines the programs, files and header formats. Every part
/// left `nil` admits anything.
public struct SourceSelection: Sendable, Hashable {
    /// Where events come from.
    public enum Origin: String, Sendable, Hashable {
        /// Lines of logs.
        case log
        /// Packets of captures.
        case capture
    }

    /// A stream of log lines: by the program that wrote them, the file they are in, or the
    /// syslog facility they were logged under (where the line says it).
    public struct Stream: Sendable, Hashable {
        public var programs: Set<String>
        /// Shell patterns on the input's file name (`auth.log*`).
        public var files: [String]
        /// Syslog facilities (4 auth, 10 authpriv).
        public var facilities: Set<Int> = []

        func admits(_ event: Event) -> Bool {
            admits(
                service: event[.service]?.description, fileName: Self.fileName(event.source.path),
                facility: Self.facility(of: event))
        }

        /// The facility an event's line was logged under, if it said.
        static func facility(of event: Event) -> Int? {
            if case .int(let code)? = event[.syslogFacility] { return Int(code) }
            return nil
        }

        /// Whether a line of `service` (its program) read from a file named `fileName`, logged
        /// under `facility`, is of the stream.
        func admits(service: String?, fileName: String, facility: Int?) -> Bool {
            if !programs.isEmpty, let service, programs.contains(service) { return true }
            if !facilities.isEmpty, let facility, facilities.contains(facility) { return true }
            guard !files.isEmpty else { return false }
            return files.contains { fnmatch($0, fileName, 0) == 0 }
        }

        /// The last component of `path`.
        static func fileName(_ path: String) -> String {
            path.split(separator: "/", omittingEmptySubsequences: true).last.map(String.init) ?? path
        }
    }

    public var origin: Origin?
    public var kinds: Set<EventKind>?
    /// Every stream must admit the event (each by program or by file).
    public var streams: [Stream] = []
    public var formats: Set<String>?

    /// A selection of everything.
    public init(origin: Origin? = nil, kinds: Set<EventKind>? = nil) {
        self.origin = origin
        self.kinds = kinds
    }

    /// Whether the selection admits `event` (its kind aside, which the engine checks first).
    func admitsSource(_ event: Event) -> Bool {
        switch (origin, event.source.position) {
        case (.log, .packet), (.capture, .line): return false
        default: break
        }
        if let formats, !formats.contains(event[.logFormat]?.description ?? "") { return false }
        return streams.allSatisfy { $0.admits(event) }
    }

    /// Whether the selection admits events of `kind` from `origin` with these header fields
    /// (what ``admits(_:)`` reads of an event, so that an engine decides once per kind of line).
    func admits(
        kind: EventKind, origin: Origin, format: String?, service: String?, fileName: String, facility: Int?
    ) -> Bool {
        if let kinds, !kinds.contains(kind) { return false }
        if let wanted = self.origin, wanted != origin { return false }
        if let formats, !formats.contains(format ?? "") { return false }
        return streams.allSatisfy { $0.admits(service: service, fileName: fileName, facility: facility) }
    }

    /// Whether the selection admits `event`, kind included.
    public func admits(_ event: Event) -> Bool {
        if let kinds, !kinds.contains(event.kind) { return false }
        return admitsSource(event)
    }

    /// Both selections at once; `nil` when they exclude each other (a log and a capture).
    func narrowed(by other: SourceSelection) -> SourceSelection? {
        var result = self
        if let theirs = other.origin {
            if let ours = origin, ours != theirs { return nil }
            result.origin = theirs
        }
        if let theirs = other.kinds { result.kinds = kinds.map { $0.intersection(theirs) } ?? theirs }
        if let theirs = other.formats { result.formats = formats.map { $0.intersection(theirs) } ?? theirs }
        result.streams += other.streams
        return result
    }
}

#if canImport(Glibc)
    import Glibc
#endif
