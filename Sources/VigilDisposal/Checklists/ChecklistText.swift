internal import Foundation
internal import VigilCore

/// A checklist for people: by phase, progress per phase, each item with its state.
public enum ChecklistText {
    /// The checklist as text, every value from a person or a report shown safely.
    public static func render(_ checklist: ChecklistStore.Checklist, history: [ChecklistStore.Change]) -> String {
        let done = checklist.items.filter(\.done).count
        var out =
            "Checklist \(checklist.id): \(v(checklist.title))\nstarted \(checklist.created) from \(v(checklist.source)); \(done)/\(checklist.items.count) done\n"
        for phase in ResponsePhase.allCases {
            let items = checklist.items.filter { $0.phase == phase }
            guard !items.isEmpty else { continue }
            out += "\n\(phase.title) (\(items.filter(\.done).count)/\(items.count))\n"
            for item in items {
                out += "  [\(item.done ? "x" : " ")] \(item.number). \(v(item.text))\n"
                var details = [v(item.role)]
                if !item.dependsOn.isEmpty {
                    details.append("after \(item.dependsOn.map(String.init).joined(separator: ", "))")
                }
                if let evidence = item.evidence { details.append("keep: \(v(evidence))") }
                if item.done { details.append("done by \(v(item.by ?? "?")) at \(item.at ?? "?")") }
                if let note = item.note { details.append("note: \(v(note))") }
                out += "       " + details.joined(separator: "; ") + "\n"
            }
        }
        if !history.isEmpty {
            out += "\nHistory\n"
            for change in history {
                out +=
                    "  \(change.at)  item \(change.item) \(change.action) by \(v(change.by))"
                    + (change.note.map { ": \(v($0))" } ?? "") + "\n"
            }
        }
        return out.trimmingCharacters(in: .newlines)
    }

    /// The checklist as Markdown.
    public static func markdown(_ checklist: ChecklistStore.Checklist, history: [ChecklistStore.Change]) -> String {
        let done = checklist.items.filter(\.done).count
        var out =
            "# Checklist \(checklist.id): \(md(checklist.title))\n\nStarted \(checklist.created) from \(Printable.markdownCode(checklist.source)); \(done)/\(checklist.items.count) done.\n"
        for phase in ResponsePhase.allCases {
            let items = checklist.items.filter { $0.phase == phase }
            guard !items.isEmpty else { continue }
            out += "\n## \(phase.title) (\(items.filter(\.done).count)/\(items.count))\n\n"
            for item in items {
                out += "- [\(item.done ? "x" : " ")] **\(item.number).** \(md(item.text)) — *\(md(item.role))*"
                if item.done { out += " — done by \(md(item.by ?? "?")) at \(md(item.at ?? "?"))" }
                if let note = item.note { out += " — \(md(note))" }
                out += "\n"
            }
        }
        if !history.isEmpty {
            out += "\n## History\n\n| time | item | action | by | note |\n|---|---|---|---|---|\n"
            for change in history {
                out +=
                    "| \(md(change.at)) | \(change.item) | \(md(change.action)) | \(md(change.by)) | \(md(change.note ?? "")) |\n"
            }
        }
        return out
    }

    /// The checklist as one HTML page.
    public static func html(_ checklist: ChecklistStore.Checklist, history: [ChecklistStore.Change]) -> String {
        func escape(_ text: String) -> String { Printable.html(text) }
        let done = checklist.items.filter(\.done).count
        var out = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>Checklist \(checklist.id)</title>
            <style>body{font:15px/1.5 system-ui,sans-serif;max-width:60em;margin:2em auto;padding:0 1em}
            li{margin:.3em 0}.done{color:#255b2a}.meta{color:#555;font-size:.9em}table{border-collapse:collapse}
            td,th{border-bottom:1px solid #ddd;padding:.2em .5em;text-align:left}@media print{@page{size:A4;margin:15mm}}</style>
            </head><body><h1>Checklist \(checklist.id): \(escape(checklist.title))</h1>
            <p class="meta">Started \(escape(checklist.created)) from \(escape(checklist.source)); \(done)/\(checklist.items.count) done.</p>

            """
        for phase in ResponsePhase.allCases {
            let items = checklist.items.filter { $0.phase == phase }
            guard !items.isEmpty else { continue }
            out += "<h2>\(phase.title) (\(items.filter(\.done).count)/\(items.count))</h2><ol>\n"
            for item in items {
                out +=
                    "<li value=\"\(item.number)\" class=\"\(item.done ? "done" : "open")\">\(item.done ? "☑ DONE" : "☐ OPEN") \(escape(item.text)) <span class=\"meta\">(\(escape(item.role))"
                if item.done { out += "; done by \(escape(item.by ?? "?")) at \(escape(item.at ?? "?"))" }
                out += ")</span></li>\n"
            }
            out += "</ol>\n"
        }
        if !history.isEmpty {
            out += "<h2>History</h2><table><tr><th>Time</th><th>Item</th><th>Action</th><th>By</th><th>Note</th></tr>\n"
            for change in history {
                out +=
                    "<tr><td>\(escape(change.at))</td><td>\(change.item)</td><td>\(escape(change.action))</td><td>\(escape(change.by))</td><td>\(escape(change.note ?? ""))</td></tr>\n"
            }
            out += "</table>\n"
        }
        return out + "</body></html>\n"
    }

    private static func v(_ text: String) -> String { Printable.visible(text) }
    private static func md(_ text: String) -> String { Printable.markdown(text) }
}
