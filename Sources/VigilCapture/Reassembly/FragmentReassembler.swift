internal import VigilCore

/// Puts fragmented IPv4 datagrams back together (RFC 791, RFC 815), within bounds.
///
/// Pieces are copied until the datagram is whole; the first copy of any byte wins over later
/// overlapping ones. At most `maxDatagrams` are pending, each at most 65,535 bytes, and a
/// datagram not completed within `timeout` of its first piece is dropped.
final class FragmentReassembler {
    private struct Pending {
        var pieces: [(offset: Int, bytes: [UInt8])] = []
        var total: Int?
        var held = 0
        var firstSeen: Timestamp
    }

    private var pending: [FragmentKey: Pending] = [:]
    private let maxDatagrams: Int
    private let timeout: Int64
    private(set) var dropped = 0

    init(maxDatagrams: Int = 1024, timeoutSeconds: Int64 = 30) {
        self.maxDatagrams = maxDatagrams
        self.timeout = timeoutSeconds * 1_000_000_000
    }

    /// Adds a piece; returns the whole datagram's payload when this piece completes it.
    func add(_ fragment: IPv4Fragment, time: Timestamp) -> [UInt8]? {
        guard fragment.offset + fragment.data.count <= 65_535 else { return nil }
        if pending[fragment.key] == nil {
            if pending.count >= maxDatagrams { expire(before: time.nanoseconds - timeout) }
            if pending.count >= maxDatagrams {
                dropped += 1
                return nil
            }
            pending[fragment.key] = Pending(firstSeen: time)
        }
        guard var entry = pending[fragment.key] else { return nil }
        entry.pieces.append((fragment.offset, Array(fragment.data)))
        entry.held += fragment.data.count
        if !fragment.moreFragments { entry.total = fragment.offset + fragment.data.count }
        guard let total = entry.total, entry.held >= total else {
            pending[fragment.key] = entry
            return nil
        }
        // Enough bytes: check that they cover [0, total) and assemble, first copy winning.
        var whole = [UInt8](repeating: 0, count: total)
        var filled = [Bool](repeating: false, count: total)
        for piece in entry.pieces {
            for (index, byte) in piece.bytes.enumerated() where piece.offset + index < total {
                if !filled[piece.offset + index] {
                    whole[piece.offset + index] = byte
                    filled[piece.offset + index] = true
                }
            }
        }
        guard filled.allSatisfy({ $0 }) else {
            pending[fragment.key] = entry
            return nil
        }
        pending[fragment.key] = nil
        return whole
    }

    private func expire(before cutoff: Int64) {
        let stale = pending.filter { $0.value.firstSeen.nanoseconds < cutoff }.map(\.key)
        dropped += stale.count
        for key in stale { pending[key] = nil }
    }
}
