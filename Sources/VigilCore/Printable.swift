/// Text from an input (a log line, a packet, a certificate) made safe to show: every control
/// and format character written out visibly, so nothing an attacker put in a value can move a
/// terminal's cursor, recolour it, rename its window, forge a line of a report or reverse the
/// text around it.
public enum Printable {
    /// `text` with C0 and C1 controls, DEL and Unicode format characters (bidirectional
    /// overrides, zero-width spaces) shown as escapes: `\n`, `\r`, `\t`, `\x1b`, `\u{202E}`.
    /// Everything else is kept as it is.
    public static func visible(_ text: String) -> String {
        // The common case, nothing to escape, costs one pass and no allocation.
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x0A: out += "\\n"
            case 0x0D: out += "\\r"
            case 0x09: out += "\\t"
            case 0..<0x80: out += "\\x" + hex(scalar.value, digits: 2)
            default: out += "\\u{" + hex(scalar.value, digits: 4) + "}"
            }
        }
        return out
    }

    /// Text for HTML: control characters shown, then `& < > " '` written as entities.
    public static func html(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in visible(text) {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }

    /// Text safe as Markdown prose or in a table cell: control characters shown (so no line
    /// break survives), and the characters Markdown acts on backslashed.
    public static func markdown(_ text: String) -> String {
        var out = ""
        for character in visible(text) {
            if "\\`*_[]<>|#!~&".contains(character) { out.append("\\") }
            out.append(character)
        }
        return out
    }

    /// A Markdown code span holding `text` as it is (control characters shown): fenced with
    /// more backticks than any run inside it (CommonMark), pipes escaped for tables.
    public static func markdownCode(_ text: String) -> String {
        var escaped = ""
        for character in visible(text) {
            if character == "|" { escaped.append("\\") }
            escaped.append(character)
        }
        var longest = 0
        var run = 0
        for character in escaped {
            run = character == "`" ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let pad = escaped.hasPrefix("`") || escaped.hasSuffix("`") ? " " : ""
        return fence + pad + escaped + pad + fence
    }

    @inline(__always)
    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let value = scalar.value
        if value < 0x20 || value == 0x7F { return true }
        if value < 0x80 { return false }
        if value < 0xA0 { return true }
        switch scalar.properties.generalCategory {
        case .format, .lineSeparator, .paragraphSeparator, .privateUse, .unassigned, .surrogate: return true
        default: return false
        }
    }

    private static func hex(_ value: UInt32, digits: Int) -> String {
        let text = String(value, radix: 16, uppercase: value >= 0x80)
        return String(repeating: "0", count: max(0, digits - text.count)) + text
    }
}
