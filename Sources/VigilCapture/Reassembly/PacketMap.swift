/// A key that hashes itself with a few multiplications, for tables consulted on every packet.
///
/// Swift's `Hasher` is SipHash, keyed per process to resist hash flooding: sound for
/// dictionaries fed by users, but several times the cost of the work a packet needs. A capture is
/// hostile input too, so ``PacketMap`` keeps its own defence: it seeds its mixing per table, and
/// it bounds its probe length (see ``PacketMap``).
protocol PacketKey: Equatable {
    /// Mixes the key's bits with `seed`; need not be uniform, ``PacketMap`` finishes it.
    func packetHash(_ seed: UInt64) -> UInt64
}

/// One 64-bit mixing step (multiply, then fold the high bits down), used to build ``PacketKey``
/// hashes. Chain it word by word from the seed (`mixHash(mixHash(seed, a), b)`): XOR-ing words
/// together before mixing lets correlated words (a MAC and an address numbered alike) cancel.
@inline(__always)
func mixHash(_ hash: UInt64, _ word: UInt64) -> UInt64 {
    let product = (hash ^ word).multipliedFullWidth(by: 0x9E37_79B9_7F4A_7C15)
    return product.high ^ product.low
}

/// An open-addressing hash map (linear probing, backward-shift deletion, load at most 1/2) for
/// the tables the packet path consults on every packet: connections and MAC/IP pairs.
///
/// Each table draws its own random seed, so an attacker who crafts addresses to collide in one
/// run cannot predict the next; and a lookup that probes unusually far triggers a rehash with a
/// new seed, so even a lucky collision set costs one rebuild, not quadratic time.
struct PacketMap<Key: PacketKey, Value> {
    /// Keys and values in separate arrays: a probe reads keys only (plain bits), never touching
    /// the values' reference counts.
    private var keys: [Key?]
    private var values: [Value?]
    private var mask: Int
    private var seed: UInt64
    private(set) var count = 0
    /// Insertions since the last rebuild: a rebuild for a long probe waits until the table has
    /// seen as many insertions as it holds, so that keys colliding under any seed cost amortised
    /// constant time rather than a rebuild each.
    private var insertions = 0

    init(capacity: Int = 16) {
        var size = 16
        while size < capacity * 2 { size <<= 1 }
        keys = Array(repeating: nil, count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
        seed = UInt64.random(in: 1...UInt64.max)
    }

    var isEmpty: Bool { count == 0 }

    @inline(__always)
    private func home(_ key: Key) -> Int {
        Int(truncatingIfNeeded: mixHash(key.packetHash(seed), seed)) & mask
    }

    /// The slot holding `key`, or the empty slot where it would go, and how far it probed.
    @inline(__always)
    private func find(_ key: Key) -> (index: Int, found: Bool, distance: Int) {
        var index = home(key)
        var distance = 0
        while let candidate = keys[index] {
            if candidate == key { return (index, true, distance) }
            index = (index + 1) & mask
            distance += 1
        }
        return (index, false, distance)
    }

    subscript(key: Key) -> Value? {
        get {
            let place = find(key)
            return place.found ? values[place.index] : nil
        }
        set {
            let place = find(key)
            if let newValue {
                if place.found {
                    values[place.index] = newValue
                    return
                }
                keys[place.index] = key
                values[place.index] = newValue
                count += 1
                insertions += 1
                if count * 2 > keys.count {
                    rebuild(size: keys.count * 2)
                } else if place.distance > 64 && insertions > count {
                    rebuild(size: keys.count)  // a pathological cluster: new seed, same size
                }
            } else if place.found {
                remove(at: place.index)
            }
        }
    }

    /// Changes the value for `key` in place, if present; returns whether it was.
    @inline(__always)
    mutating func update(_ key: Key, _ change: (inout Value) -> Void) -> Bool {
        let place = find(key)
        guard place.found else { return false }
        change(&values[place.index]!)
        return true
    }

    /// Every value, in table order (not insertion order: sort when order matters).
    var allValues: [Value] { values.compactMap { $0 } }

    /// Every key and value, in table order.
    var entries: [(key: Key, value: Value)] {
        keys.indices.compactMap { index in keys[index].map { ($0, values[index]!) } }
    }

    /// Removes every entry for whose value `remove` is true.
    mutating func removeAll(where remove: (Value) -> Bool) {
        let kept = entries.filter { !remove($0.value) }
        guard kept.count != count else { return }
        rebuild(size: keys.count, entries: kept)
    }

    private mutating func remove(at start: Int) {
        keys[start] = nil
        values[start] = nil
        count -= 1
        // Backward shift: move later members of the cluster into the hole when their home
        // position allows, so that no lookup ever stops early at it.
        var hole = start
        var index = (start + 1) & mask
        while let key = keys[index] {
            let homeIndex = home(key)
            let distanceFromHome = (index - homeIndex) & mask
            let distanceFromHole = (index - hole) & mask
            if distanceFromHome >= distanceFromHole {
                keys[hole] = key
                values.swapAt(hole, index)
                keys[index] = nil
                hole = index
            }
            index = (index + 1) & mask
        }
    }

    private mutating func rebuild(size: Int, entries given: [(key: Key, value: Value)]? = nil) {
        let all = given ?? entries
        keys = Array(repeating: nil, count: size)
        values = Array(repeating: nil, count: size)
        mask = size - 1
        seed = UInt64.random(in: 1...UInt64.max)
        count = 0
        insertions = 0
        for (key, value) in all {
            let place = find(key)
            keys[place.index] = key
            values[place.index] = value
            count += 1
        }
    }
}
