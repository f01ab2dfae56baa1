internal import VigilCore

/// The headers Vigil reads in an HTTP head; every other header is skipped without building a
/// string for it.
enum HTTPHeader: CaseIterable {
    case authorization, proxyAuthorization, contentLength, transferEncoding, contentType, wwwAuthenticate
    case proxyAuthenticate

    /// The name in lower case, as bytes.
    var name: [UInt8] {
        switch self {
        case .authorization: Array("authorization".utf8)
        case .proxyAuthorization: Array("proxy-authorization".utf8)
        case .contentLength: Array("content-length".utf8)
        case .transferEncoding: Array("transfer-encoding".utf8)
        case .contentType: Array("content-type".utf8)
        case .wwwAuthenticate: Array("www-authenticate".utf8)
        case .proxyAuthenticate: Array("proxy-authenticate".utf8)
        }
    }

    static let names: [(HTTPHeader, [UInt8])] = allCases.map { ($0, $0.name) }

    /// The header called `name` (in any case), if Vigil reads it.
    static func named(_ name: UnsafeRawBufferPointer) -> HTTPHeader? {
        for (header, wanted) in names where wanted.count == name.count {
            var same = true
            for index in 0..<wanted.count where wanted[index] != (name[index] | 0x20) {
                same = false
                break
            }
            if same { return header }
        }
        return nil
    }
}

/// An HTTP message head: start line and the headers Vigil reads.
struct HTTPHead {
    /// The start line, kept only when the head has a header Vigil reads (empty otherwise).
    var startLine: String
    /// A response's status code (`nil` for a request or a malformed status line).
    var status: Int?
    var headers: [(name: HTTPHeader, value: String)]

    func header(_ name: HTTPHeader) -> String? {
        headers.first { $0.name == name }?.value
    }

    func all(_ name: HTTPHeader) -> [String] {
        headers.filter { $0.name == name }.map(\.value)
    }

    /// The request's method and target (the first two words of the start line).
    var methodAndTarget: (method: String, target: String) {
        let parts = HTTPDissector.startLineParts(startLine)
        return (parts.first.map(String.init) ?? "", parts.count > 1 ? String(parts[1]) : "")
    }

    /// Parses a head (without its blank line) in place: lines are found in the bytes, and strings
    /// are made only for the start line and the headers Vigil reads.
    static func parse(_ bytes: UnsafeRawBufferPointer) -> HTTPHead? {
        func trimmed(_ line: UnsafeRawBufferPointer) -> UnsafeRawBufferPointer {
            var start = 0
            var end = line.count
            while end > start, line[end - 1] == 0x0D || line[end - 1] == 0x20 || line[end - 1] == 0x09 { end -= 1 }
            while start < end, line[start] == 0x20 || line[start] == 0x09 { start += 1 }
            return line.slice(start, end)
        }
        guard !bytes.isEmpty else { return nil }
        var start = 0
        var head: HTTPHead?
        var firstLine = UnsafeRawBufferPointer(start: nil, count: 0)
        var keptLast = false
        while start < bytes.count {
            let newline = bytes[start...].firstIndex(of: 0x0A) ?? bytes.count
            let line = bytes.slice(start, newline)
            start = newline + 1
            guard var parsed = head else {
                let first = trimmed(line)
                var status: Int?
                if first.count >= 12, first.starts(with: "HTTP/".utf8), let space = first.firstIndex(of: 0x20),
                    space + 4 <= first.count
                {
                    let digits = first.slice(space + 1, space + 4)
                    if digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) {
                        status = digits.reduce(0) { $0 * 10 + Int($1 - 0x30) }
                    }
                }
                head = HTTPHead(startLine: "", status: status, headers: [])
                firstLine = first
                continue
            }
            guard !line.isEmpty, !(line.count == 1 && line[0] == 0x0D) else { continue }
            if line[0] == 0x20 || line[0] == 0x09 {  // obsolete folding continues the last header
                if keptLast, let last = parsed.headers.popLast() {
                    parsed.headers.append(
                        (last.name, last.value + " " + String(decoding: trimmed(line), as: UTF8.self)))
                    head = parsed
                }
                continue
            }
            keptLast = false
            guard let colon = line.firstIndex(of: 0x3A), let name = HTTPHeader.named(trimmed(line.slice(0, colon)))
            else { continue }
            parsed.headers.append((name, String(decoding: trimmed(line.slice(colon + 1, line.count)), as: UTF8.self)))
            head = parsed
            keptLast = true
        }
        // The start line as text serves credentials and forms only: most heads have neither.
        if var parsed = head, !parsed.headers.isEmpty {
            parsed.startLine = String(decoding: firstLine, as: UTF8.self)
            head = parsed
        }
        return head
    }
}
