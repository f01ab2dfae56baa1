public import VigilCrypto

/// What a person may sign in the disposal journey. A person's certificate carries their roles
/// as extended key usages (beside emailProtection, which `openssl cms -verify` needs), under
/// object identifiers of the UUID arc `2.25` (ITU-T X.667: unique without registration), so the
/// role travels with every signature and no list kept beside the ledger can be edited instead.
public enum PersonRole: String, CaseIterable, Sendable, Hashable, Comparable {
    /// Verifies wipes and signs certificates of sanitization; records assets.
    case technician
    /// Releases assets (sign-off); records assets and accepts corrections of their drives.
    case approver

    /// The extended key usage that grants the role.
    public var objectIdentifier: String {
        switch self {
        case .technician: "2.25.108406519958312875818432957465462100528"
        case .approver: "2.25.339094410308476493882426613058550452055"
        }
    }

    /// The roles `certificate` grants, in a stable order.
    public static func roles(of certificate: Certificate) -> [PersonRole] {
        let usages = Set(certificate.extendedKeyUsages)
        return allCases.filter { usages.contains($0.objectIdentifier) }
    }

    /// Roles in a fixed order (for listing).
    public static func < (lhs: PersonRole, rhs: PersonRole) -> Bool {
        allCases.firstIndex(of: lhs)! < allCases.firstIndex(of: rhs)!
    }
}
