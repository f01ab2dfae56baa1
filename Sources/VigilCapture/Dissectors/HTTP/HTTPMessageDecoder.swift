internal import VigilCore

/// How the body after an HTTP head is to be read: the reader of the head decides (a request's
/// form body is kept, a response's body skipped).
struct HTTPBodyPlan {
    /// `Content-Length`, or `nil` when the head gives none.
    var length: Int?
    var chunked: Bool
    /// Hand the body on (only bodies of known length, up to 64 KiB, are kept; without a length
    /// and not chunked, the body runs to the connection's end and is skipped).
    var keep: Bool
}

/// One direction of HTTP/1.x: heads, then bodies by `Content-Length` or chunked encoding
/// (skipped where they lie, never copied unless kept), chunk sizes read from the bytes.
struct HTTPMessageDecoder: FrameDecoder {
    enum Frame {
        case head(HTTPHead)
        /// A kept body, whole.
        case body([UInt8])
    }

    private enum State {
        case head
        case body(remaining: Int, keep: Bool)
        case chunkSize
        case chunkData(remaining: Int)
        case chunkTrailer
        case untilClose
    }

    private var state = State.head
    private var kept: [UInt8] = []
    static let maxHead = 32 * 1024
    static let maxKeptBody = 64 * 1024
    static let maxChunkLine = 1024

    var limit: Int {
        if case .head = state { return Self.maxHead }
        return Self.maxChunkLine
    }

    mutating func decode(_ bytes: UnsafeRawBufferPointer) -> FrameStep<Frame> {
        switch state {
        case .head:
            guard let end = Self.headEnd(bytes) else { return .needMore }
            guard let head = HTTPHead.parse(bytes.slice(0, end.start)) else { return .stop }
            return .frame(.head(head), consumed: end.after)
        case .body(let remaining, let keep):
            let take = min(remaining, bytes.count)
            if keep { kept.append(contentsOf: bytes.prefix(take)) }
            guard take == remaining else {
                state = .body(remaining: remaining - take, keep: keep)
                return .skip(take)
            }
            state = .head
            guard keep else { return .skip(take) }
            let body = kept
            kept = []
            return .frame(.body(body), consumed: take)
        case .chunkSize, .chunkTrailer:
            guard let newline = bytes.index(of: 0x0A) else { return .needMore }
            var line = bytes.slice(0, newline)
            if line.last == 0x0D { line = line.slice(0, line.count - 1) }
            line = line.trimmed
            if case .chunkTrailer = state {
                if line.isEmpty { state = .head }
                return .skip(newline + 1)
            }
            guard let size = Self.chunkSize(line) else { return .stop }
            state = size == 0 ? .chunkTrailer : .chunkData(remaining: size + 2)
            return .skip(newline + 1)
        case .chunkData(let remaining):
            let take = min(remaining, bytes.count)
            state = take == remaining ? .chunkSize : .chunkData(remaining: remaining - take)
            return .skip(take)
        case .untilClose:
            return .skip(bytes.count)
        }
    }

    /// The reader's plan for the body of the head just decoded.
    mutating func received(_ plan: HTTPBodyPlan?) {
        guard let plan else { return }
        kept = []
        if plan.chunked {
            state = .chunkSize
        } else if let length = plan.length, length > 0 {
            state = .body(remaining: length, keep: plan.keep && length <= Self.maxKeptBody)
        } else if plan.length == nil && plan.keep {
            state = .untilClose
        } else {
            state = .head
        }
    }

    /// A chunk-size line's size: hexadecimal digits before any `;` extension (at most 12, so
    /// under 2^48); `nil` when it is not one.
    static func chunkSize(_ line: UnsafeRawBufferPointer) -> Int? {
        let digits = line.slice(0, line.index(of: 0x3B) ?? line.count).trimmed
        guard !digits.isEmpty, digits.count <= 12 else { return nil }
        var size = 0
        for byte in digits {
            let value: Int
            switch byte {
            case 0x30...0x39: value = Int(byte - 0x30)
            case 0x41...0x46, 0x61...0x66: value = Int((byte | 0x20) - 0x61 + 10)
            default: return nil
            }
            size = size << 4 | value
        }
        return size
    }

    /// Where the blank line ending a head starts, and where the bytes after it start.
    static func headEnd(_ bytes: UnsafeRawBufferPointer) -> (start: Int, after: Int)? {
        var from = 0
        while let index = bytes.index(of: 0x0A, from: from) {
            if index + 1 < bytes.count && bytes[index + 1] == 0x0A { return (index, index + 2) }
            if index + 2 < bytes.count && bytes[index + 1] == 0x0D && bytes[index + 2] == 0x0A {
                return (index, index + 3)
            }
            from = index + 1
        }
        return nil
    }
}
