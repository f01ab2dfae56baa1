import Foundation
import Testing
import VigilCore
import VigilLogs
import VigilTestSupport

@testable import VigilAudit
@testable import VigilRules

/// A correlation keeps its evidence by reference and writes it when the finding is reported,
/// reading the line again: the summary must be that of the line that was read, or say that it
/// is gone, never another line's. (An input that cannot be read again, standard input, has its
/// evidence written at once: `HonestAuditTests`.)
@Suite("Evidence read again")
struct EvidenceRereadTests {
    static let lines = (0..<4).map {
        "2025-11-21T02:11:5\($0).000000+00:00 files sshd[40\($0)]: Failed password for root from 198.51.100.2\($0) port 4001\($0) ssh2"
    }

    /// The references a correlation would keep for the failures of `path`, and the file as the
    /// audit found it.
    static func references(_ path: String) throws -> ([EvidenceReference], InputFile) {
        var references: [EvidenceReference] = []
        _ = try LogReader(options: LogOptions(zone: .utc)).read(path: path) { event in
            if event.kind == .authFailure { references.append(EvidenceReference(event)) }
        }
        let entry = try #require(InputCollector().collect([path]).first)
        guard case .read(let file) = entry.status else { throw VigilError(.unreadable, path: path, reason: "not read") }
        return (references, file)
    }

    @Test func theLineReadIsTheLineShownOrNone() throws {
        let folder = try TestPaths.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("auth.log").path
        try (Self.lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let (references, file) = try Self.references(path)
        #expect(references.count == 4 && references.allSatisfy { $0.summary == nil && $0.source.offset >= 0 })
        let summaries = Audit.summaries(of: Set(references), files: [file], logOptions: LogOptions(zone: .utc))
        for (index, reference) in references.enumerated() {
            #expect(summaries[reference]?.contains("src.ip=198.51.100.2\(index)") == true)
        }
        // The log rewritten since (same lengths, other addresses): no summary of the new lines.
        let rewritten = Self.lines.map { $0.replacingOccurrences(of: "198.51.100.", with: "203.0.113.") }
        try (rewritten.joined(separator: "\n") + "\n").write(toFile: path, atomically: false, encoding: .utf8)
        let after = Audit.summaries(of: Set(references), files: [file], logOptions: LogOptions(zone: .utc))
        for reference in references {
            #expect(after[reference]?.contains("203.0.113.") == false)
            #expect(after[reference]?.contains("the log changed since") == true)
        }
    }
}
