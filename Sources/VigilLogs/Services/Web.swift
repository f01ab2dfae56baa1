internal import VigilCore

/// Web servers: Apache and nginx error logs (authentication and access-control failures,
/// TLS handshakes aborted by scanners) and access logs in the common and combined formats
/// (every request an `http.request`; a 401 for a named user an authentication failure).
enum Web {
    private static let client = Array("[client ".utf8)
    private static let remote = Array("[remote ".utf8)
    private static let nginxClient = Array(", client: ".utf8)

    /// Messages after the Apache tags (and an `AHnnnnn: ` code, and `Digest: `) that are failures.
    private static let apacheFailures: [(prefix: [UInt8], reason: String)] = [
        ("user ", "HTTP authentication failed"),
        ("client denied by server configuration", "access denied by configuration"),
        ("client used wrong authentication scheme", "HTTP authentication failed"),
        ("Authorization of user ", "authorization failed"),
        ("invalid nonce ", "HTTP digest authentication failed"),
        ("realm mismatch", "HTTP digest authentication failed"),
        ("unknown algorithm ", "HTTP digest authentication failed"),
        ("invalid qop ", "HTTP digest authentication failed"),
        ("Hostname ", "TLS name mismatch (probe)"),
        ("No hostname was provided via SNI", "TLS name mismatch (probe)"),
    ].map { (Array($0.0.utf8), $0.1) }

    static func parse(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        switch line.format {
        case .access: access(line.message, context: context, into: &events)
        case .nginxError: nginx(line.message, context: context, into: &events)
        default: apache(line.message, context: context, into: &events)
        }
    }

    /// nginx or Apache lines inside another log (journald, syslog): their own header follows.
    static func embedded(_ raw: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        if let at = raw.find(Array(" [error] ".utf8)) ?? raw.find(Array(" [crit] ".utf8))
            ?? raw.find(Array(" [warn] ".utf8)),
            raw.slice(0, at).contains(Array("/".utf8))
        {
            nginx(raw.from(at + 1), context: context, into: &events)
        } else if raw.first == 0x5B {
            apache(raw, context: context, into: &events)
        }
    }

    static func apache(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        // `[module:level] [pid N:tid M] [client H:P] AH01618: user x not found: /path`
        let marker = message.find(client) ?? message.find(remote)
        guard let marker else { return }
        let start = marker + client.count
        var hostBytes: UnsafeRawBufferPointer
        var close: Int
        if start < message.count, message[start] == 0x5B {
            // `[client [2001:db8::1]:51548]`
            guard let end = message.index(of: 0x5D, from: start) else { return }
            hostBytes = message.slice(start + 1, end)
            guard let tagEnd = message.index(of: 0x5D, from: end + 1) else { return }
            close = tagEnd
        } else {
            guard let end = message.index(of: 0x5D, from: start) else { return }
            close = end
            hostBytes = message.slice(start, end)
            // `H:PORT` for IPv4 and names; a bare IPv6 address keeps its colons.
            if !LogAddress.isIPv6(hostBytes), let colon = hostBytes.findLast(Array(":".utf8)) {
                hostBytes = hostBytes.slice(0, colon)
            }
        }
        var text = message.from(close + 1).trimmed
        // The client tag must come right before the message: a later `[client …]` is text.
        if text.first == 0x5B { return }
        if text.count > 9, text.starts(with: Array("AH".utf8)), text[7] == 0x3A { text = text.from(8).trimmed }
        if text.starts(with: Array("Digest: ".utf8)) { text = text.from(8) }
        guard let failure = apacheFailures.first(where: { text.starts(with: $0.prefix) }) else { return }
        if failure.prefix == apacheFailures[0].prefix {
            // `user NAME not found`, `user NAME: authentication failure for …`, `… password mismatch`
            guard
                text.contains(Array("not found".utf8)) || text.contains(Array("failure".utf8))
                    || text.contains(Array("mismatch".utf8))
            else { return }
        }
        if text.starts(with: Array("invalid nonce ".utf8)) && text.contains(Array("hash is not".utf8)) {
            return  // a nonce from before a restart: the client did nothing wrong
        }
        var user: String?
        if text.starts(with: Array("user ".utf8)) {
            let rest = text.from(5)
            var end = rest.index(of: 0x3A) ?? rest.count
            if let notFound = rest.find(Array(" not found".utf8)), notFound < end { end = notFound }
            if let realm = rest.find(Array(" in realm ".utf8)), realm < end { end = realm }
            var name = rest.slice(0, end).text
            if name.hasPrefix("`") && name.hasSuffix("'") { name = String(name.dropFirst().dropLast()) }
            user = name.isEmpty ? nil : name
        } else if text.starts(with: Array("Authorization of user ".utf8)) {
            user = text.from(22).word(at: 0).text
        }
        context.appendFailure(
            from: LogAddress(hostBytes), user: user, method: "http", reason: failure.reason, into: &events)
    }

