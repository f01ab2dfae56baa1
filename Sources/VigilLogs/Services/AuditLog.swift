internal import VigilCore

/// Linux audit records of logins (`/var/log/audit/audit.log`, SELinux systems):
/// `type=USER_AUTH|USER_ERR … msg='op=… acct="U" exe="/usr/sbin/sshd" … addr=H … res=failed'`.
/// A failed USER_AUTH or USER_ERR is the failed attempt; USER_LOGIN `res=failed` follows one
/// for the same attempt and is not counted again. `res=success` USER_LOGIN is a login.
enum AuditLog {
    private static let stamp = Array("msg=audit(".utf8)

    static func parse(_ message: UnsafeRawBufferPointer, path: String, number: Int, into events: inout [Event]) {
        let type = message.from(5).word(at: 0).text
        guard type == "USER_AUTH" || type == "USER_ERR" || type == "USER_LOGIN" else { return }
        guard let at = message.find(stamp), let colon = message.index(of: 0x3A, from: at) else { return }
        let seconds = message.slice(at + stamp.count, colon)
        let dot = seconds.index(of: 0x2E) ?? seconds.count
        guard let whole = seconds.slice(0, dot).integer else { return }
        let fraction = seconds.from(dot + 1)
        let millis = fraction.count == 3 ? fraction.integer ?? 0 : 0
        let failed = message.contains(Array("res=failed".utf8))
        guard (type != "USER_LOGIN") == failed || (type == "USER_LOGIN" && !failed) else { return }
        let address = message.value(of: Array("addr=".utf8)).flatMap { LogAddress($0) }
        var account = message.value(of: Array("acct=".utf8)).map(\.text)
        if let name = account, name.hasPrefix("\"") { account = String(name.dropFirst().dropLast()) }
        if account == "?" { account = nil }
        var exe = message.value(of: Array("exe=".utf8)).map(\.text) ?? ""
        if exe.hasPrefix("\"") { exe = String(exe.dropFirst().dropLast()) }
        let service = exe.split(separator: "/").last.map(String.init) ?? "audit"
        var line = LogLine(message: message, format: .audit)
        line.pid = message.value(of: Array("pid=".utf8))?.integer
        let context = LineContext(
            path: path, number: number, line: line,
            time: Timestamp(seconds: Int64(whole), nanoseconds: Int64(millis) * 1_000_000), service: service)
        let op = message.value(of: Array("msg='op=".utf8)).map(\.text)
        if failed {
            context.appendFailure(
                from: address, user: account, method: op, reason: "audit: \(type) failed", into: &events)
        } else {
            events.append(context.auth(.authSuccess, from: address, user: account, method: op))
        }
    }
}

extension AuditLog: StatelessLogService {
    static let programs: [String] = []
    static let formats: [LogLine.Format: String] = [.audit: "audit"]

    static func read(_ line: LogLine, context: LineContext, into events: inout [Event]) {
        parse(line.message, path: context.path, number: context.number, into: &events)
    }
}
