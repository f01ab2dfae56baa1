internal import Foundation
internal import GRDB
internal import VigilCore
public import VigilCrypto

/// The tamper-evident record of what was sanitized and what left: an append-only SQLite table
/// (through GRDB, WAL mode, every write one transaction) whose rows each hold a certificate or
/// a release, its signature, and the SHA-256 of the row before, so an edited, deleted, inserted
/// or reordered row breaks the chain where it happened.
///
/// A row's hash covers its number, kind, asset, time, the SHA-256 of its document and of its
/// signature, and the previous row's hash. Triggers refuse UPDATE and DELETE; someone who drops
/// them with the sqlite3 shell is caught by ``verify(authorities:)``. Deleting the newest rows
/// leaves a shorter valid chain: compare the head hash `vigil ledger verify` prints with one
/// kept elsewhere (a certificate's `previous_entry_sha256` is such a copy).
public final class Ledger: @unchecked Sendable {
    /// One row.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        /// `certificate` or `release`.
        public var kind: String
        public var asset: String
        public var created: String
        public var document: [UInt8]
        public var signature: [UInt8]
        public var previous: String
        public var hash: String
    }

    /// What `verify` found wrong, naming the row.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var entry: Int64
        public var reason: String
        public var description: String { "entry \(entry): \(reason)" }
    }

    public static let genesis = String(repeating: "0", count: 64)

    private let queue: DatabaseQueue
    public let path: String

    /// `$XDG_DATA_HOME/vigil/ledger.sqlite`, else `~/.local/share/vigil/ledger.sqlite`.
    public static var defaultPath: String {
        let environment = ProcessInfo.processInfo.environment
        let base =
            environment["XDG_DATA_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? (environment["HOME"] ?? NSHomeDirectory()) + "/.local/share"
        return base + "/vigil/ledger.sqlite"
    }

    /// Opens (creating it and its folder, 0700, if need be) the ledger at `path`.
    public init(path: String) throws {
        self.path = path
        do {
            queue = try Store.open(path, synchronousFull: true)
            try queue.write { db in
                try db.execute(
                    sql: """
                        CREATE TABLE IF NOT EXISTS entries (
                            id INTEGER PRIMARY KEY,
                            kind TEXT NOT NULL,
                            asset TEXT NOT NULL,
                            created TEXT NOT NULL,
                            document BLOB NOT NULL,
                            signature BLOB NOT NULL,
                            previous TEXT NOT NULL,
                            hash TEXT NOT NULL
                        );
                        CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
                            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                        CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
                            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                        CREATE TABLE IF NOT EXISTS assets (
                            tag TEXT PRIMARY KEY,
                            description TEXT NOT NULL,
                            owner TEXT NOT NULL,
                            drives TEXT NOT NULL
                        );
                        """)
            }
        } catch let error as DatabaseError {
            throw VigilError(
                .unreadable, path: path, reason: "the ledger cannot be opened: \(error.message ?? "\(error)")")
        }
    }

    /// The hash of a row from its parts.
    static func hash(
        id: Int64, kind: String, asset: String, created: String, document: [UInt8], signature: [UInt8], previous: String
    )
        throws -> String
    {
        let parts: CanonicalJSON = .object([
            "id": .int(id), "kind": .string(kind), "asset": .string(asset), "created": .string(created),
            "document_sha256": .string(try SHA256.hex(document)),
            "signature_sha256": .string(try SHA256.hex(signature)),
            "previous": .string(previous),
        ])
        return try SHA256.hex(parts.bytes)
    }

    /// Appends a row in one immediate transaction: `build` gets the hash of the row before
    /// (to put in the document it signs) and returns the document and its signature; it may
    /// write files. Nothing is appended if it throws; a kill at any moment leaves the ledger as
    /// it was or with the whole row.
    @discardableResult
    public func append(kind: String, asset: String, build: (String) throws -> (document: [UInt8], signature: [UInt8]))
        throws -> Entry
    {
        try queue.inTransaction(.immediate) { db in
            let last = try Row.fetchOne(db, sql: "SELECT id, hash FROM entries ORDER BY id DESC LIMIT 1")
            let previous: String = last?["hash"] ?? Self.genesis
            let id: Int64 = (last?["id"] ?? 0) + 1
            let (document, signature) = try build(previous)
            let created = Timestamp.now().wholeSeconds.iso8601
            let hash = try Self.hash(
                id: id, kind: kind, asset: asset, created: created, document: document, signature: signature,
                previous: previous)
            try db.execute(
                sql: """
                    INSERT INTO entries (id, kind, asset, created, document, signature, previous, hash)
                    VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                    """,
                arguments: [id, kind, asset, created, Data(document), Data(signature), previous, hash])
            return .commit
        }
        return try entries().last!
    }

    /// Every row, in order.
    public func entries() throws -> [Entry] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM entries ORDER BY id").map { row in
                Entry(
                    id: row["id"], kind: row["kind"], asset: row["asset"], created: row["created"],
                    document: Array(row["document"] as Data), signature: Array(row["signature"] as Data),
                    previous: row["previous"], hash: row["hash"])
            }
        }
    }

    /// An asset leaving the organisation: its tag, what it is, whose it is, and the serial
    /// numbers (or device paths) of its drives, each of which needs a certificate before sign-off.
    public struct Asset: Sendable, Equatable {
        public var tag: String
        public var description: String
        public var owner: String
        public var drives: [String]

        public init(tag: String, description: String, owner: String, drives: [String]) {
            self.tag = tag
            self.description = description
            self.owner = owner
            self.drives = drives
        }
    }

    /// Records an asset (or replaces what is recorded of one not yet released).
    public func register(_ asset: Asset) throws {
        try queue.write { db in
            let released =
                try Int.fetchOne(
                    db, sql: "SELECT COUNT(*) FROM entries WHERE kind = 'release' AND asset = ?", arguments: [asset.tag]
                ) ?? 0
            guard released == 0 else {
                throw VigilError(.usage, reason: "asset \(asset.tag) was already released: its record is final")
            }
            try db.execute(
                sql: "INSERT OR REPLACE INTO assets (tag, description, owner, drives) VALUES (?, ?, ?, ?)",
                arguments: [asset.tag, asset.description, asset.owner, asset.drives.joined(separator: "\n")])
        }
    }

    /// The asset recorded under `tag`, if any.
    public func asset(_ tag: String) throws -> Asset? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT * FROM assets WHERE tag = ?", arguments: [tag]).map { row in
                let drives: String = row["drives"]
                return Asset(
                    tag: row["tag"], description: row["description"], owner: row["owner"],
                    drives: drives.split(separator: "\n").map(String.init))
            }
        }
    }

    /// The hash of the newest row (the genesis hash for an empty ledger).
    public func head() throws -> String { try entries().last?.hash ?? Self.genesis }

    /// Walks the chain: each row's hash must match its content, follow the row before, carry
    /// a signature that verifies (against `authorities`, or by itself when none are given), and
    /// a certificate must name the row before in its `previous_entry_sha256`.
    public func verify(authorities: [Certificate] = []) throws -> [Problem] {
        let rows = try entries()
        var problems: [Problem] = []
        var expectedPrevious = Self.genesis
        var expectedID: Int64 = 1
        let byHash = Dictionary(rows.map { ($0.hash, $0.id) }, uniquingKeysWith: { first, _ in first })
        for row in rows {
            let recomputed = try Self.hash(
                id: row.id, kind: row.kind, asset: row.asset, created: row.created, document: row.document,
                signature: row.signature, previous: row.previous)
            if row.id > expectedID {
                problems.append(
                    Problem(
                        entry: row.id,
                        reason: row.id == expectedID + 1
                            ? "entry \(expectedID) before it was deleted"
                            : "entries \(expectedID) to \(row.id - 1) before it were deleted"))
            }
            if let other = byHash[row.hash], other != row.id {
                problems.append(Problem(entry: row.id, reason: "inserted: a copy of entry \(other)"))
            } else if recomputed != row.hash {
                // Its own content under another number: a row moved, not changed.
                let maximum = (rows.last?.id ?? 0) + 1
                let original = try (1...max(1, maximum)).first { number in
                    try Self.hash(
                        id: number, kind: row.kind, asset: row.asset, created: row.created, document: row.document,
                        signature: row.signature, previous: row.previous) == row.hash
                }
                if let original {
                    problems.append(Problem(entry: row.id, reason: "out of order: it was written as entry \(original)"))
                } else {
                    problems.append(Problem(entry: row.id, reason: "edited: its content no longer matches its hash"))
                }
            } else if row.previous != expectedPrevious && row.id <= expectedID {
                if let other = byHash[row.previous], other != row.id - 1 {
                    problems.append(
                        Problem(
                            entry: row.id,
                            reason: "out of order: it was written after entry \(other), not \(row.id - 1)"))
                } else {
                    problems.append(
                        Problem(
                            entry: row.id,
                            reason: "inserted, or the entry before it was replaced: the chain breaks here"))
                }
            }
            if (try? CMS.verify(row.signature, content: row.document, authorities: authorities)) == nil {
                problems.append(Problem(entry: row.id, reason: "its signature does not verify"))
            }
            if row.kind == "certificate", let document = CanonicalJSON.parse(row.document),
                document["previous_entry_sha256"]?.string != row.previous
            {
                problems.append(
                    Problem(entry: row.id, reason: "its certificate names another previous entry than the ledger's"))
            }
            expectedPrevious = row.hash
            expectedID = max(expectedID, row.id) + 1
        }
        return problems
    }
}
