internal import CZxcvbn
internal import Foundation
public import VigilCore

/// Scores a clear-text credential: zxcvbn-c's guess estimate, the vendor default list, and the
/// NIST SP 800-63B checks (at least 8 characters; not a known or breached password, which
/// zxcvbn's dictionaries stand for; no repetitive or sequential characters; no context words
/// such as the user name or the service).
///
/// Hashes are not scored (they have no clear text here). The scorer keeps a bounded cache: the
/// same login seen a thousand times is scored once.
public final class StrengthScorer {
    /// Below this zxcvbn score a secret is weak: 3 is "safely unguessable", 10^10 guesses.
    public static let minimumScore = 3
    /// NIST SP 800-63B's minimum length for a memorized secret chosen by its user.
    public static let minimumLength = 8

    private struct Key: Hashable {
        var secret: Secret
        var user: String
        var protocolName: String
    }
    private var cache: [Key: CredentialStrength] = [:]
    private let cacheLimit = 10_000

    /// A scorer over zxcvbn-c's dictionaries.
    public init() {}

    /// The strength of `credential`'s secret, or `nil` for a hash or a token.
    public func strength(of credential: Credential) -> CredentialStrength? {
        guard credential.kind == .password || credential.kind == .community else { return nil }
        let key = Key(secret: credential.secret, user: credential.username, protocolName: credential.protocolName)
        if let known = cache[key] { return known }
        let result = credential.secret.withClearBytes { bytes in
            Self.score(
                password: String(decoding: bytes, as: UTF8.self), user: credential.username,
                context: [credential.protocolName, credential.domain].compactMap { $0 },
                isCommunity: credential.kind == .community, protocolName: credential.protocolName)
        }
        if cache.count >= cacheLimit { cache.removeAll(keepingCapacity: true) }
        cache[key] = result
        return result
    }

    /// Scores `password` for `user`; `context` holds other words an attacker would try first
    /// (the service, the domain).
    static func score(
        password: String, user: String, context: [String], isCommunity: Bool, protocolName: String
    ) -> CredentialStrength {
        var reasons: [String] = []
        let vendor = DefaultCredentials.vendor(
            user: user, password: password, protocolName: protocolName, isCommunity: isCommunity)
        if let vendor {
            reasons.append(
                isCommunity
                    ? "a default SNMP community string, tried first by every scanner"
                    : "a vendor default credential (\(vendor)), tried first by every scanner and botnet")
        }
        let characters = password.count
        if password.isEmpty {
            reasons.append("empty")
        } else if characters < minimumLength {
            reasons.append(
                "\(characters) character\(characters == 1 ? "" : "s") long, under the \(minimumLength) NIST SP 800-63B requires"
            )
        }
        let lowered = password.lowercased()
        let userLowered = user.lowercased()
        if userLowered.count >= 3 && lowered.contains(userLowered) {
            reasons.append(lowered == userLowered ? "the same as the user name" : "contains the user name")
        }
        for word in context where word.count >= 3 && lowered.contains(word.lowercased()) {
            reasons.append("contains a word from its context ('\(word)')")
            break
        }
        let (bits, pattern) = zxcvbn(password, words: [user] + context)
        let guessesLog10 = (bits * log10(2.0) * 100).rounded() / 100
        let score = Self.score(guessesLog10: guessesLog10)
        // The patterns explain a low score; in a password that resists guessing they are harmless.
        if let pattern, score < minimumScore { reasons.append(pattern) }
        if score < minimumScore && !password.isEmpty {
            reasons.append(
                "guessable in about 10^\(Int(guessesLog10.rounded())) attempts (zxcvbn score \(score) of 4; "
                    + "\(minimumScore) is the minimum)")
        }
        return CredentialStrength(
            score: score, guessesLog10: guessesLog10, weakBecause: reasons, isDefault: vendor != nil)
    }

    /// zxcvbn's score from the guess estimate, with its own thresholds.
    static func score(guessesLog10: Double) -> Int {
        switch guessesLog10 {
        case ..<3: 0
        case ..<6: 1
        case ..<8: 2
        case ..<10: 3
        default: 4
        }
    }

    /// zxcvbn-c's entropy in bits, and a sentence when one pattern covers the whole secret.
    private static func zxcvbn(_ password: String, words: [String]) -> (Double, String?) {
        let length = password.utf8.count
        guard length > 0 else { return (0, nil) }
        var info: UnsafeMutablePointer<ZxcMatch_t>?
        let dictionary = words.filter { !$0.isEmpty }.map { strdup($0) }
        defer { for word in dictionary { free(word) } }
        var pointers: [UnsafePointer<CChar>?] = dictionary.map { UnsafePointer($0) } + [nil]
        let bits = pointers.withUnsafeMutableBufferPointer { list in
            ZxcvbnMatch(password, list.baseAddress, &info)
        }
        defer { ZxcvbnFreeInfo(info) }
        var pattern: String?
        var parts: [String] = []
        var covered = 0
        var match = info
        while let current = match {
            let item = current.pointee
            if item.Begin == 0 && Int(item.Length) >= length {
                pattern = Self.sentence(for: item.Type)
            }
            if let part = Self.part(for: item.Type) {
                covered += Int(item.Length)
                if !parts.contains(part) { parts.append(part) }
            }
            match = item.Next
        }
        if pattern == nil && !parts.isEmpty && covered * 2 >= length {
            let list = parts.count == 1 ? parts[0] : parts.dropLast().joined(separator: ", ") + " and " + parts.last!
            pattern = "built from \(list), patterns guessers try first"
        }
        return (bits, pattern)
    }

    /// What one piece of a password is, for a password made of several.
    private static func part(for type: ZxcTypeMatch_t) -> String? {
        let base = ZxcTypeMatch_t(rawValue: type.rawValue & ~MULTIPLE_MATCH.rawValue)
        switch base {
        case DICTIONARY_MATCH, DICT_LEET_MATCH: return "a common word"
        case USER_MATCH, USER_LEET_MATCH: return "the user or service name"
        case REPEATS_MATCH: return "a repetition"
        case SEQUENCE_MATCH: return "a sequence"
        case SPATIAL_MATCH: return "a keyboard pattern"
        case DATE_MATCH: return "a date"
        case YEAR_MATCH: return "a year"
        default: return nil
        }
    }

    private static func sentence(for type: ZxcTypeMatch_t) -> String? {
        let base = ZxcTypeMatch_t(rawValue: type.rawValue & ~MULTIPLE_MATCH.rawValue)
        switch base {
        case DICTIONARY_MATCH: return "a common password or dictionary word"
        case DICT_LEET_MATCH: return "a common word with letters swapped for digits or symbols"
        case USER_MATCH, USER_LEET_MATCH: return "made of the user name or the service's name"
        case REPEATS_MATCH: return "a repeated pattern"
        case SEQUENCE_MATCH: return "a sequence of characters (abc, 1234)"
        case SPATIAL_MATCH: return "a keyboard pattern (qwerty, 1qaz)"
        case DATE_MATCH, YEAR_MATCH: return "a date or year"
        default: return nil
        }
    }
}
