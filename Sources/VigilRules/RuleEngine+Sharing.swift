public import VigilCore

/// Engines sharing one stream (``RuleWorkers``): which engine processes an event, what the
/// others take note of, and how their findings merge into one engine's.
extension RuleEngine {
    /// The field all `correlations` group by, unaliased, if there is one.
    static func partitionField(_ correlations: [CorrelationRule]) -> Field? {
        guard let first = correlations.first else { return nil }
        let name = first.groupBy.first { name in
            correlations.allSatisfy { $0.groupBy.contains(name) && $0.aliases[name] == nil }
        }
        return name.flatMap(Field.intern)
    }

    /// Whether `kind` is read by some correlation (its events move the clock).
    @inline(__always)
    func correlated(_ kind: EventKind) -> Bool {
        if anyKindCorrelated { return true }
        let id = Int(kind.id)
        return id < correlatedKinds.count && correlatedKinds[id]
    }

    /// Which of `engines` engines sharing one stream processes `event`, the next event of the
    /// stream (every engine is shown every event: the one chosen ``process(_:)``es it, the
    /// others ``pass(_:)`` it). An event a correlation may read goes by the value of
    /// ``partitionField`` (all of a group's events to one engine; to the first when there is
    /// no such field), any other by its place in the stream.
    public func owner(of event: Event, among engines: Int) -> Int {
        guard engines > 1 else { return 0 }
        guard correlated(event.kind) else { return (ordinal >> 4) % engines }
        guard let partitionField else { return 0 }
        var hash = CorrelationEngine.hash(event[partitionField], into: CorrelationEngine.fnvBasis)
        hash ^= hash >> 29
        hash &*= 0xbf58_476d_1ce4_e5b9
        hash ^= hash >> 32
        return Int(hash % UInt64(engines))
    }

    /// Takes note of `event`, which another engine sharing the stream processes: it moves this
    /// one's place in the stream and its correlations' clock as it would had this one
    /// processed it.
    public func pass(_ event: Event) {
        ordinal += 1
        if correlated(event.kind) { clock = max(clock, event.time.nanoseconds) }
    }

    /// Adds what `other` (an engine over the same rules) aggregated: counts add up, times
    /// widen, evidence is the earliest up to the limit.
    ///
    /// `other` was fed either the events after this one's (another input: merged in input
    /// order, the way several inputs run on several cores), or, with `sharingStream`, the same
    /// stream as this one, each engine processing its share (``owner(of:among:)``): merging
    /// every share gives what one engine would have made of the whole stream.
    public func merge(_ other: RuleEngine, sharingStream: Bool = false) {
        eventCount += other.eventCount
        let shift = sharingStream ? 0 : ordinal
        func shifted(_ order: Order) -> Order { Order(event: order.event + shift, step: order.step) }
        for (key, theirs) in zip(other.keys, other.aggregates) {
            var theirs = theirs
            theirs.order = shifted(theirs.order)
            theirs.evidenceOrder = theirs.evidenceOrder.map(shifted)
            theirs.credentialOrder = shifted(theirs.credentialOrder)
            aggregate(key) {
                theirs
            } _: { ours in
                ours.first = min(ours.first, theirs.first)
                ours.last = max(ours.last, theirs.last)
                ours.count += theirs.count
                ours.order = min(ours.order, theirs.order)
                let evidence = zip(ours.evidenceOrder + theirs.evidenceOrder, ours.evidence + theirs.evidence)
                    .sorted { $0.0 < $1.0 }.prefix(Finding.evidenceLimit)
                ours.evidenceOrder = evidence.map(\.0)
                ours.evidence = evidence.map(\.1)
                // One engine keeps the first credential whose outcome is known, else the last.
                let oursKnown = ours.credential.map { $0.outcome != .unknown } ?? false
                let theirsKnown = theirs.credential.map { $0.outcome != .unknown } ?? false
                let takeTheirs: Bool
                switch (oursKnown, theirsKnown) {
                case (true, true): takeTheirs = theirs.credentialOrder < ours.credentialOrder
                case (false, true): takeTheirs = true
                case (true, false): takeTheirs = false
                case (false, false):
                    takeTheirs = theirs.credential != nil && theirs.credentialOrder > ours.credentialOrder
                }
                if takeTheirs {
                    ours.credential = theirs.credential
                    ours.credentialOrder = theirs.credentialOrder
                }
                if var known = ours.subject, let other = theirs.subject {
                    if known.user != other.user { known.user = nil }
                    if known.host != other.host { known.host = nil }
                    if known.ip != other.ip { known.ip = nil }
                    ours.subject = known
                }
            }
        }
        if sharingStream {
            ordinal = max(ordinal, other.ordinal)
            correlation?.merge(other.correlation)
            // In the order one engine would have seen them first.
            let sorted = zip(keys, aggregates).sorted { $0.1.order < $1.1.order }
            keys = sorted.map(\.0)
            aggregates = sorted.map(\.1)
            positions = Dictionary(uniqueKeysWithValues: keys.enumerated().map { ($1, $0) })
        } else {
            ordinal += other.ordinal
        }
    }
}
