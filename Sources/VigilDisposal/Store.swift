internal import Foundation
internal import GRDB
internal import VigilCore

/// Opening Vigil's SQLite store (the ledger and the checklists share one file): its folder made
/// 0700 if missing, WAL mode, a busy timeout so concurrent writers wait for each other.
enum Store {
    static func open(_ path: String, synchronousFull: Bool = false, readOnly: Bool = false) throws -> DatabaseQueue {
        if readOnly {
            var configuration = Configuration()
            configuration.readonly = true
            configuration.busyMode = .timeout(30)
            do {
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch let error as DatabaseError {
                throw VigilError(
                    .unreadable, path: path, reason: "the store cannot be opened: \(error.message ?? "\(error)")")
            }
        }
        let folder = (path as NSString).deletingLastPathComponent
        if !folder.isEmpty && !FileManager.default.fileExists(atPath: folder) {
            try FileManager.default.createDirectory(
                atPath: folder, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        var configuration = Configuration()
        configuration.busyMode = .timeout(30)
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            try queue.writeWithoutTransaction { db in
                _ = try String.fetchOne(db, sql: "PRAGMA journal_mode = WAL")
                if synchronousFull { try db.execute(sql: "PRAGMA synchronous = FULL") }
            }
            return queue
        } catch let error as DatabaseError {
            throw VigilError(
                .unreadable, path: path, reason: "the store cannot be opened: \(error.message ?? "\(error)")")
        }
    }
}
