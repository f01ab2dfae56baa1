internal import Foundation
internal import VigilCore
internal import Yams

/// Reads Sigma rule documents from a YAML file into ``Rule`` and ``CorrelationRule`` values.
enum RuleLoader {
    struct Loaded {
        var rules: [Rule] = []
        var correlations: [CorrelationRule] = []
        /// Rules Vigil cannot apply here, each with why.
        var skipped: [SkippedRule] = []
        /// Documents with an error (when loaded leniently: the others still load).
        var errors: [VigilError] = []
    }

    /// The largest rule file read (1 MiB: the biggest Sigma rule files are a few kilobytes).
    static let maxFileBytes = 1 << 20
    /// The most YAML nodes a rule document may expand to, aliases followed: a "billion laughs"
    /// file of a few lines expands past any memory.
    static let maxNodes = 100_000

    /// Loads every document of `file`. Strict (the default), the first document with an error
    /// stops the loading; lenient, each document with an error is reported in ``Loaded/errors``
    /// and the others load.
    static func load(
        file: String, options: RuleLoadOptions = RuleLoadOptions(), lenient: Bool = false
    ) throws(VigilError) -> Loaded {
        if let size = (try? FileManager.default.attributesOfItem(atPath: file))?[.size] as? Int,
            size > maxFileBytes
        {
            throw VigilError(
                .limit, path: file,
                reason: "the rule file is \(size) bytes, more than the \(maxFileBytes) a rule file may be")
        }
        guard let data = FileManager.default.contents(atPath: file) else {
            throw VigilError(.unreadable, path: file, reason: "cannot read the rule file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw VigilError(.invalidRule, path: file, reason: "not UTF-8 text")
        }
        return try load(yaml: text, file: file, options: options, lenient: lenient)
    }

    /// No implicit types: every plain scalar stays text, and the loader reads booleans
    /// (``Yams/Node/flag``), integers (`Node.int`, which reads plain scalars whatever their tag)
    /// and null (``DetectionCompiler``) from plain scalars itself. Yams resolves a scalar's type
    /// with regular expressions each time a node is compared or hashed (every key lookup, every
    /// duplicate-key check), which was most of the cost of loading a rule.
    static let resolver = Resolver.basic

    static func load(
        yaml text: String, file: String, options: RuleLoadOptions = RuleLoadOptions(), lenient: Bool = false
    ) throws(VigilError) -> Loaded {
        var documents: [Node] = []
        do {
            let parser = try Parser(yaml: text, resolver: Self.resolver)
            while let document = try parser.nextRoot() {
                // An empty document (a trailing `---`) holds nothing to load.
                if case .scalar(let scalar) = document, scalar.string.isEmpty || scalar.string == "~" { continue }
                documents.append(document)
            }
        } catch let error as YamlError {
            throw VigilError(
                .invalidRule, path: file, position: position(of: error), reason: "not valid YAML: \(summary(error))")
        } catch {
            throw VigilError(.invalidRule, path: file, reason: "not valid YAML: \(error)")
        }
        guard !documents.isEmpty else { throw VigilError(.invalidRule, path: file, reason: "the file holds no rule") }
        for document in documents {
            var budget = maxNodes
            guard !Self.fits(document, budget: &budget) else { continue }
            throw VigilError(
                .limit, path: file, position: document.mark.map { .lineColumn($0.line, $0.column) },
                reason: "the YAML expands to more than \(maxNodes) nodes (aliases repeating aliases?)")
        }
        var loaded = Loaded()
        for document in documents {
            let reader = NodeReader(file: file, options: options)
            do throws(VigilError) {
                guard case .mapping = document else {
                    throw reader.error(document, "a rule document must be a mapping of keys (title, detection, ...)")
                }
                if document["correlation"] != nil {
                    loaded.correlations.append(try reader.correlation(document))
                } else {
                    loaded.rules.append(try reader.rule(document))
                }
            } catch  where error.code == .cannotApply {
                var skipped = SkippedRule(
                    file: file, line: document.mark?.line ?? 1,
                    rule: document["name"]?.string ?? document["id"]?.string,
                    reason: error.reason + (error.hint.map { " (\($0))" } ?? ""))
                skipped.references = [document["name"]?.string, document["id"]?.string].compactMap { $0 }
                loaded.skipped.append(skipped)
            } catch {
                guard lenient else { throw error }
                loaded.errors.append(error)
            }
        }
        return loaded
    }

    /// Counts `node` and what it holds against `budget`, stopping as soon as it runs out.
    private static func fits(_ node: Node, budget: inout Int) -> Bool {
        budget -= 1
        guard budget >= 0 else { return false }
        switch node {
        case .mapping(let mapping):
            for (key, value) in mapping where !fits(key, budget: &budget) || !fits(value, budget: &budget) {
                return false
            }
        case .sequence(let sequence):
            for item in sequence where !fits(item, budget: &budget) { return false }
        default: break
        }
        return true
    }

    private static func position(of error: YamlError) -> VigilError.Position? {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return .lineColumn(mark.line, mark.column)
        default:
            return nil
        }
    }

    private static func summary(_ error: YamlError) -> String {
        switch error {
        case .scanner(let context, let problem, _, _), .parser(let context, let problem, _, _),
            .composer(let context, let problem, _, _):
            return [context?.text, problem].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: " ")
        default:
            return "\(error)"
        }
    }
}

extension Node {
    /// The node as a YAML 1.1 boolean (`true`, `False`, `yes`, `off`, ...) when it is a plain
    /// scalar or one tagged `!!bool`; `nil` otherwise (a quoted `'true'` is text).
    var flag: Bool? {
        guard case .scalar(let scalar) = self, scalar.style == .plain || scalar.tag == Tag(.bool) else { return nil }
        switch scalar.string {
        case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON": return true
        case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF": return false
        default: return nil
        }
    }
}
