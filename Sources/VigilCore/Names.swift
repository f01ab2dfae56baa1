internal import Foundation

/// A table of names interned to small integers, shared by every thread: rules intern the field
/// names they use when they load, sources the fields they produce, so an event carries numbers
/// and a rule compares numbers. Reading a name is lock-free: a number is handed out only after
/// its name is stored, and names are never removed or moved.
final class NameTable: @unchecked Sendable {
    /// The most names one table holds (field names and event kinds come from rules and
    /// sources: a few thousand at most, even with every SigmaHQ rule loaded).
    static let capacity = 1 << 16
    private let names: UnsafeMutablePointer<String>
    private var count = 0
    private var numbers: [String: UInt16] = [:]
    private let lock = NSLock()

    init(_ initial: [String]) {
        names = .allocate(capacity: Self.capacity)
        for name in initial { _ = intern(name) }
    }

    /// The number of `name`, given one if it has none yet; `nil` only when the table is full.
    func intern(_ name: String) -> UInt16? {
        lock.lock()
        defer { lock.unlock() }
        if let number = numbers[name] { return number }
        guard count < Self.capacity else { return nil }
        (names + count).initialize(to: name)
        let number = UInt16(count)
        numbers[name] = number
        count += 1
        return number
    }

    /// The number of `name`, if it has one.
    func number(of name: String) -> UInt16? {
        lock.lock()
        defer { lock.unlock() }
        return numbers[name]
    }

    /// The name of `number` (handed out by this table).
    func name(_ number: UInt16) -> String { names[Int(number)] }

    /// Every name, in number order.
    var all: [String] {
        lock.lock()
        defer { lock.unlock() }
        return (0..<count).map { names[$0] }
    }
}
