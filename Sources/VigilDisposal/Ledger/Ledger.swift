internal import Foundation
internal import GRDB
internal import VigilCore
public import VigilCrypto

/// The tamper-evident record of what was sanitized and what left: an append-only SQLite table
/// (through GRDB, WAL mode, synchronous writes) whose rows each hold a signed document (the
/// organisation's CA pinned, an asset's drives, a certificate of sanitization, a release), its
/// CMS signature, an optional RFC 3161 token, and the SHA-256 of the row before, so an edited,
/// deleted, inserted or reordered row breaks the chain where it happened.
///
/// Every write goes through ``write(_:)``: one immediate (write-locked) transaction that reads
/// the chain, lets the caller check it, and appends, so two processes never both act on the
/// same state. What the chain means (the pinned CA, assets, releases) is ``LedgerHistory``.
public final class Ledger: @unchecked Sendable {
    // @unchecked: the only stored state is GRDB's DatabaseQueue, which serialises every access.

    /// One row.
    public struct Entry: Sendable, Equatable {
        public var id: Int64
        public var kind: Kind
        /// The asset's tag (empty for entries about the ledger itself).
        public var asset: String
        /// When it was written: `2026-11-28T10:00:00Z`.
        public var created: String
        public var document: [UInt8]
        /// Detached CMS signature (DER) of `document`.
        public var signature: [UInt8]
        /// RFC 3161 token over `signature`, when one was asked for.
        public var timestamp: [UInt8]?
        public var previous: String
        public var hash: String

        /// `document` parsed, `nil` if it is not canonical JSON.
        public var json: CanonicalJSON? { CanonicalJSON.parse(document) }
    }

    /// What a row records.
    public enum Kind: Sendable, Hashable, CustomStringConvertible {
        /// The organisation's CA, pinned by the first entry written under it.
        case authority
        /// A new CA, signed with the old CA's key.
        case authorityChange
        /// An asset's description and drives (the first record, or a change).
        case asset
        /// A certificate of sanitization.
        case certificate
        /// The release of an asset.
        case release
        /// A kind this version does not know (a newer Vigil, or tampering).
        case unknown(String)

        /// The spelling stored in the ledger.
        public var rawValue: String {
            switch self {
            case .authority: "ca"
            case .authorityChange: "ca-change"
            case .asset: "asset"
            case .certificate: "certificate"
            case .release: "release"
            case .unknown(let name): name
            }
        }

        /// The kind stored as `rawValue`.
        public init(rawValue: String) {
            switch rawValue {
            case "ca": self = .authority
            case "ca-change": self = .authorityChange
            case "asset": self = .asset
            case "certificate": self = .certificate
            case "release": self = .release
            default: self = .unknown(rawValue)
            }
        }

        public var description: String { rawValue }
    }

    /// What `verify` found wrong, naming the row.
    public struct Problem: Sendable, Equatable, CustomStringConvertible {
        public var entry: Int64
        public var reason: String
        /// A problem with ledger entry `entry`.
        public init(entry: Int64, reason: String) {
            self.entry = entry
            self.reason = reason
        }
        public var description: String { "entry \(entry): \(reason)" }
    }

    /// The previous hash of the first row.
    public static let genesis = String(repeating: "0", count: 64)

    private let queue: DatabaseQueue
    public let path: String

    /// `$XDG_DATA_HOME/vigil/ledger.sqlite`, else `~/.local/share/vigil/ledger.sqlite`.
    public static var defaultPath: String { DataFolder.path + "/ledger.sqlite" }

    /// How a ledger is opened.
    public enum Access: Sendable {
        /// Reading only: the file must exist and is never changed (an auditor's copy, read-only
        /// media).
        case read
        /// Reading and appending: the file (and its folder, 0700) is created if missing.
        case write
    }

