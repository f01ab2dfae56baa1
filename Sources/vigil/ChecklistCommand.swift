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

        /// The store; one that does not exist is made only by the commands that start a checklist.
        func open(create: Bool = false) throws -> ChecklistStore {
            try ChecklistStore(path: store ?? Ledger.defaultPath, create: create)
        }

        func library() throws -> ChecklistLibrary {
            let folder =
                try rules
                ?? ShippedRules.defaultRuleFolders().first.unwrap(
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
            let store = try common.open(create: true)
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
            let store = try common.open(create: true)
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
                    "\(checklist.id)\t\(done)/\(checklist.items.count) done\t\(checklist.created)\t\(Printable.visible(checklist.title))"
                )
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

    /// What `done` and `reopen` take: which item, who, and a note.
    struct ItemChange: ParsableArguments {
        @Argument(help: "The checklist's number.") var id: Int64
        @Argument(help: "The item's number.") var item: Int
        @Option(name: .long, help: "Who did it (or reopens it).") var by: String
        @Option(name: .long, help: "A note for the record (why, for a reopening).") var note: String?
        @OptionGroup var common: Common

        func validate() throws {
            guard !by.trimmingCharacters(in: .whitespaces).isEmpty else {
                throw ValidationError("--by names who did it")
            }
        }

        /// Records the change (`done` or not) and says so.
        func record(done: Bool) throws {
            let store = try common.open()
            if done {
                try store.markDone(id, item: item, by: by, note: note)
            } else {
                try store.reopen(id, item: item, by: by, note: note)
            }
            print("checklist \(id), item \(item): \(done ? "done" : "reopened") by \(Printable.visible(by))")
        }
    }

    struct Done: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Mark an item done, saying who did it.")
        @OptionGroup var change: ItemChange

        func run() throws { try change.record(done: true) }
    }

    struct Reopen: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open an item again, saying who and why.")
        @OptionGroup var change: ItemChange

        func run() throws { try change.record(done: false) }
    }
}

extension Optional {
    /// The value, or `error` thrown when there is none.
    func unwrap(_ error: @autoclosure () -> VigilError) throws -> Wrapped {
        guard let self else { throw error() }
        return self
    }
}
