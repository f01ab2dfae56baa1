/// How bad a finding is, from `info` to `critical`; ordered so that `.high > .medium`.
public enum Severity: String, Sendable, CaseIterable, Comparable, Codable {
    case info, low, medium, high, critical

    private var rank: Int {
        switch self {
        case .info: 0
        case .low: 1
        case .medium: 2
        case .high: 3
        case .critical: 4
        }
    }

    /// Less severe first: `info` < `low` < … < `critical`.
    public static func < (lhs: Severity, rhs: Severity) -> Bool { lhs.rank < rhs.rank }

    /// Severities from the most to the least serious, the order reports list them in.
    public static let descending: [Severity] = allCases.reversed()
}

/// The family a finding belongs to; the raw values are the contract's spellings.
public enum Category: String, Sendable, CaseIterable, Codable {
    case weakCredential = "weak-credential"
    case policyBreach = "policy-breach"
    case unmanagedDevice = "unmanaged-device"
    case insecureProtocol = "insecure-protocol"
    case disposal = "disposal"
}
