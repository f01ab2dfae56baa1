internal import Foundation

/// A table of names interned to small integers, shared by every thread: rules intern the field
/// names they use when they load, sources the fields they produce and the inputs they read, so
/// an event carries numbers and a rule compares numbers.
///
/// Reading a name is lock-free: names live in blocks that are never moved or freed, and a
/// number is handed out only after its name is stored (under the lock, whose release publishes
/// the store). Interning takes the lock.
final class NameTable: @unchecked Sendable {
    /// The most names the table holds.
    let capacity: Int
    private static let blockSize = 4096
    private let blocks: UnsafeMutablePointer<UnsafeMutablePointer<String>?>
    private var count = 0
    private var numbers: [String: UInt32] = [:]
    private let lock = NSLock()

    init(_ initial: [String], capacity: Int) {
        self.capacity = capacity
        let blockCount = (capacity + Self.blockSize - 1) / Self.blockSize
        blocks = .allocate(capacity: blockCount)
        blocks.initialize(repeating: nil, count: blockCount)
        for name in initial { _ = intern(name) }
    }

    /// The number of `name`, given one if it has none yet; `nil` only when the table is full.
    func intern(_ name: String) -> UInt32? {
        lock.lock()
        defer { lock.unlock() }
        if let number = numbers[name] { return number }
        guard count < capacity else { return nil }
        let block = count / Self.blockSize
        if blocks[block] == nil { blocks[block] = .allocate(capacity: Self.blockSize) }
        (blocks[block]! + count % Self.blockSize).initialize(to: name)
        let number = UInt32(count)
        numbers[name] = number
        count += 1
        return number
    }

    /// The number of `name`, if it has one.
    func number(of name: String) -> UInt32? {
        lock.lock()
        defer { lock.unlock() }
        return numbers[name]
    }

    /// The name of `number` (handed out by this table).
    func name(_ number: UInt32) -> String {
        blocks[Int(number) / Self.blockSize]![Int(number) % Self.blockSize]
    }

    /// How many names the table holds.
    var size: Int {
        lock.lock()
        defer { lock.unlock() }
        return count
    }
}

/// An input an event was read from (a capture, a log), interned: an event carries its number,
/// and its path only when something shows it. Up to 16 million inputs per process.
public struct InputID: Hashable, Sendable, CustomStringConvertible {
    /// The input's number.
    public let number: UInt32

    static let table = NameTable([""], capacity: 1 << 24)

    /// The input named `path` (as the user named it), interned on first use; an audit of more
    /// than 16 million inputs shares the last number (their evidence is named wrongly, never lost).
    public init(path: String) { number = Self.table.intern(path) ?? UInt32(Self.table.capacity - 1) }

    /// The input's path, as the user named it.
    public var path: String { Self.table.name(number) }
    public var description: String { path }
}
