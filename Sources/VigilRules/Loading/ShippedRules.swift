internal import Foundation
public import VigilCore

/// Finds what ships with the binary: its rule folder (when the user names none) and the log
/// source mapping (used whatever rules run).
public enum ShippedRules {
    /// The first folder that exists of: `$VIGIL_RULES`, the `rules` folder of the source tree
    /// the binary was built in (`.build/<config>/vigil`), and `<prefix>/share/vigil/rules` for an
    /// installed binary. Never `./rules` of the current folder: an evidence folder may hold one
    /// (a crafted one, or an empty one that would make every audit "clean"); a folder of rules is
    /// used only when named with `--rules`.
    /// - Parameter executable: the binary's path; by default the running one as the kernel
    ///   knows it (`/proc/self/exe`), which holds when `vigil` is found on the `PATH` or through
    ///   a link (its `argv[0]` is then only `vigil`).
    public static func defaultRuleFolders(executable: String = runningExecutable) -> [String] {
        var candidates: [String] = []
        if let fromEnvironment = ProcessInfo.processInfo.environment["VIGIL_RULES"], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        candidates += shippedCandidates(executable: executable)
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return [candidate]
            }
        }
        return []
    }

    /// The log source mapping that ships with the binary: `mappings/logsources.yml` in its rule
    /// folder (not `$VIGIL_RULES`'s: the mapping belongs to the binary's readers); `nil` when
    /// it cannot be found.
    public static func mappingFile(executable: String = runningExecutable) -> String? {
        for folder in shippedCandidates(executable: executable) {
            let file = folder + "/mappings/logsources.yml"
            if FileManager.default.fileExists(atPath: file) { return file }
        }
        return nil
    }

    /// The shipped log source mapping, read once.
    public static let mapping: Result<LogsourceMap, VigilError> = {
        guard let file = mappingFile() else {
            return .failure(
                VigilError(
                    .unreadable, reason: "the log source mapping (rules/mappings/logsources.yml) was not found",
                    hint: "it ships in the rules folder beside the binary"))
        }
        do throws(VigilError) {
            return .success(try LogsourceMap(path: file))
        } catch {
            return .failure(error)
        }
    }()

    private static func shippedCandidates(executable: String) -> [String] {
        var candidates: [String] = []
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        // .build/<triple>/<config>/vigil and .build/<config>/vigil
        candidates.append(binary.appendingPathComponent("../../../rules").standardized.path)
        candidates.append(binary.appendingPathComponent("../../rules").standardized.path)
        candidates.append(binary.appendingPathComponent("../share/vigil/rules").standardized.path)
        return candidates
    }

    /// The running binary's path: `/proc/self/exe`, else `argv[0]`.
    public static var runningExecutable: String {
        (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
    }
}
