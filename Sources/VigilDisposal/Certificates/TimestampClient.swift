internal import Foundation
internal import VigilCore
internal import VigilCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// Asks an RFC 3161 time-stamping authority over HTTP for a token over some bytes (a
/// certificate's signature), so the certificate can be verified after its signer certificate
/// expires.
///
/// Plain HTTP/1.1 over a socket: a timestamp token is signed, so it needs no TLS, and leaving
/// out Foundation's URL loading keeps libcurl and its thirty libraries out of every `vigil` run.
public enum TimestampClient {
    /// POSTs a TimeStampReq for `data` to `url` (`http://host[:port][/path]`) and returns the DER
    /// TimeStampResp (its signature is checked later, against the TSA's CA).
    public static func stamp(_ data: [UInt8], url: String, timeout: Int = 30) throws -> [UInt8] {
        guard let target = Target(url) else {
            throw VigilError(
                .usage, reason: "the time-stamping authority's URL '\(url)' is not an http:// URL",
                hint: "time-stamping authorities answer over plain HTTP (the token is signed)")
        }
        let query = try RFC3161.request(for: data)
        let socket = try connect(target, timeout: timeout, url: url)
        defer { SystemCall.close(socket) }
        var request = Array(
            ("POST \(target.path) HTTP/1.1\r\nHost: \(target.hostHeader)\r\n"
                + "Content-Type: application/timestamp-query\r\nContent-Length: \(query.count)\r\n"
                + "Connection: close\r\nUser-Agent: vigil/\(VigilVersion.current)\r\n\r\n").utf8)
        request += query
        guard SystemCall.sendAll(socket, request) else {
            throw failure(url, "sending failed: \(SystemCall.describe(SystemCall.errorNumber))")
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while response.count < 1 << 20 {
            let count = buffer.withUnsafeMutableBytes {
                SystemCall.receive(socket, into: $0.baseAddress!, count: $0.count)
            }
            if count < 0 { throw failure(url, "reading failed: \(SystemCall.describe(SystemCall.errorNumber))") }
            if count == 0 { break }
            response += buffer.prefix(count)
        }
        return try body(of: response, url: url)
    }

    /// Host, port and path of an `http://` URL.
    struct Target {
        var host: String
        var port: UInt16
        var path: String
        var hostHeader: String { port == 80 ? host : "\(host):\(port)" }

        init?(_ url: String) {
            guard url.lowercased().hasPrefix("http://") else { return nil }
            let rest = url.dropFirst(7)
            let authority = rest.prefix { $0 != "/" }
            path = rest.count > authority.count ? String(rest.dropFirst(authority.count)) : "/"
            if authority.hasPrefix("["), let close = authority.firstIndex(of: "]") {
                host = String(authority[authority.index(after: authority.startIndex)..<close])
                let after = authority[authority.index(after: close)...]
                port = after.hasPrefix(":") ? UInt16(after.dropFirst()) ?? 0 : 80
            } else if let colon = authority.lastIndex(of: ":") {
                host = String(authority[..<colon])
                port = UInt16(authority[authority.index(after: colon)...]) ?? 0
            } else {
                host = String(authority)
                port = 80
            }
            guard !host.isEmpty, port != 0 else { return nil }
        }
    }

    private static func failure(_ url: String, _ reason: String) -> VigilError {
        VigilError(.unreadable, path: url, reason: "the time-stamping authority did not answer: \(reason)")
    }

    /// A connected TCP socket, with send and receive timeouts.
    private static func connect(_ target: Target, timeout: Int, url: String) throws -> Int32 {
        var hints = addrinfo()
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_family = AF_UNSPEC
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(target.host, String(target.port), &hints, &list)
        guard status == 0, let list else {
            throw failure(url, "cannot resolve \(target.host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(list) }
        var lastError = "no address"
        var entry: UnsafeMutablePointer<addrinfo>? = list
        while let address = entry {
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            if fd >= 0 {
                var limit = timeval(tv_sec: timeout, tv_usec: 0)
                _ = setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                _ = setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
                if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 { return fd }
                lastError = SystemCall.describe(SystemCall.errorNumber)
                SystemCall.close(fd)
            }
            entry = address.pointee.ai_next
        }
        throw failure(url, lastError)
    }

    /// The body of an HTTP/1.1 response: status 200 required; Content-Length, chunked, or to the end.
    static func body(of response: [UInt8], url: String) throws -> [UInt8] {
        let separator: [UInt8] = [13, 10, 13, 10]
        guard let end = response.indices.first(where: { response[$0...].starts(with: separator) }) else {
            throw failure(url, "no HTTP response")
        }
        let head = String(decoding: response[..<end], as: UTF8.self).split(separator: "\r\n").map(String.init)
        guard let statusLine = head.first, statusLine.hasPrefix("HTTP/1."),
            let code = statusLine.split(separator: " ").dropFirst().first.flatMap({ Int($0) })
        else { throw failure(url, "not an HTTP response") }
        guard code == 200 else { throw failure(url, "HTTP \(code)") }
        var headers: [String: String] = [:]
        for line in head.dropFirst() {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(
                in: .whitespaces)
        }
        var body = Array(response[(end + 4)...])
        if headers["transfer-encoding"]?.lowercased().contains("chunked") == true {
            var decoded: [UInt8] = []
            var index = 0
            while index < body.count {
                guard let lineEnd = body[index...].indices.first(where: { body[$0...].starts(with: [13, 10]) }),
                    let size = Int(
                        String(decoding: body[index..<lineEnd], as: UTF8.self).split(separator: ";")[0], radix: 16)
                else { throw failure(url, "a malformed chunk") }
                if size == 0 { break }
                let start = lineEnd + 2
                guard start + size <= body.count else { throw failure(url, "a truncated chunk") }
                decoded += body[start..<(start + size)]
                index = start + size + 2
            }
            body = decoded
        } else if let length = headers["content-length"].flatMap({ Int($0) }) {
            guard body.count >= length else { throw failure(url, "the answer was cut short") }
            body = Array(body.prefix(length))
        }
        guard !body.isEmpty else { throw failure(url, "an empty answer") }
        return body
    }
}
