internal import Foundation
public import VigilCore
internal import VigilCrypto

/// Every rule loaded from one or more folders, with what was wrong or worth saying about them.
public struct RuleSet: Sendable {
    public var rules: [Rule]
    public var correlations: [CorrelationRule]
    /// Rules with an error (syntax, an unknown modifier, a missing key) and rule files or
    /// folders that could not be read, each with its file, line and reason: none of them loaded.
    /// An audit runs without them; `--strict-rules` makes them stop it.
    public var errors: [VigilError]
    /// Rules Vigil cannot apply here (a log source it does not read, a field no source of its
    /// events produces), each with why: not loaded.
    public var skipped: [SkippedRule] = []
    /// Remarks that do not stop a rule from loading.
    public var notes: [String]
    /// The folders or files the set was loaded from.
    public var sources: [String] = []
    /// The rule files read.
    public var fileCount = 0
    /// SHA-256 over each rule file's path (within its source) and content, in order: the same
    /// rules give the same digest wherever they lie.
    public var sha256 = ""

    /// A rule set of `rules` and `correlations`, with the errors and notes of loading them.
    public init(
        rules: [Rule] = [], correlations: [CorrelationRule] = [], errors: [VigilError] = [], notes: [String] = []
    ) {
        self.rules = rules
        self.correlations = correlations
        self.errors = errors
        self.notes = notes
    }

    /// The most rules (and correlations) one run loads: every rule costs time on every event.
    public static let maxRules = 10_000

    /// Loads every `*.yml` and `*.yaml` file under each of `paths` (files or folders, recursively, in name
    /// order; `checklists/` folders hold checklist templates and are left out). A missing path is an error in
    /// ``errors``.
    public static func load(from paths: [String], options: RuleLoadOptions = RuleLoadOptions()) -> RuleSet {
        var set = RuleSet()
        if options.mappings.entries.isEmpty, case .failure(let error) = ShippedRules.mapping {
            set.errors.append(error)
        }
        set.sources = paths
        var seen: [String: String] = [:]
        var files: [String] = []
        var identity: [UInt8] = []
        for path in paths {
            let found = ruleFiles(under: path, errors: &set.errors)
            for file in found {
                let relative = file.hasPrefix(path) ? String(file.dropFirst(path.count)) : file
                let content = FileManager.default.contents(atPath: file).map { Array($0) } ?? []
                identity += Array(relative.utf8) + [0] + Array(((try? SHA256.hex(content)) ?? "").utf8) + [0x0A]
            }
            files += found
        }
        set.fileCount = files.count
        set.sha256 = (try? SHA256.hex(identity)) ?? ""
        // Files are parsed on all cores (YAML is the slow part), then taken in order.
        let parsed = Locked([Result<RuleLoader.Loaded, VigilError>?](repeating: nil, count: files.count))
        let fileList = files
        WorkerPool.run(fileList.count, workers: WorkerPool.processors, name: "vigil-rule-files") { index in
            let outcome: Result<RuleLoader.Loaded, VigilError>
            do throws(VigilError) {
                outcome = .success(try RuleLoader.load(file: fileList[index], options: options, lenient: true))
            } catch {
                outcome = .failure(error)
            }
            parsed.withLock { $0[index] = outcome }
        }
        let results = parsed.withLock { $0 }
        for (index, file) in files.enumerated() {
            do {
                let loaded = try results[index]!.get()
                for rule in loaded.rules {
                    if let other = seen[rule.id] {
                        set.errors.append(
                            VigilError(
                                .invalidRule, path: file, position: .line(rule.line),
                                reason: "rule id '\(rule.id)' is already used by \(other)"))
                        continue
                    }
                    seen[rule.id] = file
                    set.rules.append(rule)
                    set.notes += rule.notes.map { "\(file): \($0)" }
                }
                set.correlations += loaded.correlations
                set.skipped += loaded.skipped
                set.errors += loaded.errors
            } catch {
                set.errors.append(error)
            }
        }
        if set.rules.count + set.correlations.count > maxRules {
            set.errors.append(
                VigilError(
                    .limit, path: paths.joined(separator: ", "),
                    reason: "\(set.rules.count + set.correlations.count) rules, more than the \(maxRules) Vigil loads; "
                        + "only the first \(maxRules) (in file order) were kept"))
            set.rules = Array(set.rules.prefix(maxRules))
            set.correlations = Array(set.correlations.prefix(max(0, maxRules - set.rules.count)))
        }
        set.dropUnresolvedCorrelations()
        return set
    }

    private static func ruleFiles(under path: String, errors: inout [VigilError]) -> [String] {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            errors.append(VigilError(.unreadable, path: path, reason: "no such rule file or folder"))
            return []
        }
        guard isDirectory.boolValue else { return [path] }
        guard let walker = FileManager.default.enumerator(atPath: path) else { return [] }
        var files: [String] = []
        while let relative = walker.nextObject() as? String {
            // Checklist templates and the log source mapping live beside the rules as data
            // (`rules/checklists/`, `rules/mappings/`).
            if ["checklists", "mappings"].contains(where: {
                relative == $0 || relative.hasPrefix($0 + "/") || relative.contains("/" + $0 + "/")
            }) {
                continue
            }
            if relative.hasSuffix(".yml") || relative.hasSuffix(".yaml") {
                files.append((path as NSString).appendingPathComponent(relative))
            }
        }
        return files.sorted()
    }
}
