internal import Foundation
public import VigilCore
internal import Yams

/// The checklist templates under a rules folder's `checklists/`, and every item they define by
/// id (the same id in two templates must mean the same step; the first definition is kept).
public struct ChecklistLibrary: Sendable {
    public var templates: [ChecklistTemplate]
    public var items: [String: ChecklistTemplateItem]

    /// A library of `templates`.
    public init(templates: [ChecklistTemplate]) {
        self.templates = templates
        var items: [String: ChecklistTemplateItem] = [:]
        for template in templates {
            for item in template.items where items[item.id] == nil { items[item.id] = item }
        }
        self.items = items
    }

    /// Reads every `*.yml` in `folder`.
    ///
    /// - Throws: ``VigilError`` naming the file and line of a malformed template, an unknown
    ///   phase, or a dependency on an item no template defines.
    public static func load(folder: String) throws -> ChecklistLibrary {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: folder) else {
            throw VigilError(.unreadable, path: folder, reason: "no checklist templates here")
        }
        var templates: [ChecklistTemplate] = []
        for name in names.sorted() where name.hasSuffix(".yml") || name.hasSuffix(".yaml") {
            let path = (folder as NSString).appendingPathComponent(name)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw VigilError(.unreadable, path: path, reason: "cannot read the template")
            }
            templates.append(try template(String(decoding: data, as: UTF8.self), path: path))
        }
        let library = ChecklistLibrary(templates: templates)
        for template in templates {
            for item in template.items {
                for dependency in item.dependsOn where library.items[dependency] == nil {
                    throw VigilError(
                        .invalidRule, path: folder,
                        reason:
                            "item '\(item.id)' of '\(template.id)' depends on '\(dependency)', which no template defines"
                    )
                }
            }
        }
        return library
    }

    static func template(_ text: String, path: String) throws -> ChecklistTemplate {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch {
            throw VigilError(.invalidRule, path: path, reason: "not valid YAML: \(error)")
        }
        guard let node, let id = node["checklist"]?.string, let title = node["title"]?.string,
            case .sequence(let list)? = node["items"]
        else {
            throw VigilError(
                .invalidRule, path: path, position: .line(1),
                reason: "a template needs 'checklist', 'title' and 'items'")
        }
        var items: [ChecklistTemplateItem] = []
        for entry in list {
            let line = (entry.mark?.line).map(VigilError.Position.line)
            guard let itemID = entry["id"]?.string, let text = entry["text"]?.string, let role = entry["role"]?.string
            else {
                throw VigilError(
                    .invalidRule, path: path, position: line, reason: "an item needs 'id', 'text' and 'role'")
            }
            guard let phaseName = entry["phase"]?.string, let phase = ResponsePhase(rawValue: phaseName) else {
                throw VigilError(
                    .invalidRule, path: path, position: line,
                    reason:
                        "item '\(itemID)': phase is not one of \(ResponsePhase.allCases.map(\.rawValue).joined(separator: ", "))"
                )
            }
            var dependsOn: [String] = []
            if case .sequence(let dependencies)? = entry["depends_on"] { dependsOn = dependencies.compactMap(\.string) }
            items.append(
                ChecklistTemplateItem(
                    id: itemID, phase: phase, text: text, role: role, dependsOn: dependsOn,
                    evidence: entry["evidence"]?.string))
        }
        return ChecklistTemplate(id: id, title: title, description: node["description"]?.string, items: items)
    }
}
