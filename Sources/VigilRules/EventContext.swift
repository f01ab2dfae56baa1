internal import Foundation
public import VigilCore

/// What the audit knows beyond one event, added to each event before the rules see it:
///
/// - `credential.observed` with a clear-text secret: its strength (`credential.score`,
///   `credential.weak`, `credential.default`, and ``Credential/strength`` for the report);
/// - `device.observed`, with an inventory: `device.managed` and the matching row's `asset.tag`,
///   `asset.status`, `asset.owner`; an ARP sighting of an address another MAC held before:
///   `device.previous_mac` (arpwatch's "flip flop");
/// - `auth.success`: `event.hour` and `event.weekday` in the audit's time zone, and
///   `auth.new_source` (true when the account had logged in before, from other sources only).
///
/// State is bounded: 100,000 addresses and accounts, 64 sources per account.
public final class EventContext {
    public let inventory: Inventory?
    private let scorer = StrengthScorer()
    private var owners: [String: String] = [:]
    private var sources: [String: [String]] = [:]
    private let timeZoneName: String?
    /// Made when the first login needs it (loading the tz data costs time a capture never needs).
    private lazy var timeZone: TimeZone = timeZoneName.flatMap(Self.zone) ?? .current
    private var offsetHour: Int64 = .min
    private var offset: Int64 = 0
    private let limit = 100_000

    /// - Parameters:
    ///   - inventory: the asset inventory; without one, devices carry no `device.managed` and
    ///     the unmanaged-device rules stay silent (nothing to compare with).
    ///   - timeZone: the tz database name of the zone working hours are counted in (`nil`: the
    ///     machine's, as `TZ` sets it).
    public init(inventory: Inventory? = nil, timeZone: String? = nil) {
        self.inventory = inventory
        self.timeZoneName = timeZone
    }

    /// A tz database name, `UTC`, or a fixed offset `+02:00` / `-0500`.
    static func zone(_ text: String) -> TimeZone? {
        if let zone = TimeZone(identifier: text) { return zone }
        let digits = text.dropFirst().filter(\.isNumber)
        guard let sign = text.first, sign == "+" || sign == "-", digits.count == 4 || digits.count == 2,
            let number = Int(digits)
        else { return nil }
        let seconds = digits.count == 4 ? (number / 100) * 3_600 + (number % 100) * 60 : number * 3_600
        return TimeZone(secondsFromGMT: sign == "-" ? -seconds : seconds)
    }

    /// Whether ``enrich(_:)`` adds anything to events of `kind` (most log lines: no), so that
    /// the others reach the rules without a copy.
    public static func enriches(_ kind: EventKind) -> Bool {
        kind == .credentialObserved || kind == .deviceObserved || kind == .authSuccess
    }

    /// Whether ``enrich(_:)`` remembers something of events of `kind` for later ones (login
    /// sources per account, ARP owners): an engine sharing a stream with others
    /// (``RuleWorkers``) must ``remember(_:)`` those it does not process.
    public static func remembers(_ kind: EventKind) -> Bool {
        kind == .deviceObserved || kind == .authSuccess
    }

    /// Takes what ``enrich(_:)`` would remember of `event`, an event another context enriches.
    public func remember(_ event: Event) {
        var event = event
        enrich(&event)
    }

    /// Hands `event` to `body`, with what the audit knows beyond it added when there is
    /// anything to add (the event is copied only then).
    public func enriched<Result>(_ event: Event, _ body: (Event) throws -> Result) rethrows -> Result {
        guard Self.enriches(event.kind) else { return try body(event) }
        var event = event
        enrich(&event)
        return try body(event)
    }

    /// Adds to `event` what the audit knows beyond it: credential strength, inventory match, ARP flip flops,
    /// login sources and hours.
    public func enrich(_ event: inout Event) {
        switch event.kind {
        case .credentialObserved: scoreCredential(&event)
        case .deviceObserved: describeDevice(&event)
        case .authSuccess: describeLogin(&event)
        default: break
        }
    }

    private func scoreCredential(_ event: inout Event) {
        // Anonymous FTP's "password" is an e-mail address by convention, not a secret.
        if case .bool(true) = event[.credentialAnonymous] { return }
        guard var credential = event.credential, let strength = scorer.strength(of: credential) else { return }
        credential.strength = strength
        event.credential = credential
        event.set(.credentialScore, strength.score)
        event.set(.credentialWeak, strength.isWeak)
        event.set(.credentialDefault, strength.isDefault)
    }

    private func describeDevice(_ event: inout Event) {
        let mac = event[.srcMAC]?.description
        let ip = event[.srcIP]?.description
        if let inventory {
            let asset = inventory.asset(
                mac: mac, hostnames: event[.hostName].map { [$0.description] } ?? [], ips: ip.map { [$0] } ?? [])
            event.set(.deviceManaged, asset != nil)
            if let asset {
                event.set(.assetTag, asset.tag)
                event.set(.assetStatus, asset.status)
                event.set(.assetOwner, asset.owner)
            }
        }
        guard let mac, let ip, event[.deviceSource]?.description == "arp" else { return }
        if let previous = owners[ip], previous != mac { event.set(.devicePreviousMAC, previous) }
        if owners[ip] != nil || owners.count < limit { owners[ip] = mac }
    }

    private func describeLogin(_ event: inout Event) {
        let seconds = event.time.nanoseconds / 1_000_000_000
        // The zone's offset changes at most on the hour: asked once per hour of events.
        let hour = seconds - (seconds % 3_600 + 3_600) % 3_600
        if hour != offsetHour {
            offsetHour = hour
            offset = Int64(timeZone.secondsFromGMT(for: Date(timeIntervalSince1970: TimeInterval(hour))))
        }
        let local = seconds + offset
        let days = local >= 0 ? local / 86_400 : (local - 86_399) / 86_400
        event.set(.eventHour, Int((local - days * 86_400) / 3_600))
        // 1970-01-01 was a Thursday (ISO weekday 4).
        event.set(.eventWeekday, Int(((days % 7) + 7 + 3) % 7) + 1)
        guard let user = event[.userName]?.description,
            let source = (event[.srcIP] ?? event[.srcDomain])?.description
        else { return }
        let account = user + "@" + (event[.hostName]?.description ?? "")
        var known = sources[account] ?? []
        event.set(.authNewSource, !known.isEmpty && !known.contains(source))
        guard !known.contains(source), known.count < 64, sources[account] != nil || sources.count < limit else {
            return
        }
        known.append(source)
        sources[account] = known
    }
}
