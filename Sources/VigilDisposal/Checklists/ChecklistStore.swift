internal import Foundation
internal import GRDB
public import VigilCore

/// Breach-response checklists, stored in the same SQLite file as the ledger: the checklists,
/// their items, and every change with who made it and when. Each change is one immediate
/// transaction, so two people ticking items of one checklist at once lose nothing.
public final class ChecklistStore: @unchecked Sendable {
    /// One stored item.
    public struct Item: Sendable, Equatable {
        /// 1-based position in its checklist: the number `done` takes.
        public var number: Int
        public var itemID: String
        public var phase: ResponsePhase
        public var text: String
        public var role: String
        public var evidence: String?
        public var dependsOn: [Int]
        public var done: Bool
        public var by: String?
        public var at: String?
        public var note: String?
    }

    /// One checklist with its items.
    public struct Checklist: Sendable, Equatable {
        public var id: Int64
        public var title: String
        public var source: String
        public var created: String
        public var items: [Item]
    }

    /// One change: `done` or `reopen`, by whom, when, with what note.
    public struct Change: Sendable, Equatable {
        public var item: Int
        public var action: String
        public var by: String
        public var at: String
        public var note: String?
    }

    private let queue: DatabaseQueue
    public let path: String

    /// Opens the store at `path`. With `create` off, a store that does not exist is an error:
    /// commands that read or tick a checklist never make an empty store where they were sent.
    public init(path: String, create: Bool = true) throws {
        self.path = path
        if !create && !FileManager.default.fileExists(atPath: path) {
            throw VigilError(
                .unreadable, path: path, reason: "no checklist store here", remedy: .startOrNameAChecklistStore)
        }
        queue = try Store.open(path)
        try queue.write { db in
            try db.execute(
                sql: """
                    CREATE TABLE IF NOT EXISTS checklists (
                        id INTEGER PRIMARY KEY, title TEXT NOT NULL, source TEXT NOT NULL, created TEXT NOT NULL);
                    CREATE TABLE IF NOT EXISTS checklist_items (
                        checklist INTEGER NOT NULL, number INTEGER NOT NULL, item_id TEXT NOT NULL, phase TEXT NOT NULL,
                        text TEXT NOT NULL, role TEXT NOT NULL, evidence TEXT, depends_on TEXT NOT NULL,
                        done INTEGER NOT NULL DEFAULT 0, done_by TEXT, done_at TEXT, note TEXT,
                        PRIMARY KEY (checklist, number));
                    CREATE TABLE IF NOT EXISTS checklist_history (
                        id INTEGER PRIMARY KEY, checklist INTEGER NOT NULL, number INTEGER NOT NULL,
                        action TEXT NOT NULL, by TEXT NOT NULL, at TEXT NOT NULL, note TEXT);
                    """)
        }
    }

    /// Stores a new checklist; returns its id.
    public func create(title: String, source: String, items: [PlannedChecklistItem]) throws -> Int64 {
        try queue.inTransaction(.immediate) { db in
            try db.execute(
                sql: "INSERT INTO checklists (title, source, created) VALUES (?, ?, ?)",
                arguments: [title, source, Timestamp.now().wholeSeconds.iso8601])
            let id = db.lastInsertedRowID
            for (offset, item) in items.enumerated() {
                try db.execute(
                    sql: """
                        INSERT INTO checklist_items (checklist, number, item_id, phase, text, role, evidence, depends_on)
                        VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                        """,
                    arguments: [
                        id, offset + 1, item.itemID, item.phase.rawValue, item.text, item.role, item.evidence,
                        item.dependsOn.map { String($0 + 1) }.joined(separator: ","),
                    ])
            }
            return .commit
        }
        return try queue.read { db in try Int64.fetchOne(db, sql: "SELECT MAX(id) FROM checklists") ?? 0 }
    }

    /// Every checklist, newest last.
    public func list() throws -> [Checklist] {
        try queue.read { db in try Int64.fetchAll(db, sql: "SELECT id FROM checklists ORDER BY id") }.compactMap {
            try checklist($0)
        }
    }

