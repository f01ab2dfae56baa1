internal import VigilCore

#if canImport(Glibc)
    internal import Glibc
#endif

/// One value test of a Sigma field selection, compiled from a value and its modifiers.
///
/// Comparisons are ASCII case-insensitive unless the rule says `|cased`, and never allocate.
enum ValueMatcher: Sendable {
    case equals([UInt8], cased: Bool)
    case contains([UInt8], cased: Bool)
    case startsWith([UInt8], cased: Bool)
    case endsWith([UInt8], cased: Bool)
    /// Sigma's `*` and `?` wildcards.
    case wildcard([WildcardToken], cased: Bool)
    case regex(PosixRegex)
    /// `null` in a rule: the field is absent or empty.
    case absent
    case exists(Bool)
    case compare(Comparison, Double)
    case notEqual([UInt8], cased: Bool)
    /// `|cidr`: an IPv4 or IPv6 address inside a network.
    case cidr(CIDR)
    /// Any of these (the alignments of `|base64offset`, the spellings of `|windash`).
    indirect case anyOf([ValueMatcher])
    /// `|fieldref`: this field compared with another field of the same event.
    case reference(Field, ReferenceTest, negated: Bool, cased: Bool)
    /// `|hour`, `|day`…: a number of the field's date (the event's time for `timestamp`),
    /// tested by the inner matcher.
    indirect case time(TimePart, ValueMatcher)

    enum Comparison: Sendable { case lt, lte, gt, gte }
    /// How `|fieldref` compares the two fields.
    enum ReferenceTest: Sendable { case equals, contains, startsWith, endsWith }
    /// A part of a date, as Sigma's time modifiers name them (in UTC; `week` is the ISO week).
    enum TimePart: String, CaseIterable, Sendable {
        case minute, hour, day, week, month, year

        /// This part of `time`, in UTC.
        func of(_ time: Timestamp) -> Int {
            var seconds = time_t(time.seconds)
            var parts = tm()
            guard gmtime_r(&seconds, &parts) != nil else { return -1 }
            switch self {
            case .minute: return Int(parts.tm_min)
            case .hour: return Int(parts.tm_hour)
            case .day: return Int(parts.tm_mday)
            case .month: return Int(parts.tm_mon) + 1
            case .year: return Int(parts.tm_year) + 1900
            case .week:
                var text = [CChar](repeating: 0, count: 4)
                guard strftime(&text, text.count, "%V", &parts) > 0 else { return -1 }
                return Int(String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) ?? -1
            }
        }
    }
    enum WildcardToken: Equatable, Sendable {
        case literal(UInt8)
        case any
        case one
    }

    /// Whether this keyword is in the event's raw record (`log.message`: a log line, header
    /// included, whose fields are read from it), or, for an event without one (a capture's), in
    /// any of its field values. A source that sets `log.message` itself is searched there too.
    func matchesAnywhere(in event: Event) -> Bool {
        guard let text = event.text else { return event.fields.contains { matches($0.value) } }
        if text.withBytes({ matches(bytes: $0) }) { return true }
        return event.fields.contains { $0.field == .logMessage && matches($0.value) }
    }

    /// Whether the value of `field` in `event` matches: the tests that read other fields of the
    /// event (`fieldref`) or its time get them here.
    func matches(_ field: Field?, in event: Event) -> Bool {
        switch self {
        case .reference(let other, let test, let negated, let cased):
            guard let field, let value = event[field], let reference = event[other] else { return negated }
            let pattern = Self.withBytes(reference) { Array($0).map { cased ? $0 : Self.fold($0) } }
            let found = Self.withBytes(value) { bytes in
                switch test {
                case .equals: Self.equal(bytes, pattern, cased: cased)
                case .contains: Self.find(pattern, in: bytes, cased: cased)
                case .startsWith:
                    bytes.count >= pattern.count
                        && Self.equal(UnsafeBufferPointer(rebasing: bytes[..<pattern.count]), pattern, cased: cased)
                case .endsWith:
                    bytes.count >= pattern.count
                        && Self.equal(
                            UnsafeBufferPointer(rebasing: bytes[(bytes.count - pattern.count)...]), pattern,
                            cased: cased)
                }
            }
            return found != negated
        case .time(let part, let inner):
            guard let date = Self.date(of: field, in: event) else { return false }
            return inner.matches(.int(Int64(part.of(date))))
        case .anyOf(let matchers):
            return matchers.contains { $0.matches(field, in: event) }
        default:
            return matches(field.flatMap { event[$0] })
        }
    }

    /// Whether this matcher needs the whole event rather than the field's value.
    var readsEvent: Bool {
        switch self {
        case .reference, .time: true
        case .anyOf(let matchers): matchers.contains(where: \.readsEvent)
        default: false
        }
    }

    /// The date a time modifier reads: the event's own time for `timestamp` (`@timestamp`),
    /// else the field's value as an ISO 8601 date or seconds since 1970.
    private static func date(of field: Field?, in event: Event) -> Timestamp? {
        guard let field, field != .timestamp else { return event.time }
        guard let value = event[field] else { return nil }
        if case .int(let seconds) = value { return Timestamp(seconds: Int64(seconds)) }
        let text = value.description
        if let seconds = Int64(text) { return Timestamp(seconds: seconds) }
        return Timestamp(iso8601: text)
    }

    /// Whether these bytes (a text value) match.
    func matches(bytes raw: UnsafeRawBufferPointer) -> Bool {
        switch self {
        case .absent: return raw.isEmpty
        case .exists(let wanted): return wanted
        case .anyOf(let matchers): return matchers.contains { $0.matches(bytes: raw) }
        case .reference, .time: return false
        case .compare, .notEqual, .cidr:
            return matches(FieldValue.string(String(decoding: raw, as: UTF8.self)))
        default:
            return test(raw.assumingMemoryBound(to: UInt8.self), .bool(false))
        }
    }

