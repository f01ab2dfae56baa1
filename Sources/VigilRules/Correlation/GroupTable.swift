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
    }

    private(set) var slots: [Slot] = []
    private var index: [UInt64: Int32] = [:]
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
        let fresh = Slot(key: key, previous: newest, next: -1, state: make())
        if let reused = free.popLast() {
            slot = reused
            slots[Int(slot)] = fresh
        } else {
            slot = Int32(slots.count)
            slots.append(fresh)
        }
        if newest >= 0 { slots[Int(newest)].next = slot }
        newest = slot
        if oldest < 0 { oldest = slot }
        index[key] = slot
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

    /// Removes the least recently touched group.
    mutating func removeOldest(replacingWith empty: State) {
        guard oldest >= 0 else { return }
        let slot = oldest
        let key = slots[Int(slot)].key
        unlink(slot)
        index[key] = nil
        slots[Int(slot)].state = empty  // the old state's storage goes now, not when reused
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