    /// Opens the ledger at `path`.
    ///
    /// A ledger of Vigil 0.1 opens as it is: for writing, its `timestamp` column is added; its
    /// rows keep their hashes, and its old `assets` table is left in place but no longer trusted.
    ///
    /// - Throws: ``VigilError`` (`unreadable`) when there is no ledger to read, or SQLite cannot
    ///   open it.
    public init(path: String, access: Access = .write) throws {
        self.path = path
        if access == .read {
            guard FileManager.default.fileExists(atPath: path) else {
                throw VigilError(.unreadable, path: path, reason: "no ledger here yet")
            }
            queue = try Store.open(path, readOnly: true)
            return
        }
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
                            hash TEXT NOT NULL,
                            timestamp BLOB
                        );
                        CREATE TRIGGER IF NOT EXISTS entries_no_update BEFORE UPDATE ON entries
                            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                        CREATE TRIGGER IF NOT EXISTS entries_no_delete BEFORE DELETE ON entries
                            BEGIN SELECT RAISE(ABORT, 'the ledger is append-only'); END;
                        """)
                let columns = try Row.fetchAll(db, sql: "PRAGMA table_info(entries)").map { $0["name"] as String }
                if !columns.contains("timestamp") {
                    try db.execute(sql: "ALTER TABLE entries ADD COLUMN timestamp BLOB")
                }
            }
        } catch let error as DatabaseError {
            throw VigilError(
                .unreadable, path: path, reason: "the ledger cannot be opened: \(error.message ?? "\(error)")")
        }
    }

    /// The hash of a row from its parts. A row without a timestamp hashes as in Vigil 0.1.
    static func hash(
        id: Int64, kind: String, asset: String, created: String, document: [UInt8], signature: [UInt8],
        timestamp: [UInt8]? = nil, previous: String
    ) throws -> String {
        var parts: [String: CanonicalJSON] = [
            "id": .int(id), "kind": .string(kind), "asset": .string(asset), "created": .string(created),
            "document_sha256": .string(try SHA256.hex(document)),
            "signature_sha256": .string(try SHA256.hex(signature)),
            "previous": .string(previous),
        ]
        if let timestamp { parts["timestamp_sha256"] = .string(try SHA256.hex(timestamp)) }
        return try SHA256.hex(CanonicalJSON.object(parts).bytes)
    }

    /// Every row, in order.
    public func entries() throws -> [Entry] { try queue.read { db in try Self.fetchEntries(db) } }

    static func fetchEntries(_ db: Database) throws -> [Entry] {
        try Row.fetchAll(db, sql: "SELECT * FROM entries ORDER BY id").map { row in
            Entry(
                id: row["id"], kind: Kind(rawValue: row["kind"]), asset: row["asset"], created: row["created"],
                document: Array(row["document"] as Data), signature: Array(row["signature"] as Data),
                timestamp: (row["timestamp"] as Data?).map(Array.init), previous: row["previous"], hash: row["hash"])
        }
    }

    /// The hash of the newest row (the genesis hash for an empty ledger) and the number of rows.
    public func head() throws -> (hash: String, count: Int) {
        let all = try entries()
        return (all.last?.hash ?? Self.genesis, all.count)
    }

    /// Runs `body` in one immediate transaction: the chain as it is once the write lock is held,
    /// and appends that commit together or not at all. Throwing from `body` appends nothing.
    public func write<T>(_ body: (inout LedgerTransaction) throws -> T) throws -> T {
        var result: T?
        do {
            try queue.inTransaction(.immediate) { db in
                var transaction = LedgerTransaction(db: db, entries: try Self.fetchEntries(db))
                result = try body(&transaction)
                return .commit
            }
        } catch let error as DatabaseError {
            throw VigilError(
                .output, path: path, reason: "the ledger refused the write: \(error.message ?? "\(error)")")
        }
        return result!
    }

    /// Assets recorded by Vigil 0.1 in its `assets` table, outside the chain: no longer trusted,
    /// named so a sign-off can say what to do.
    public func legacyAssetTags() throws -> Set<String> {
        try queue.read { db in
            guard try db.tableExists("assets") else { return [] }
            return Set(try String.fetchAll(db, sql: "SELECT tag FROM assets"))
        }
    }

    /// Walks the chain (see ``LedgerHistory``) and returns what is wrong with it.
    public func verify(authorities: [Certificate] = []) throws -> [Problem] {
        LedgerHistory(entries: try entries(), trusted: authorities).problems
    }
}

/// The chain inside one write transaction of ``Ledger/write(_:)``.
public struct LedgerTransaction {
    let db: Database
    /// Every row, as read once the write lock was held, and the rows appended since.
    public private(set) var entries: [Ledger.Entry]

    init(db: Database, entries: [Ledger.Entry]) {
        self.db = db
        self.entries = entries
    }

    /// The hash the next row will name as its previous.
    public var head: String { entries.last?.hash ?? Ledger.genesis }

    /// A document with its signature and, optionally, a timestamp token over the signature.
    public struct Signed: Sendable {
        public var document: [UInt8]
        public var signature: [UInt8]
        public var timestamp: [UInt8]?
        /// A signed document, its detached CMS signature and, when stamped, the TSA's token.
        public init(document: [UInt8], signature: [UInt8], timestamp: [UInt8]? = nil) {
            self.document = document
            self.signature = signature
            self.timestamp = timestamp
        }
    }

    /// Appends a row: `build` gets the previous row's hash (for the document it signs).
    @discardableResult
    public mutating func append(_ kind: Ledger.Kind, asset: String, build: (String) throws -> Signed) throws
        -> Ledger.Entry
    {
        let previous = head
        let id = (entries.last?.id ?? 0) + 1
        let signed = try build(previous)
        let created = Timestamp.now().wholeSeconds.iso8601
        let hash = try Ledger.hash(
            id: id, kind: kind.rawValue, asset: asset, created: created, document: signed.document,
            signature: signed.signature, timestamp: signed.timestamp, previous: previous)
        try db.execute(
            sql: """
                INSERT INTO entries (id, kind, asset, created, document, signature, previous, hash, timestamp)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """,
            arguments: [
                id, kind.rawValue, asset, created, Data(signed.document), Data(signed.signature), previous, hash,
                signed.timestamp.map { Data($0) },
            ])
        let entry = Ledger.Entry(
            id: id, kind: kind, asset: asset, created: created, document: signed.document,
            signature: signed.signature, timestamp: signed.timestamp, previous: previous, hash: hash)
        entries.append(entry)
        return entry
    }
}
