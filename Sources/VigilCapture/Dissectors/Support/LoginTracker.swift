internal import VigilCore

/// A login seen on the wire whose verdict (the server's answer) is still to come.
struct PendingLogin {
    var protocolName: CredentialProtocol
    var user: String
    var secret: [UInt8]
    var kind: CredentialKind = .password
    var packets: [Int]
    var time: Timestamp
    var attributes: [CredentialAttribute] = []
    /// How a client logged in on a service that takes logins in clear (`password` for USER/PASS
    /// and LOGIN, `plain`, `login`, `apop`): set, the login also reports the service as taking
    /// logins unprotected (`protocol.observed` with `auth.method`).
    var method: String? = nil
}

/// The logins of one connection awaiting their verdict, and the one way they become events:
/// with the server's answer when it comes, or without one (outcome `unknown`) when the client
/// tries again first, the connection ends, or its bytes are lost. Logins may wait under a tag
/// (IMAP's command tags); untagged, a new login reports the one before it.
struct LoginTracker {
    let context: FlowContext
    private var waiting: [(tag: String?, login: PendingLogin)] = []
    /// The most logins waiting at once; past it the oldest is reported without a verdict.
    private let limit = 256

    init(context: FlowContext) { self.context = context }

    /// Whether a login waits (under `tag`, or any untagged one).
    func isWaiting(tag: String? = nil) -> Bool { waiting.contains { $0.tag == tag } }

    /// Starts waiting for `login`'s verdict; a login already waiting under the same tag is
    /// reported without one.
    mutating func begin(_ login: PendingLogin, tag: String? = nil, into events: inout [Event]) {
        if let index = waiting.firstIndex(where: { $0.tag == tag }) {
            emit(waiting.remove(at: index).login, outcome: .unknown, replyPacket: nil, into: &events)
        }
        if waiting.count >= limit {
            emit(waiting.removeFirst().login, outcome: .unknown, replyPacket: nil, into: &events)
        }
        waiting.append((tag, login))
    }

    /// The server answered the login waiting under `tag`: reports it with `outcome`. Returns
    /// whether one was waiting.
    @discardableResult
    mutating func resolve(
        tag: String? = nil, _ outcome: AuthOutcome, replyPacket: Int?, into events: inout [Event]
    ) -> Bool {
        guard let index = waiting.firstIndex(where: { $0.tag == tag }) else { return false }
        emit(waiting.remove(at: index).login, outcome: outcome, replyPacket: replyPacket, into: &events)
        return true
    }

    /// Reports every waiting login without a verdict, oldest first (the connection ended, or
    /// the client moved on).
    mutating func flush(into events: inout [Event]) {
        let all = waiting.sorted { $0.login.time < $1.login.time }
        waiting.removeAll()
        for entry in all { emit(entry.login, outcome: .unknown, replyPacket: nil, into: &events) }
    }

    /// The events of `login` with `outcome`: its credential, and for a service that took it in
    /// clear, the protocol finding's event.
    private func emit(_ login: PendingLogin, outcome: AuthOutcome, replyPacket: Int?, into events: inout [Event]) {
        let credential = context.credential(
            login.protocolName, user: login.user, secret: login.secret, kind: login.kind, outcome: outcome,
            packets: login.packets + (replyPacket.map { [$0] } ?? []), attributes: login.attributes)
        events.append(context.credentialEvent(credential, time: login.time, packet: login.packets.last ?? 0))
        guard let method = login.method else { return }
        events.append(
            context.cleartextLoginEvent(
                login.protocolName.service, method: method, packet: login.packets.last ?? 0, time: login.time))
    }
}
