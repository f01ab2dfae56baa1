public import Foundation

/// Where the test data lives: the package's own folders and the shared conformance data.
public enum TestPaths {
    /// The package root, found from this file's place in `Tests/VigilTestSupport/`.
    public static let root: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `Tests/<target>/Fixtures/<name>`.
    public static func fixture(_ name: String, target: String = "VigilCaptureTests") -> String {
        root.appendingPathComponent("Tests/\(target)/Fixtures/\(name)").path
    }

    /// A file under `samples/`.
    public static func sample(_ name: String) -> String { root.appendingPathComponent("samples/\(name)").path }

    /// The shipped `rules/` folder.
    public static var rules: String { root.appendingPathComponent("rules").path }

    /// `../shared/conformance`, beside the project root; `nil` when it is absent.
    public static var conformance: URL? {
        let url = root.deletingLastPathComponent().appendingPathComponent("shared/conformance")
        return FileManager.default.fileExists(atPath: url.path) ? url : nil
    }

    /// A fresh empty folder under the system temporary folder.
    public static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("vigil-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }
}
