internal import VigilCore

/// xrdp and xrdp-sesman: `AUTHFAIL: user=U ip=HOST time=N` (failure), `AUTHSUCCESS`/`++
/// created session` lines (success). The first `ip=` after the last `AUTHFAIL:` is the client
/// (a user name can try to inject a second record).
enum XRDP {
    private static let authFail = Array("AUTHFAIL: ".utf8)
    private static let authSuccess = Array("AUTHSUCCESS: ".utf8)
    private static let user = Array("user=".utf8)
    private static let ip = Array(" ip=".utf8)

    static func parse(_ message: UnsafeRawBufferPointer, context: LineContext, into events: inout [Event]) {
        let failure = message.find(authFail) != nil
        guard let marker = failure ? message.findLast(authFail) : message.find(authSuccess) else { return }
        // Only xrdp's own records, not a message quoting one: the marker follows a level tag.
        let before = message.slice(0, marker).trimmed
        guard before.isEmpty || before.last == 0x5D else { return }
        let record = message.from(marker)
        guard let ipAt = record.find(ip) else { return }
        let address = LogAddress(record.from(ipAt + ip.count).word(at: 0))
        var name: String?
        if let userAt = record.find(user), userAt < ipAt { name = record.slice(userAt + user.count, ipAt).text }
        if failure {
            context.appendFailure(
                from: address, user: name, method: "password", reason: "xrdp authentication failed", into: &events)
        } else {
            events.append(context.auth(.authSuccess, from: address, user: name, method: "password"))
        }
    }
}

extension XRDP: StatelessLogService {
    static let programs = ["xrdp", "xrdp-sesman"]
    static let formats: [LogLine.Format: String] = [.xrdp: "xrdp"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        parse(line.message, context: context, into: &events)
    }
}
