import Foundation
import Testing
import VigilCore
import VigilCrypto
import VigilRules
import VigilTestSupport

@testable import VigilCapture

@Suite("The packet path's hash table")
struct PacketMapTests {
    /// Random inserts, updates and removals agree with `Dictionary` at every step.
    @Test func agreesWithDictionary() {
        var map = PacketMap<NumberKey, Int>()
        var reference: [NumberKey: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for step in 0..<20_000 {
            let key = NumberKey(value: UInt64.random(in: 0..<600, using: &generator))
            switch Int.random(in: 0..<4, using: &generator) {
            case 0, 1:
                map[key] = step
                reference[key] = step
            case 2:
                map[key] = nil
                reference[key] = nil
            default:
                _ = map.update(key) { $0 += 1 }
                if reference[key] != nil { reference[key]! += 1 }
            }
            #expect(map[key] == reference[key])
        }
        #expect(map.count == reference.count)
        for (key, value) in reference { #expect(map[key] == value) }
        #expect(Set(map.entries.map(\.key)) == Set(reference.keys))
        map.removeAll { $0 % 2 == 0 }
        #expect(map.count == reference.values.filter { $0 % 2 != 0 }.count)
    }

    /// Keys that all collide still work, in bounded time (the rebuilds for long probes are
    /// amortised, not repeated on every insertion).
    @Test(.timeLimit(.minutes(1))) func collidingKeysStayCorrect() {
        var map = PacketMap<CollidingKey, Int>()
        for value in 0..<2_000 { map[CollidingKey(value: value)] = value }
        for value in stride(from: 0, to: 2_000, by: 3) { map[CollidingKey(value: value)] = nil }
        for value in 0..<2_000 {
            #expect(map[CollidingKey(value: value)] == (value % 3 == 0 ? nil : value))
        }
    }
}

/// A key whose hash ignores the table's seed and collides for every value: the worst case an
/// attacker could hope to craft.
private struct CollidingKey: PacketKey, Hashable {
    var value: Int
    func packetHash(_ seed: UInt64) -> UInt64 { 42 }
}

private struct NumberKey: PacketKey, Hashable {
    var value: UInt64
    func packetHash(_ seed: UInt64) -> UInt64 { mixHash(seed, value) }
}
