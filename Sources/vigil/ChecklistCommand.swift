import ArgumentParser
import Foundation
import VigilAudit
import VigilCore
import VigilDisposal
import VigilReport
import VigilRules

/// `vigil checklist breach|new|list|show|done|reopen`
struct ChecklistCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "checklist",
        abstract: "Breach-response checklists, made from a report's findings and tracked to done.",
        subcommands: [Breach.self, New.self, List.self, Show.self, Done.self, Reopen.self])

    struct Common: ParsableArguments {
        @Option(name: .long, help: "The store (default: ~/.local/share/vigil/ledger.sqlite, shared with the ledger).")
        var store: String?

        @Option(
            name: .long, help: "The rules folder whose checklists/ holds the templates (default: the shipped rules/).")
        var rules: String?

        func open() throws -> ChecklistStore { try ChecklistStore(path: store ?? Ledger.defaultPath) }

        func library() throws -> ChecklistLibrary {
            let folder =
                try rules
                ?? RuleLocator.defaultRuleFolders(executable: CommandLine.arguments[0]).first.unwrap(
                    VigilError(.usage, reason: "no rule folder found", hint: "pass --rules DIR or set VIGIL_RULES"))
            return try ChecklistLibrary.load(folder: (folder as NSString).appendingPathComponent("checklists"))
        }
    }

    struct Breach: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start the checklist a report's findings call for (their checklist ids, subjects filled in).")
        @Option(name: .long, help: "A JSON report (vigil audit --format json).") var from: String
        @Option(name: .long, help: "A title (default: from the report).") var title: String?
        @OptionGroup var common: Common

        func run() throws {
            guard let data = FileManager.default.contents(atPath: from) else {
                throw VigilError(.unreadable, path: from, reason: "cannot read the report")
            }
            let findings = try ChecklistBuilder.findings(reportJSON: Array(data), path: from)
            let library = try common.library()
            let (items, unknown) = ChecklistBuilder.plan(findings: findings, items: library.items)
            for id in unknown { Terminal.warn("no checklist template defines item '\(id)'") }
            guard !items.isEmpty else {
                print("no checklist: the report's findings call for no checklist item")
                return
            }
            let store = try common.open()
            let id = try store.create(
                title: title
                    ?? "Breach response: \(findings.count) finding(s) from \((from as NSString).lastPathComponent)",
                source: from, items: items)
            print("checklist \(id): \(items.count) item(s) from \(findings.count) finding(s)")
            if let checklist = try store.checklist(id) { print(ChecklistText.render(checklist, history: [])) }
        }
    }

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Start a checklist from a template, without findings.")
        @Argument(
            help:
                "The template (credential-exposure, brute-force-compromise, unmanaged-device, disposed-asset-seen, malware-ransomware, lost-stolen-device, generic-breach)."
        )
        var template: String
        @OptionGroup var common: Common

        func run() throws {
            let library = try common.library()
            guard let chosen = library.templates.first(where: { $0.id == template }) else {
                throw VigilError(
                    .usage, reason: "no template '\(template)'",
                    hint: library.templates.map(\.id).joined(separator: ", "))
            }
            let items = ChecklistBuilder.plan(template: chosen, items: library.items)
            let store = try common.open()
            let id = try store.create(title: chosen.title, source: "template \(chosen.id)", items: items)
            print("checklist \(id): \(chosen.title), \(items.count) item(s)")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One line per checklist: progress and title.")
        @OptionGroup var common: Common

        func run() throws {
            for checklist in try common.open().list() {
                let done = checklist.items.filter(\.done).count
                print(
                    "\(checklist.id)\t\(done)/\(checklist.items.count) done\t\(checklist.created)\t\(checklist.title)")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "A checklist by phase, with progress and history; as text, Markdown or HTML for the incident record.")
        enum Format: String, ExpressibleByArgument { case text, md, html }
        @Argument(help: "The checklist's number.") var id: Int64
        @Option(name: .long, help: "text (default), md or html.") var format: Format = .text
        @Option(name: .long, help: "Write to this file instead of standard output.") var output: String?
        @OptionGroup var common: Common

        func run() throws {
            let store = try common.open()
            guard let checklist = try store.checklist(id) else {
                throw VigilError(.usage, reason: "no checklist \(id)")
            }
            let history = try store.history(id)
            let text: String
            switch format {
            case .text: text = ChecklistText.render(checklist, history: history) + "\n"
            case .md: text = ChecklistText.markdown(checklist, history: history)
            case .html: text = ChecklistText.html(checklist, history: history)
            }
            try Output.write(text, to: output)
        }
    }

    struct Done: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an item done, saying who did it.")
        @Argument(help: "The checklist's number.") var id: Int64
        @Argument(help: "The item's number.") var item: Int
        @Option(name: .long, help: "Who did it.") var by: String
        @Option(name: .long, help: "A note for the record.") var note: String?
        @OptionGroup var common: Common

        func run() throws {
            try common.open().markDone(id, item: item, by: by, note: note)
            print("checklist \(id), item \(item): done by \(by)")
        }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open an item again, saying who and why.")
        @Argument(help: "The checklist's number.") var id: Int64
        @Argument(help: "The item's number.") var item: Int
        @Option(name: .long, help: "Who reopens it.") var by: String
        @Option(name: .long, help: "Why.") var note: String?
        @OptionGroup var common: Common

        func run() throws {
            try common.open().reopen(id, item: item, by: by, note: note)
            print("checklist \(id), item \(item): reopened by \(by)")
        }
    }
}

