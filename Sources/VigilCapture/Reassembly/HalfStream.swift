internal import VigilCore

/// Signed distance from `b` to `a` in TCP's 32-bit wrapping sequence space.
@inline(__always)
func sequenceDistance(_ a: UInt32, _ b: UInt32) -> Int32 { Int32(bitPattern: a &- b) }

/// One direction of a TCP connection, put back into sequence order.
///
/// In-order data is handed on at once without copying. Data ahead of a hole is copied and held,
/// up to `limit` bytes; past that the hole is declared lost (the session is told of a gap) and
/// delivery resumes after it, so a lossy capture costs a bounded buffer, never an unbounded one.
/// Retransmitted and overlapping bytes are trimmed: the first copy seen wins.
struct HalfStream {
    private struct Held {
        var sequence: UInt32
        var bytes: [UInt8]
        var packet: Int
        var time: Timestamp
    }

    /// The sequence number of the next byte to deliver; `nil` before any SYN or data.
    private(set) var next: UInt32?
    private var held: [Held] = []
    private(set) var heldBytes = 0
    /// Set when a FIN or RST has been seen in this direction.
    var closed = false

    /// What the stream hands to its consumer.
    enum Output {
        case data(UnsafeRawBufferPointer, packet: Int, time: Timestamp)
        /// Bytes were lost before the next delivery.
        case gap
    }

    /// Takes one segment. Returns `true` if the held bytes went over `limit` and a hole was skipped.
    mutating func accept(
        sequence rawSequence: UInt32, flags: UInt8, payload: UnsafeRawBufferPointer, packet: Int, time: Timestamp,
        limit: Int, deliver: (Output) -> Void
    ) -> Bool {
        var sequence = rawSequence
        if flags & TCPFlag.syn != 0 {
            sequence = rawSequence &+ 1
            if next == nil || held.isEmpty { next = sequence }
        }
        if flags & (TCPFlag.fin | TCPFlag.rst) != 0 { closed = true }
        guard !payload.isEmpty else { return false }
        guard let expected = next else {
            // Mid-stream start: the first data seen defines the stream's origin.
            next = sequence &+ UInt32(payload.count)
            deliver(.data(payload, packet: packet, time: time))
            return false
        }
        let distance = sequenceDistance(sequence, expected)
        if distance <= 0 {
            let skip = Int(-Int64(distance))
            guard skip < payload.count else { return false }  // a pure retransmission
            let fresh = payload.slice(skip, payload.count)
            next = expected &+ UInt32(fresh.count)
            deliver(.data(fresh, packet: packet, time: time))
            drain(deliver: deliver)
            return false
        }
        hold(Held(sequence: sequence, bytes: Array(payload), packet: packet, time: time))
        guard heldBytes > limit else { return false }
        skipHole(deliver: deliver)
        return true
    }

    /// Delivers everything held, declaring each remaining hole a gap. Called when the flow ends.
    mutating func flush(deliver: (Output) -> Void) {
        while !held.isEmpty { skipHole(deliver: deliver) }
    }

    private mutating func hold(_ segment: Held) {
        let position =
            held.firstIndex { sequenceDistance($0.sequence, segment.sequence) > 0 } ?? held.endIndex
        held.insert(segment, at: position)
        heldBytes += segment.bytes.count
    }

    private mutating func skipHole(deliver: (Output) -> Void) {
        guard let first = held.first else { return }
        deliver(.gap)
        next = first.sequence
        drain(deliver: deliver)
    }

    private mutating func drain(deliver: (Output) -> Void) {
        while let first = held.first, let expected = next {
            let distance = sequenceDistance(first.sequence, expected)
            guard distance <= 0 else { return }
            held.removeFirst()
            heldBytes -= first.bytes.count
            let skip = Int(-Int64(distance))
            guard skip < first.bytes.count else { continue }
            next = expected &+ UInt32(first.bytes.count - skip)
            first.bytes.withUnsafeBytes { buffer in
                deliver(.data(buffer.slice(skip, buffer.count), packet: first.packet, time: first.time))
            }
        }
    }
}
