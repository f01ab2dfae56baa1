internal import Foundation

/// Finds the shipped rule folder when the user names none.
public enum RuleLocator {
    /// The first folder that exists of: `$VIGIL_RULES`, the `rules` folder of the source tree
    /// the binary was built in (`.build/<config>/vigil`), and `<prefix>/share/vigil/rules` for an
    /// installed binary. Never `./rules` of the current folder: an evidence folder may hold one
    /// (a crafted one, or an empty one that would make every audit "clean"); a folder of rules is
    /// used only when named with `--rules`.
    public static func defaultRuleFolders(executable: String) -> [String] {
        var candidates: [String] = []
        if let fromEnvironment = ProcessInfo.processInfo.environment["VIGIL_RULES"], !fromEnvironment.isEmpty {
            candidates.append(fromEnvironment)
        }
        let binary = URL(fileURLWithPath: executable).resolvingSymlinksInPath().deletingLastPathComponent()
        // .build/<triple>/<config>/vigil and .build/<config>/vigil
        candidates.append(binary.appendingPathComponent("../../../rules").standardized.path)
        candidates.append(binary.appendingPathComponent("../../rules").standardized.path)
        candidates.append(binary.appendingPathComponent("../share/vigil/rules").standardized.path)
        for candidate in candidates {
            var isDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: candidate, isDirectory: &isDirectory), isDirectory.boolValue {
                return [candidate]
            }
        }
        return []
    }
}
