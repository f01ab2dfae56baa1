public import VigilCore

/// What a Sigma correlation counts.
public enum CorrelationType: String, Sendable, CaseIterable {
    /// Events of its rules in the window.
    case eventCount = "event_count"
    /// Distinct values of a field in the window.
    case valueCount = "value_count"
    /// Each of its rules, in any order, in the window.
    case temporal
    /// Each of its rules in the order given, within the window of the first.
    case temporalOrdered = "temporal_ordered"
}

/// A count condition of a correlation: one or more bounds, all of which must hold (`gt: 100`
/// and `lte: 200` is a range).
public struct CountCondition: Sendable, Equatable {
    /// A comparison of a count with a value (Sigma's `gt`, `gte`, `lt`, `lte`, `eq`, `neq`).
    public enum Bound: String, Sendable, CaseIterable { case gt, gte, lt, lte, eq, neq }
    public var bounds: [(bound: Bound, value: Int)]

    /// A condition holding when every bound holds.
    public init(bounds: [(bound: Bound, value: Int)]) { self.bounds = bounds }

    /// Whether more events can only help (`gt`, `gte` alone): then the window ending at the
    /// newest event is the fullest one containing it, and only it needs checking.
    var isMonotone: Bool { !bounds.isEmpty && bounds.allSatisfy { $0.bound == .gt || $0.bound == .gte } }

    /// The largest number a bound names (how many entries a group must keep to decide).
    var largestValue: Int { bounds.map(\.value).max() ?? 1 }

    /// The same bounds, in any order.
    public static func == (a: CountCondition, b: CountCondition) -> Bool {
        a.bounds.map { "\($0.bound)\($0.value)" } == b.bounds.map { "\($0.bound)\($0.value)" }
    }

    /// Whether `count` satisfies every bound.
    public func holds(_ count: Int) -> Bool {
        bounds.allSatisfy { bound, value in
            switch bound {
            case .gt: count > value
            case .gte: count >= value
            case .lt: count < value
            case .lte: count <= value
            case .eq: count == value
            case .neq: count != value
            }
        }
    }
}

/// An example sequence for a correlation rule (`vigil: tests:`): events a given number of
/// seconds apart and the number of findings the correlation must give.
public struct CorrelationExample: Sendable {
    public var name: String
    public var events: [Event]
    public var findings: Int
}
