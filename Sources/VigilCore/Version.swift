/// Vigil's identity as reports and `--version` print it.
public enum VigilVersion {
    /// The release version, following semantic versioning; reports carry it in `tool.version`.
    public static let current = "0.2.0"
}
