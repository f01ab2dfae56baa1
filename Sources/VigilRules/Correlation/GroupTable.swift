/// The groups of one correlation (by the 64-bit hash of their group-by values), kept in the
/// order they were last touched, so that those whose time has passed leave first and memory
/// holds only live groups, whatever the length of the input.
///
/// Slots are reused through a free list; the touch order is a doubly linked list through the
/// slots (indices, not references: nothing here is reference counted per group). Every
/// operation is O(1) apart from the dictionary's hashing.
struct GroupTable<State> {
    struct Slot {
        var key: UInt64
        var previous: Int32
        var next: Int32
        var state: State
        /// Whether `state` is a reset state keeping its storage for the next group (else it is
        /// made anew when the slot is reused).
        var recycled = false
    }

    /// Free slots that keep their state's storage for reuse, at most: groups come and go all
    /// the time on a host under attack, and reusing their buffers saves an allocation and a
    /// free per group, while this bound keeps what free slots hold small.
    static var recycledLimit: Int { 4_096 }

    private(set) var slots: [Slot] = []
    private var index = HashIndex()
    private var free: [Int32] = []
    /// The least and the most recently touched slots (-1: none).
    private(set) var oldest: Int32 = -1
    private var newest: Int32 = -1

    var count: Int { index.count }

    /// The slot of `key`, made with `make` when new, and marked as the most recently touched.
    mutating func touch(_ key: UInt64, make: () -> State) -> Int32 {
        if let slot = index[key] {
            moveToNewest(slot)
            return slot
        }
        let slot: Int32
        if let reused = free.popLast() {
            slot = reused
            slots[Int(slot)].key = key
            slots[Int(slot)].previous = newest
            slots[Int(slot)].next = -1
            if !slots[Int(slot)].recycled { slots[Int(slot)].state = make() }
            slots[Int(slot)].recycled = false
        } else {
            slot = Int32(slots.count)
            slots.append(Slot(key: key, previous: newest, next: -1, state: make()))
        }
        if newest >= 0 { slots[Int(newest)].next = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
        index.set(key, slot)
        return slot
    }

    /// Changes the state of `slot` in place.
    @inline(__always)
    mutating func update<Result>(_ slot: Int32, _ body: (inout State) -> Result) -> Result {
        body(&slots[Int(slot)].state)
    }

    /// What `body` reads of the state of `slot`, read in place (no copy of the state, whose
    /// arrays would be retained and released).
    @inline(__always)
    func peek<Result>(_ slot: Int32, _ body: (borrowing State) -> Result) -> Result { body(slots[Int(slot)].state) }

    /// Removes the least recently touched group: its state is emptied by `reset` keeping its
    /// storage while few free slots do (``recycledLimit``), else replaced by `empty` (its
    /// storage goes now, not when the slot is reused).
    mutating func removeOldest(reset: (inout State) -> Void, replacingWith empty: @autoclosure () -> State) {
        guard oldest >= 0 else { return }
        let slot = oldest
        let key = slots[Int(slot)].key
        unlink(slot)
        index.remove(key)
        if free.count < Self.recycledLimit {
            reset(&slots[Int(slot)].state)
            slots[Int(slot)].recycled = true
        } else {
            slots[Int(slot)].state = empty()
            slots[Int(slot)].recycled = false
        }
        free.append(slot)
    }

    private mutating func moveToNewest(_ slot: Int32) {
        guard slot != newest else { return }
        unlink(slot)
        slots[Int(slot)].previous = newest
        slots[Int(slot)].next = -1
        if newest >= 0 { slots[Int(newest)].next = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
    }

    private mutating func unlink(_ slot: Int32) {
        let previous = slots[Int(slot)].previous
        let next = slots[Int(slot)].next
        if previous >= 0 { slots[Int(previous)].next = next } else { oldest = next }
        if next >= 0 { slots[Int(next)].previous = previous } else { newest = previous }
        slots[Int(slot)].previous = -1
        slots[Int(slot)].next = -1
    }
}

/// A map from 64-bit keys that are hashes already (FNV-1a of the group-by values) to slot
/// numbers: open addressing with linear probing on the key's own bits (no `Hasher` per
/// lookup), and deletion by shifting the following entries back (no tombstones, so a table
/// whose groups come and go for hours never degrades).
struct HashIndex {
    private var keys: [UInt64]
    /// The slot of each entry; -1 for an empty place.
    private var values: [Int32]
    private var mask: Int
    private(set) var count = 0

    init() {
        keys = Array(repeating: 0, count: 16)
        values = Array(repeating: -1, count: 16)
        mask = 15
    }

    /// Spreads the key's bits over the table (FNV-1a's low bits are its weakest).
    @inline(__always)
    private func home(_ key: UInt64) -> Int {
        Int(truncatingIfNeeded: ((key ^ (key >> 29)) &* 0xBF58_476D_1CE4_E5B9) >> 17) & mask
    }

    /// The slot of `key`, if present.
    subscript(key: UInt64) -> Int32? {
        var place = home(key)
        while true {
            let value = values[place]
            if value < 0 { return nil }
            if keys[place] == key { return value }
            place = (place + 1) & mask
        }
    }

    /// Sets the slot of `key` (new or not).
    mutating func set(_ key: UInt64, _ slot: Int32) {
        if (count + 1) * 4 > (mask + 1) * 3 { grow() }
        var place = home(key)
        while values[place] >= 0 {
            if keys[place] == key {
                values[place] = slot
                return
            }
            place = (place + 1) & mask
        }
        keys[place] = key
        values[place] = slot
        count += 1
    }

    /// Removes `key`, if present.
    mutating func remove(_ key: UInt64) {
        var place = home(key)
        while true {
            if values[place] < 0 { return }
            if keys[place] == key { break }
            place = (place + 1) & mask
        }
        // Shift back the entries after it whose home is not between the hole and them.
        var hole = place
        var next = (hole + 1) & mask
        while values[next] >= 0 {
            let wanted = home(keys[next])
            let distanceToNext = (next - wanted) & mask
            let distanceToHole = (hole - wanted) & mask
            if distanceToHole <= distanceToNext {
                keys[hole] = keys[next]
                values[hole] = values[next]
                hole = next
            }
            next = (next + 1) & mask
        }
        values[hole] = -1
        count -= 1
    }

    private mutating func grow() {
        let oldKeys = keys
        let oldValues = values
        let size = (mask + 1) * 2
        keys = Array(repeating: 0, count: size)
        values = Array(repeating: -1, count: size)
        mask = size - 1
        count = 0
        for index in oldValues.indices where oldValues[index] >= 0 { set(oldKeys[index], oldValues[index]) }
    }
}