    static func nginx(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        // `[error] 2865#0: *66647 user "xyz" was not found in "…", client: H, server: …`
        guard let star = message.find(Array(": *".utf8)) else { return }
        let afterConnection = message.from(star + 3)
        let space = afterConnection.index(of: 0x20) ?? afterConnection.count
        let text = afterConnection.from(space + 1)
        guard let clientAt = message.findLast(nginxClient) else { return }
        var hostEnd = message.index(of: 0x2C, from: clientAt + nginxClient.count) ?? message.count
        if let space = message.index(of: 0x20, from: clientAt + nginxClient.count), space < hostEnd { hostEnd = space }
        let address = LogAddress(message.slice(clientAt + nginxClient.count, hostEnd))
        var user: String?
        var reason: String?
        if text.starts(with: Array("user \"".utf8)) {
            let end = text.index(of: 0x22, from: 6) ?? text.count
            user = text.slice(6, end).text
            let after = text.from(end)
            if after.starts(with: Array("\" was not found".utf8))
                || after.starts(with: Array("\": password mismatch".utf8))
            {
                reason = "HTTP authentication failed"
            }
        } else if text.starts(with: Array("PAM: user '".utf8)) {
            let end = text.index(of: 0x27, from: 11) ?? text.count
            user = text.slice(11, end).text
            if text.contains(Array("not authenticated".utf8)) { reason = "HTTP authentication failed" }
        } else if text.starts(with: Array("SSL_do_handshake() failed".utf8))
            || (text.starts(with: Array("SSL_read() failed".utf8)) && text.contains(Array("SSL alert".utf8)))
        {
            reason = "TLS handshake failed (scan)"
        }
        guard let reason else { return }
        context.appendFailure(from: address, user: user, method: "http", reason: reason, into: &events)
    }

    /// `client ident user [time] "METHOD target PROTOCOL" status size ["referer" "agent"]`: an
    /// `http.request` with the fields of SigmaHQ's webserver taxonomy (client, method, target as
    /// written and split into path and query, version, status, size, referrer, user agent).
    static func access(_ line: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        let clientWord = line.word(at: 0)
        let identStart = clientWord.count + 1
        let ident = line.word(at: identStart)
        let userWord = line.word(at: identStart + ident.count + 1)
        guard let open = line.index(of: 0x22) else { return }
        let requestEnd = closingQuote(line, from: open + 1)
        let request = line.slice(open + 1, requestEnd)
        let method = request.word(at: 0)
        let target = request.word(at: method.count + 1)
        let version = request.word(at: method.count + 1 + target.count + 1)
        let after = line.from(min(line.count, requestEnd + 1)).trimmed
        let statusWord = after.word(at: 0)
        guard let status = statusWord.integer else { return }
        let sizeWord = after.word(at: statusWord.count + 1)
        // The quoted fields after the size: referrer, then user agent (combined format).
        var quoted: [UnsafeRawBufferPointer] = []
        var cursor = statusWord.count + 1 + sizeWord.count
        while quoted.count < 2, let start = after.index(of: 0x22, from: cursor) {
            let end = closingQuote(after, from: start + 1)
            quoted.append(after.slice(start + 1, end))
            cursor = end + 1
        }
        let address = LogAddress(clientWord)
        let user = userWord.count == 1 && userWord.first == 0x2D ? nil : userWord.text
        var event = context.event(.httpRequest)
        event.add(.srcIP, address: address?.ip)
        event.add(.srcDomain, address?.domain)
        event.add(.userName, user)
        if !method.isEmpty { event.add(.httpMethod, method.text) }
        if !target.isEmpty {
            event.add(.urlOriginal, context.value(target))
            if let question = target.index(of: 0x3F) {
                event.add(.urlPath, context.value(target.slice(0, question)))
                event.add(.urlQuery, context.value(target.from(question + 1)))
            } else {
                event.add(.urlPath, context.value(target))
            }
            let path = target.slice(0, target.index(of: 0x3F) ?? target.count)
            if let slash = path.findLast(Array("/".utf8)), let dot = path.from(slash).findLast(Array(".".utf8)),
                dot > 1
            {
                event.add(.urlExtension, path.from(slash + dot + 1).text)
            }
        }
        if !version.isEmpty { event.add(.httpVersion, version.text) }
        event.add(.httpStatus, status)
        if let size = sizeWord.integer { event.add(.httpBytes, size) }
        if let referrer = quoted.first, !(referrer.count == 1 && referrer.first == 0x2D) {
            event.add(.httpReferrer, context.value(referrer))
        }
        if quoted.count > 1, !(quoted[1].count == 1 && quoted[1].first == 0x2D) {
            event.add(.httpUserAgent, context.value(quoted[1]))
        }
        events.append(event)
        if status == 401, let user {
            context.appendFailure(
                from: address, user: user, method: "basic", reason: "HTTP authentication failed (401)", into: &events)
        }
    }

    /// The index of the quote closing a quoted field that starts at `start` (after its opening
    /// quote): Apache escapes a quote inside as `\"`, nginx as `\x22`; the end of the line when
    /// it is not closed.
    static func closingQuote(_ line: UnsafeRawBufferPointer, from start: Int) -> Int {
        var index = start
        while index < line.count {
            if line[index] == 0x5C {
                index += 2
                continue
            }
            if line[index] == 0x22 { return index }
            index += 1
        }
        return line.count
    }
}

/// Web servers' logs of their own (access and error logs), and their lines inside syslog or
/// journald.
enum WebServer: StatelessLogService {
    static let programs = ["nginx", "apache2", "httpd"]
    static let formats: [LogLine.Format: String] = [.access: "http", .apacheError: "apache", .nginxError: "nginx"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        switch line.format {
        case .access, .apacheError, .nginxError: Web.parse(line, context: context, into: &events)
        default: Web.embedded(line.message, context: context, into: &events)
        }
    }
}
