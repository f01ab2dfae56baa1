internal import Foundation
internal import VigilCore

/// HTTP/1.x on any port: `Authorization: Basic` (any spacing, colons in the password),
/// `Digest` (user, realm, response), `NTLM`/`Negotiate` (NTLMSSP inside, challenge from the
/// server's `WWW-Authenticate`), and login forms (URL-encoded or JSON bodies with password-like
/// fields, the body possibly in later segments than the headers). The response status gives
/// the outcome: 401/403 failure, 2xx/3xx success (forms: only 401/403 are telling).
enum HTTPDissector: TCPDissector {
    static let name = "http"
    static let methods: Set<String> = [
        "GET", "POST", "PUT", "HEAD", "DELETE", "OPTIONS", "PATCH", "PROPFIND", "PROPPATCH", "MKCOL", "COPY", "MOVE",
        "LOCK", "UNLOCK", "REPORT", "SEARCH",
    ]

    static func probe(_ input: ProbeInput) -> ProbeVerdict {
        if case .text(let line) = input.clientLine, isRequestLine(line) { return .yes(swapSides: false) }
        if case .text(let line) = input.serverLine, isRequestLine(line) { return .yes(swapSides: true) }
        if case .text(let line) = input.serverLine, line.hasPrefix("HTTP/1.") {
            return .yes(swapSides: false)
        }
        let a = input.clientLine
        let b = input.serverLine
        if a == .binary || b == .binary { return .no }
        if case .text = a { return .no }
        return .undecided
    }

    /// The methods as bytes, for the probe's byte comparison.
    static let methodBytes: [[UInt8]] = methods.map { Array($0.utf8) }

    /// Whether `line` is `METHOD target HTTP/1.x` with a method of ``methods``: compared on the
    /// UTF-8 bytes, without building strings (every new connection is asked this).
    static func isRequestLine(_ line: String) -> Bool {
        var line = line
        return line.withUTF8 { utf8 in
            let bytes = UnsafeRawBufferPointer(utf8)
            guard let first = bytes.firstIndex(of: 0x20), first > 0, first <= 9,
                let second = bytes[(first + 1)...].firstIndex(of: 0x20),
                bytes.slice(second + 1, bytes.count).starts(with: "HTTP/1.".utf8)
            else { return false }
            let method = bytes.slice(0, first)
            return methodBytes.contains { $0.count == method.count && $0.elementsEqual(method) }
        }
    }

    /// The first two space-separated words of a start line and the rest, found on the UTF-8
    /// view (cheaper than a general split on every request and response).
    static func startLineParts(_ line: String) -> [Substring] {
        let bytes = line.utf8
        guard let first = bytes.firstIndex(of: 0x20) else { return [line[...]] }
        let afterFirst = bytes.index(after: first)
        guard let second = bytes[afterFirst...].firstIndex(of: 0x20) else {
            return [line[..<first], line[afterFirst...]]
        }
        return [line[..<first], line[afterFirst..<second], line[bytes.index(after: second)...]]
    }

    static func makeSession(_ context: FlowContext) -> any TCPSession { HTTPSession(context: context) }

    /// Field names that hold a secret in a login form or JSON body (compared in lower case).
    static let secretFields: Set<String> = [
        "password", "passwd", "pwd", "pass", "secret", "token", "api_key", "apikey", "access_token", "passphrase",
        "client_secret", "auth_token", "passcode", "pin",
    ]
    /// Field names that hold the account.
    static let userFields: Set<String> = [
        "user", "username", "login", "email", "user_name", "uname", "userid", "user_id", "account", "log", "name",
        "mail", "client_id",
    ]

    static func isSecretField(_ name: String) -> Bool {
        let lower = name.lowercased()
        let leaf = lower.split(whereSeparator: { "[].".contains($0) }).last.map(String.init) ?? lower
        return secretFields.contains(leaf) || leaf.contains("password") || leaf.contains("passwd")
    }

    static func isUserField(_ name: String) -> Bool {
        let lower = name.lowercased()
        let leaf = lower.split(whereSeparator: { "[].".contains($0) }).last.map(String.init) ?? lower
        return userFields.contains(leaf)
    }
}
