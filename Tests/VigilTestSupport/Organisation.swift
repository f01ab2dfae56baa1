public import Foundation

/// An organisation for disposal tests, made with the real `vigil keys init` and `keys issue`:
/// one CA, and people with their roles.
public struct TestOrganisation: Sendable {
    /// The folder everything lives in.
    public let folder: URL
    /// The CA's folder (`ca.pem`, `ca.key`).
    public var caDir: String { folder.appendingPathComponent("org-ca").path }
    /// The CA certificate.
    public var ca: String { caDir + "/ca.pem" }

    /// A person's files.
    public struct Person: Sendable {
        public var dir: String
        /// The person whose key and certificate are in `dir`.
        public init(dir: String) { self.dir = dir }
        public var key: String { dir + "/signer.key" }
        public var cert: String { dir + "/signer.pem" }
        /// `--key KEY --cert CERT`.
        public var signing: [String] { ["--key", key, "--cert", cert] }
    }

    /// A CA for `organisation` in `folder`.
    public init(in folder: URL, organisation: String = "Example Ltd") throws {
        self.folder = folder
        let made = try VigilBinary.run(["keys", "init", "--dir", caDir, "--organisation", organisation])
        guard made.status == 0 else { throw TestFailure("keys init: \(made.stderr)") }
    }

    /// Issues `name` a key with `roles` into a folder of its own (named after `folderName`).
    public func person(_ name: String, roles: [String], folderName: String? = nil, days: Int? = nil) throws -> Person {
        let dir = folder.appendingPathComponent(folderName ?? name.replacingOccurrences(of: " ", with: "-")).path
        var arguments = ["keys", "issue", "--ca-dir", caDir, "--name", name, "--out", dir]
        for role in roles { arguments += ["--role", role] }
        if let days { arguments += ["--days", String(days)] }
        let issued = try VigilBinary.run(arguments)
        guard issued.status == 0 else { throw TestFailure("keys issue \(name): \(issued.stderr)") }
        return Person(dir: dir)
    }
}

/// A test's own setup went wrong (not the behaviour under test).
public struct TestFailure: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