extension Optional {
    func unwrap(_ error: @autoclosure () -> VigilError) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}

/// A checklist for people: by phase, progress per phase, each item with its state.
enum ChecklistText {
    static func render(_ checklist: ChecklistStore.Checklist, history: [ChecklistStore.Change]) -> String {
        let done = checklist.items.filter(\.done).count
        var out =
            "Checklist \(checklist.id): \(checklist.title)\nstarted \(checklist.created) from \(checklist.source); \(done)/\(checklist.items.count) done\n"
        for phase in ResponsePhase.allCases {
            let items = checklist.items.filter { $0.phase == phase }
            guard !items.isEmpty else { continue }
            out += "\n\(phase.title) (\(items.filter(\.done).count)/\(items.count))\n"
            for item in items {
                out += "  [\(item.done ? "x" : " ")] \(item.number). \(item.text)\n"
                var details = ["\(item.role)"]
                if !item.dependsOn.isEmpty {
                    details.append("after \(item.dependsOn.map(String.init).joined(separator: ", "))")
                }
                if let evidence = item.evidence { details.append("keep: \(evidence)") }
                if item.done { details.append("done by \(item.by ?? "?") at \(item.at ?? "?")") }
                if let note = item.note { details.append("note: \(note)") }
                out += "       " + details.joined(separator: "; ") + "\n"
            }
        }
        if !history.isEmpty {
            out += "\nHistory\n"
            for change in history {
                out +=
                    "  \(change.at)  item \(change.item) \(change.action) by \(change.by)"
                    + (change.note.map { ": \($0)" } ?? "") + "\n"
            }
        }
        return out.trimmingCharacters(in: .newlines)
    }

    static func markdown(_ checklist: ChecklistStore.Checklist, history: [ChecklistStore.Change]) -> String {
        let done = checklist.items.filter(\.done).count
        var out =
            "# Checklist \(checklist.id): \(checklist.title)\n\nStarted \(checklist.created) from `\(checklist.source)`; \(done)/\(checklist.items.count) done.\n"
        for phase in ResponsePhase.allCases {
            let items = checklist.items.filter { $0.phase == phase }
            guard !items.isEmpty else { continue }
            out += "\n## \(phase.title) (\(items.filter(\.done).count)/\(items.count))\n\n"
            for item in items {
                out += "- [\(item.done ? "x" : " ")] **\(item.number).** \(item.text) — *\(item.role)*"
                if item.done { out += " — done by \(item.by ?? "?") at \(item.at ?? "?")" }
                if let note = item.note { out += " — \(note)" }
                out += "\n"
            }
        }
        if !history.isEmpty {
            out += "\n## History\n\n| time | item | action | by | note |\n|---|---|---|---|---|\n"
            for change in history {
                out += "| \(change.at) | \(change.item) | \(change.action) | \(change.by) | \(change.note ?? "") |\n"
            }
        }
        return out
    }

    static func html(_ checklist: ChecklistStore.Checklist, history: [ChecklistStore.Change]) -> String {
        func escape(_ text: String) -> String { HTMLReport.escape(text) }
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
                    "<tr><td>\(escape(change.at))</td><td>\(change.item)</td><td>\(change.action)</td><td>\(escape(change.by))</td><td>\(escape(change.note ?? ""))</td></tr>\n"
            }
            out += "</table>\n"
        }
        return out + "</body></html>\n"
    }
}