    func matches(_ value: FieldValue?) -> Bool {
        switch self {
        case .absent:
            guard let value else { return true }
            return value.description.isEmpty
        case .exists(let wanted):
            return (value != nil) == wanted
        case .compare(let comparison, let bound):
            guard let value, let number = Self.number(value) else { return false }
            switch comparison {
            case .lt: return number < bound
            case .lte: return number <= bound
            case .gt: return number > bound
            case .gte: return number >= bound
            }
        case .notEqual(let pattern, let cased):
            guard let value else { return true }
            return !Self.withBytes(value) { Self.equal($0, pattern, cased: cased) }
        case .cidr(let network):
            guard let value else { return false }
            if case .address(let address) = value { return network.contains(address) }
            return network.contains(value.description)
        case .anyOf(let matchers):
            return matchers.contains { $0.matches(value) }
        case .reference, .time:
            return false
        default:
            guard let value else { return false }
            return Self.withBytes(value) { bytes in test(bytes, value) }
        }
    }

    private func test(_ bytes: UnsafeBufferPointer<UInt8>, _ value: FieldValue) -> Bool {
        switch self {
        case .equals(let pattern, let cased): return Self.equal(bytes, pattern, cased: cased)
        case .contains(let pattern, let cased): return Self.find(pattern, in: bytes, cased: cased)
        case .startsWith(let pattern, let cased):
            return bytes.count >= pattern.count
                && Self.equal(UnsafeBufferPointer(rebasing: bytes[..<pattern.count]), pattern, cased: cased)
        case .endsWith(let pattern, let cased):
            return bytes.count >= pattern.count
                && Self.equal(
                    UnsafeBufferPointer(rebasing: bytes[(bytes.count - pattern.count)...]), pattern, cased: cased)
        case .wildcard(let tokens, let cased): return Self.glob(tokens[...], bytes[...], cased: cased)
        case .regex(let regex): return regex.matches(bytes)
        default: return false
        }
    }

    private static func withBytes<R>(_ value: FieldValue, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        switch value {
        case .string(var text):
            return text.withUTF8(body)
        case .text(let text):
            return text.withBytes { body($0.assumingMemoryBound(to: UInt8.self)) }
        default:
            var text = value.description
            return text.withUTF8(body)
        }
    }

    private static func number(_ value: FieldValue) -> Double? {
        switch value {
        case .int(let number): Double(number)
        case .string(let text): Double(text)
        case .text(let text): Double(text.string)
        case .bool, .address: nil
        }
    }

    @inline(__always)
    static func fold(_ byte: UInt8) -> UInt8 { byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte }

    private static func equal(_ bytes: UnsafeBufferPointer<UInt8>, _ pattern: [UInt8], cased: Bool) -> Bool {
        guard bytes.count == pattern.count else { return false }
        if cased { return bytes.elementsEqual(pattern) }
        for index in 0..<pattern.count where fold(bytes[index]) != pattern[index] { return false }
        return true
    }

    private static func find(_ pattern: [UInt8], in bytes: UnsafeBufferPointer<UInt8>, cased: Bool) -> Bool {
        guard pattern.count <= bytes.count else { return false }
        if pattern.isEmpty { return true }
        var start = 0
        while start + pattern.count <= bytes.count {
            var index = 0
            while index < pattern.count
                && (cased ? bytes[start + index] : fold(bytes[start + index])) == pattern[index]
            {
                index += 1
            }
            if index == pattern.count { return true }
            start += 1
        }
        return false
    }

    private static func glob(
        _ tokens: ArraySlice<WildcardToken>, _ bytes: Slice<UnsafeBufferPointer<UInt8>>, cased: Bool
    ) -> Bool {
        var t = tokens.startIndex
        var b = bytes.startIndex
        var starToken: Int?
        var starByte = 0
        while b < bytes.endIndex {
            if t < tokens.endIndex {
                switch tokens[t] {
                case .any:
                    starToken = t
                    starByte = b
                    t += 1
                    continue
                case .one:
                    t += 1
                    b += 1
                    continue
                case .literal(let expected):
                    if (cased ? bytes[b] : fold(bytes[b])) == expected {
                        t += 1
                        b += 1
                        continue
                    }
                }
            }
            guard let star = starToken else { return false }
            t = star + 1
            starByte += 1
            b = starByte
        }
        while t < tokens.endIndex, tokens[t] == .any { t += 1 }
        return t == tokens.endIndex
    }
}

/// A network for `|cidr`: an address and a prefix length, IPv4 or IPv6.
struct CIDR: Sendable {
    private let network: IPAddress
    private let prefix: Int

    init?(_ text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let address = IPAddress(String(parts[0])) else { return nil }
        let bits = address.isIPv4 ? 32 : 128
        let length = parts.count == 2 ? Int(parts[1]) : bits
        guard let length, length >= 0, length <= bits else { return nil }
        network = address
        prefix = length
    }

    /// Whether `text` is an address of this network (of the same family).
    func contains(_ text: String) -> Bool {
        guard let address = IPAddress(text) else { return false }
        return contains(address)
    }

    /// Whether `address` is of this network (of the same family).
    func contains(_ address: IPAddress) -> Bool {
        guard address.isIPv4 == network.isIPv4 else { return false }
        return address.withBytes { address in
            network.withBytes { network in
                var remaining = prefix
                for index in 0..<network.count where remaining > 0 {
                    let bits = min(8, remaining)
                    let mask = UInt8(truncatingIfNeeded: 0xFF << (8 - bits))
                    if address[index] & mask != network[index] & mask { return false }
                    remaining -= bits
                }
                return true
            }
        }
    }
}
