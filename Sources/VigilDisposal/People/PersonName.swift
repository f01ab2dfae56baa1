internal import Foundation

/// Names as certificates write them: shown NFKC-normalised with invisible characters made
/// visible, and compared (only to warn, never to decide who may sign) through a skeleton that
/// folds the tricks that make one person look like two: compatibility forms, case, no-break and
/// zero-width spaces, trailing dots, and Cyrillic or Greek letters that look Latin.
public enum PersonName {
    /// `name` NFKC-normalised, with control and format characters (zero-width space, bidi
    /// controls) shown as `\u{200B}`: what a person reads is what the certificate says.
    public static func display(_ name: String) -> String {
        var out = ""
        for scalar in name.precomposedStringWithCompatibilityMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate:
                out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// The form two names are compared in: equal skeletons mean the names would look alike to a
    /// reader. Not an identity: two people may share a name.
    public static func skeleton(_ name: String) -> String {
        var folded = ""
        for scalar in name.precomposedStringWithCompatibilityMapping.lowercased().unicodeScalars {
            if scalar.properties.isDefaultIgnorableCodePoint { continue }
            if scalar.properties.isWhitespace || scalar.properties.generalCategory == .spaceSeparator {
                folded += " "
                continue
            }
            if let latin = lookalikes[scalar] {
                folded.unicodeScalars.append(latin)
            } else {
                folded.unicodeScalars.append(scalar)
            }
        }
        let words = folded.split(separator: " ")
        var joined = words.joined(separator: " ")
        while let last = joined.unicodeScalars.last, last.properties.generalCategory == .otherPunctuation {
            joined.unicodeScalars.removeLast()
        }
        return joined
    }

    /// Lower-case Cyrillic and Greek letters that print like a Latin one (after lower-casing),
    /// from Unicode's confusables list for the scripts names are most often spoofed with.
    private static let lookalikes: [Unicode.Scalar: Unicode.Scalar] = [
        "а": "a", "в": "b", "с": "c", "ԁ": "d", "е": "e", "ё": "e", "һ": "h", "і": "i", "ї": "i", "ј": "j",
        "к": "k", "ӏ": "l", "м": "m", "н": "h", "о": "o", "р": "p", "ԛ": "q", "г": "r", "ѕ": "s", "т": "t",
        "ц": "u", "ѵ": "v", "ԝ": "w", "х": "x", "у": "y", "з": "3",
        "α": "a", "β": "b", "ε": "e", "η": "n", "ι": "i", "κ": "k", "ν": "v", "ο": "o", "ρ": "p", "τ": "t",
        "υ": "u", "χ": "x", "γ": "y", "ω": "w", "ϲ": "c", "ϳ": "j",
    ]
}
