internal import Foundation
public import VigilCore
internal import Yams

/// How Sigma's `logsource` (product, category, service) selects the events Vigil reads, and the
/// field names each log source's rules use: read from a declarative mapping file
/// (`rules/mappings/logsources.yml`, documented there), not written in code. Users add mappings
/// of their own (`--logsource-map FILE`), which take precedence.
public struct LogsourceMap: Sendable {
    /// One entry of a mapping file.
    struct Entry: Sendable {
        var match: [String: String]
        var read: SourceSelection?
        var fields: [String: String]
        var openFields: Bool
        var unsupported: String?
    }

    var entries: [Entry]

    /// What a rule's log source comes to.
    public enum Resolution: Sendable {
        /// The rule applies to the events `selection` admits; its field names are translated by
        /// `fields`; `openFields` when the source's records bring field names of their own.
        case applies(SourceSelection, fields: [String: String], openFields: Bool)
        /// Vigil cannot apply the rule, for this reason.
        case cannotApply(String)
    }

    /// A map of no entries (every rule's log source then cannot apply).
    public init() { entries = [] }

    /// The mapping in the YAML file at `path`.
    ///
    /// - Throws: ``VigilError`` naming the file and line of what is wrong in it.
    public init(path: String) throws(VigilError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.unreadable, path: path, reason: "the log source mapping cannot be read")
        }
        try self.init(yaml: String(decoding: data, as: UTF8.self), file: path)
    }

    /// The mapping in `yaml`, read from `file` (named in errors).
    public init(yaml: String, file: String) throws(VigilError) {
        let reader = NodeReader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml, RuleLoader.resolver)
        } catch {
            throw VigilError(.invalidRule, path: file, reason: "the log source mapping is not valid YAML: \(error)")
        }
        guard let root, let list = root["logsources"], case .sequence(let items) = list else {
            throw VigilError(.invalidRule, path: file, reason: "the log source mapping has no 'logsources' list")
        }
        var entries: [Entry] = []
        for item in items {
            guard let matchNode = item["match"], case .mapping(let match) = matchNode else {
                throw reader.error(item, "each log source needs a 'match' mapping (product, category, service)")
            }
            var entry = Entry(match: [:], read: nil, fields: [:], openFields: false, unsupported: nil)
            for (key, value) in match {
                guard let name = key.string, ["product", "category", "service"].contains(name),
                    let text = value.string
                else { throw reader.error(key, "'match' takes product, category and service") }
                entry.match[name] = text
            }
            entry.unsupported = try reader.optionalString(item["unsupported"], "unsupported")
            if let read = item["read"] {
                entry.read = try Self.selection(read, reader: reader)
            }
            if let fields = item["fields"] {
                if fields.string == "open" {
                    entry.openFields = true
                } else if case .mapping(let pairs) = fields {
                    for (key, value) in pairs {
                        guard let name = key.string, let target = value.string else {
                            throw reader.error(key, "'fields' maps a rule's field name to Vigil's")
                        }
                        entry.fields[name] = target
                    }
                } else {
                    throw reader.error(fields, "'fields' is a mapping of names, or 'open'")
                }
            }
            guard entry.read != nil || entry.unsupported != nil else {
                throw reader.error(item, "a log source needs 'read' or 'unsupported'")
            }
            entries.append(entry)
        }
        self.entries = entries
    }

    private static func selection(_ node: Node, reader: NodeReader) throws(VigilError) -> SourceSelection {
        guard case .mapping = node else { throw reader.error(node, "'read' is a mapping") }
        var selection = SourceSelection()
        if let origin = try reader.optionalString(node["origin"], "origin") {
            guard let value = SourceSelection.Origin(rawValue: origin) else {
                throw reader.error(node["origin"], "'origin' is log or capture")
            }
            selection.origin = value
        }
        if node["kinds"] != nil {
            selection.kinds = Set(try reader.strings(node["kinds"], "kinds").map(EventKind.init(rawValue:)))
        }
        if node["formats"] != nil { selection.formats = Set(try reader.strings(node["formats"], "formats")) }
        let programs = try reader.strings(node["programs"], "programs")
        let files = try reader.strings(node["files"], "files")
        var facilities: Set<Int> = []
        for text in try reader.strings(node["facilities"], "facilities") {
            guard let code = Int(text), (0...23).contains(code) else {
                throw reader.error(node["facilities"], "'facilities' are syslog facility numbers, 0 to 23")
            }
            facilities.insert(code)
        }
        if !programs.isEmpty || !files.isEmpty || !facilities.isEmpty {
            selection.streams = [SourceSelection.Stream(programs: Set(programs), files: files, facilities: facilities)]
        }
        return selection
    }

    /// This map with `other`'s entries first: an entry of `other` with the same `match` as one of
    /// this map replaces it.
    public func adding(_ other: LogsourceMap) -> LogsourceMap {
        var result = other
        result.entries += entries.filter { mine in !other.entries.contains { $0.match == mine.match } }
        return result
    }

    /// What `logsource` comes to.
    public func resolve(_ logsource: Logsource) -> Resolution {
        var keys: [String: String] = [:]
        keys["product"] = logsource.product
        keys["category"] = logsource.category
        keys["service"] = logsource.service
        let applicable = entries.filter { entry in entry.match.allSatisfy { keys[$0.key] == $0.value } }
        // The most specific refusal decides.
        if let refusal = applicable.filter({ $0.unsupported != nil }).max(by: { $0.match.count < $1.match.count }),
            let reason = refusal.unsupported
        {
            return .cannotApply(reason)
        }
        var selection = SourceSelection()
        var fields: [String: String] = [:]
        var open = false
        for key in ["product", "category", "service"] {
            guard let value = keys[key] else { continue }
            if applicable.contains(where: { $0.match[key] == value }) { continue }
            if key == "service" {
                // A service of its own name: the lines of that program.
                selection.streams.append(SourceSelection.Stream(programs: [value], files: []))
                continue
            }
            return .cannotApply("Vigil reads no events of \(key) '\(value)'")
        }
        for entry in applicable {
            guard let read = entry.read else { continue }
            guard let narrowed = selection.narrowed(by: read) else {
                return .cannotApply("its log source asks for events of both logs and captures")
            }
            selection = narrowed
            fields.merge(entry.fields) { mine, _ in mine }
            open = open || entry.openFields
        }
        if selection.kinds?.isEmpty == true { return .cannotApply("its log source's parts select no common events") }
        return .applies(selection, fields: fields, openFields: open)
    }
}
