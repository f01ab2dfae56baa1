import FuzzSupport
import VigilDisposal

/// An nwipe log through the importer that turns it into a certificate's wipe record, and the
/// method check on what it found.
enum Harness {
    static func run(_ input: FuzzBytes) {
        guard let log = try? NwipeLog(bytes: input.array, path: "nwipe.log") else { return }
        _ = MethodCheck.problem(method: log.method ?? "", category: "clear")
        _ = MethodCheck.problem(method: log.method ?? "", category: "purge")
    }
}