    /// Checklist `id`, with its items; `nil` when there is none.
    public func checklist(_ id: Int64) throws -> Checklist? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT * FROM checklists WHERE id = ?", arguments: [id]) else {
                return nil
            }
            let items = try Row.fetchAll(
                db, sql: "SELECT * FROM checklist_items WHERE checklist = ? ORDER BY number", arguments: [id]
            ).map { item in
                let dependencies: String = item["depends_on"]
                return Item(
                    number: item["number"], itemID: item["item_id"],
                    phase: ResponsePhase(rawValue: item["phase"]) ?? .declare, text: item["text"], role: item["role"],
                    evidence: item["evidence"], dependsOn: dependencies.split(separator: ",").compactMap { Int($0) },
                    done: (item["done"] as Int) == 1, by: item["done_by"], at: item["done_at"], note: item["note"])
            }
            return Checklist(id: id, title: row["title"], source: row["source"], created: row["created"], items: items)
        }
    }

    /// Every change made to checklist `id`, oldest first: who, when, which item, done or reopened.
    public func history(_ id: Int64) throws -> [Change] {
        try queue.read { db in
            try Row.fetchAll(
                db, sql: "SELECT * FROM checklist_history WHERE checklist = ? ORDER BY id", arguments: [id]
            )
            .map { Change(item: $0["number"], action: $0["action"], by: $0["by"], at: $0["at"], note: $0["note"]) }
        }
    }

    /// Marks item `number` done by `by`, in one transaction with its history line.
    ///
    /// - Throws: ``VigilError`` for an unknown checklist or item, an item already done, or one
    ///   whose dependencies are still open.
    public func markDone(_ id: Int64, item number: Int, by: String, note: String?) throws {
        try change(id, item: number, by: by, note: note, done: true)
    }

    /// Opens item `number` again (a step found not finished after all).
    public func reopen(_ id: Int64, item number: Int, by: String, note: String?) throws {
        try change(id, item: number, by: by, note: note, done: false)
    }

    private func change(_ id: Int64, item number: Int, by: String, note: String?, done: Bool) throws {
        guard !by.trimmingCharacters(in: .whitespaces).isEmpty else {
            throw VigilError(.usage, reason: "who did it is not named")
        }
        try queue.inTransaction(.immediate) { db in
            guard
                let row = try Row.fetchOne(
                    db, sql: "SELECT done, depends_on FROM checklist_items WHERE checklist = ? AND number = ?",
                    arguments: [id, number])
            else {
                throw VigilError(.usage, reason: "checklist \(id) has no item \(number)")
            }
            let isDone = (row["done"] as Int) == 1
            if done && isDone { throw VigilError(.usage, reason: "item \(number) of checklist \(id) is already done") }
            if !done && !isDone { throw VigilError(.usage, reason: "item \(number) of checklist \(id) is open") }
            if done {
                let dependencies: String = row["depends_on"]
                for dependency in dependencies.split(separator: ",").compactMap({ Int($0) }) {
                    let finished =
                        try Int.fetchOne(
                            db, sql: "SELECT done FROM checklist_items WHERE checklist = ? AND number = ?",
                            arguments: [id, dependency]) ?? 0
                    if finished == 0 {
                        throw VigilError(
                            .usage, reason: "item \(number) waits for item \(dependency), which is still open")
                    }
                }
            }
            let at = Timestamp.now().iso8601
            try db.execute(
                sql:
                    "UPDATE checklist_items SET done = ?, done_by = ?, done_at = ?, note = ? WHERE checklist = ? AND number = ?",
                arguments: [done ? 1 : 0, done ? by : nil, done ? at : nil, note, id, number])
            try db.execute(
                sql:
                    "INSERT INTO checklist_history (checklist, number, action, by, at, note) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [id, number, done ? "done" : "reopen", by, at, note])
            return .commit
        }
    }
}
