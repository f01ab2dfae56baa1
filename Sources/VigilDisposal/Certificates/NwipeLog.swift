internal import Foundation
public import VigilCore
internal import VigilCrypto

#if canImport(Glibc)
    import Glibc
#endif

/// What nwipe's log (`--logfile`) says of a wipe: version, method, rounds, verification, the
/// devices it wiped with their status and errors, and when.
public struct NwipeLog: Sendable, Equatable {
    /// One device's outcome.
    public struct Device: Sendable, Equatable {
        public var path: String
        /// From the Drive Status table: `Erased`, `FAILED`, `UNABLE`, ...
        public var status: String?
        public var passErrors: Int
        public var verificationErrors: Int
        public var syncErrors: Int
        /// nwipe's own verification read the device back and said so.
        public var verified: Bool
        /// A final blanking pass (zeros) ran and succeeded.
        public var blanked: Bool
        /// The last round finished.
        public var finished: Bool
        /// The size in bytes nwipe found (`sect/blk/dev` line).
        public var size: Int64?
        /// Model and serial number, as nwipe read them (`Found …` line, `has serial number`).
        public var model: String?
        public var serial: String?
    }

    public var version: String?
    public var method: String?
    public var rounds: Int?
    /// `off`, `last pass`, `all passes`.
    public var verify: String?
    public var prng: String?
    public var started: String?
    public var ended: String?
    public var devices: [Device]
    /// SHA-256 of the log file as read.
    public var sha256: String

    /// Reads nwipe's log at `path`.
    public init(path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw VigilError(.unreadable, path: path, reason: "cannot read the nwipe log")
        }
        try self.init(bytes: Array(data), path: path)
    }

    /// nwipe's log `bytes`, read from `path` (named in errors).
    public init(bytes: [UInt8], path: String) throws {
        sha256 = (try? SHA256.hex(bytes)) ?? ""
        devices = []
        // Serial numbers of some devices are raw bytes: decode leniently.
        let text = String(decoding: bytes, as: UTF8.self)
        var byPath: [String: Device] = [:]
        var order: [String] = []
        func device(_ path: String) -> Device {
            if let found = byPath[path] { return found }
            order.append(path)
            return Device(
                path: path, status: nil, passErrors: 0, verificationErrors: 0, syncErrors: 0, verified: false,
                blanked: false, finished: false, size: nil, model: nil, serial: nil)
        }
        var sawBanner = false
        var section = ""
        for raw in text.split(separator: "\n", omittingEmptySubsequences: false) {
            let line = String(raw)
            var time: String?
            var message = line
            if line.hasPrefix("["), let close = line.firstIndex(of: "]") {
                time = String(line[line.index(after: line.startIndex)..<close])
                message = String(line[line.index(after: close)...]).trimmingCharacters(in: .whitespaces)
                if let colon = message.firstIndex(of: ":"), message[..<colon].allSatisfy({ $0.isLetter }) {
                    message = String(message[message.index(after: colon)...]).trimmingCharacters(in: .whitespaces)
                }
            }
            func option(_ name: String) -> String? {
                guard message.hasPrefix(name) else { return nil }
                let rest = message.dropFirst(name.count).trimmingCharacters(in: .whitespaces)
                guard rest.hasPrefix("=") else { return nil }
                return rest.dropFirst().trimmingCharacters(in: .whitespaces)
            }
            if let value = option("banner") {
                version = value
                sawBanner = true
            } else if let value = option("method") {
                method = value
            } else if let value = option("rounds") {
                rounds = Int(value)
            } else if let value = option("prng") {
                prng = value
            } else if let value = option("verify") {
                // `1 (last pass)`: the words in brackets.
                if let open = value.firstIndex(of: "("), let close = value.lastIndex(of: ")"), close > open {
                    verify = String(value[value.index(after: open)..<close])
                } else {
                    verify = value
                }
            } else if message.hasPrefix("Found /dev/"), let path = Self.device(in: message) {
                // `Found /dev/sdb, ATA, Samsung SSD 860, 500 GB, S/N=S3Z9NB0K123456`
                var entry = device(path)
                let cells = message.split(separator: ",", omittingEmptySubsequences: false).map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                if cells.count >= 5 { entry.model = cells[2].isEmpty ? nil : cells[2] }
                if let last = cells.last, last.hasPrefix("S/N=") {
                    let serial = last.dropFirst(4).trimmingCharacters(in: .whitespaces)
                    entry.serial = serial.isEmpty ? nil : serial
                }
                byPath[path] = entry
            } else if message.hasPrefix("/dev/"), message.contains(" has serial number "),
                let path = Self.device(in: message)
            {
                var entry = device(path)
                let serial = message.components(separatedBy: " has serial number ").last?
                    .trimmingCharacters(in: .whitespaces)
                if let serial, !serial.isEmpty { entry.serial = serial }
                byPath[path] = entry
            } else if message.hasPrefix("/dev/"), let range = message.range(of: ", sect/blk/dev "),
                let path = Self.device(in: message)
            {
                // `/dev/sdb, sect/blk/dev 512/4096/500107862016`: the last number is the size.
                var entry = device(path)
                entry.size = message[range.upperBound...].split(separator: "/").last.flatMap {
                    Int64($0.trimmingCharacters(in: .whitespaces))
                }
                byPath[path] = entry
            } else if message.hasPrefix("Starting round"), let path = Self.device(in: message) {
                if started == nil { started = time }
                byPath[path] = device(path)
            } else if message.hasPrefix("Finished final round"), let path = Self.device(in: message) {
                var entry = device(path)
                entry.finished = true
                byPath[path] = entry
                ended = time ?? ended
            } else if message.hasPrefix("[SUCCESS] Verified that"), let path = Self.device(in: message) {
                var entry = device(path)
                entry.verified = true
                byPath[path] = entry
                ended = time ?? ended
            } else if message.hasPrefix("[SUCCESS] Blanked device"), let path = Self.device(in: message) {
                var entry = device(path)
                entry.blanked = true
                byPath[path] = entry
                ended = time ?? ended
            } else if line.contains("Error Summary") {
                section = "errors"
            } else if line.contains("Drive Status") {
                section = "status"
            } else if line.contains("|") && !line.contains("Device |") {
                let cells = line.trimmingCharacters(in: CharacterSet(charactersIn: "! ")).split(separator: "|").map {
                    $0.trimmingCharacters(in: .whitespaces)
                }
                guard let name = cells.first, !name.isEmpty else { continue }
                // The device's last path component, in Swift: NSString's traps on some byte soup.
                let path = order.first { $0.split(separator: "/").last.map(String.init) == name } ?? "/dev/" + name
                var entry = device(path)
                if section == "errors", cells.count >= 4 {
                    entry.passErrors = Int(cells[1]) ?? 0
                    entry.verificationErrors = Int(cells[2]) ?? 0
                    entry.syncErrors = Int(cells[3]) ?? 0
                } else if section == "status", cells.count >= 2 {
                    entry.status = cells[1].trimmingCharacters(in: CharacterSet(charactersIn: "-"))
                }
                byPath[path] = entry
            }
        }
        guard sawBanner || method != nil else {
            throw VigilError(.corrupt, path: path, reason: "not an nwipe log (no banner or method line)")
        }
        devices = order.compactMap { byPath[$0] }
    }

    /// The device `/dev/…` named at the end of a message (`… on /dev/sdb`, `… device /dev/sdb`).
    private static func device(in message: String) -> String? {
        guard let range = message.range(of: "/dev/") else { return nil }
        let rest = message[range.lowerBound...]
        var path = String(rest.prefix { $0 != " " && $0 != "'" && $0 != "," })
        while path.hasSuffix(".") { path.removeLast() }
        return path
    }

    /// What the wipe left on the medium: zeros after a blanking pass or a zero fill, ones after
    /// a one fill, else random data (PRNG and multi-pass methods without blanking); `nil` for
    /// the verify-only methods, which write nothing.
    public var leaves: ExpectedContent? {
        guard let method = method?.lowercased() else { return nil }
        if method.hasPrefix("verify") { return nil }
        if devices.contains(where: \.blanked) || method.contains("zero") { return .zero }
        if method.contains("one") { return .ones }
        return .random
    }

    /// How long before a verification the wipe it relies on may have ended, by default: 72 hours.
    public static let defaultMaxAge: Int64 = 72 * 3600
    /// How far the wiping machine's clock may be ahead of this one's: 60 seconds.
    public static let clockTolerance: Int64 = 60

    /// Every reason this log cannot stand behind a certificate for `target` verified against
    /// `expected` from `verificationStart`; empty when it can.
    ///
    /// The log must be of this device: the same serial number and model where the log and the
    /// device both give them, else the same path (an image file is not compared by path); the
    /// same size in bytes; and a wipe that ended before the verification started, at most
    /// `maxAge` seconds before. Then nwipe's own outcome: a method that erases, a last round that
    /// finished, the status `Erased`, no errors, its verification where it was asked for, and
    /// what the method leaves being what is expected.
    public func problems(
        for target: WipeTarget.Identity, expected: ExpectedContent, verificationStart: Timestamp,
        maxAge: Int64 = NwipeLog.defaultMaxAge
    ) -> [String] {
        if let method, method.lowercased().hasPrefix("verify") {
            return ["nwipe's method '\(method)' only reads the device: it erases nothing"]
        }
        let isDevice = target.kind == "block-device"
        let chosen: Device?
        if devices.count == 1 {
            chosen = devices.first
        } else {
            chosen = devices.first { device in
                (isDevice && device.path == target.path)
                    || (Self.usable(device.serial) != nil && Self.usable(device.serial) == Self.usable(target.serial))
            }
        }
        guard let device = chosen else {
            return devices.isEmpty
                ? ["the nwipe log names no device"]
                : [
                    "the nwipe log covers \(devices.map(\.path).joined(separator: ", ")), none of which is \(target.path)"
                ]
        }
        var problems: [String] = []
        // Which device: serial and model where both sides give them, else the path.
        let logSerial = Self.usable(device.serial)
        let targetSerial = Self.usable(target.serial)
        if let logSerial, let targetSerial {
            if logSerial != targetSerial {
                problems.append("the log's serial number is \(logSerial), the device's \(targetSerial)")
            }
        }
        if let logModel = Self.usable(device.model), let targetModel = Self.usable(target.model),
            logModel != targetModel
        {
            problems.append("the log's model is \(logModel), the device's \(targetModel)")
        }
        if (logSerial == nil || targetSerial == nil) && isDevice && device.path != target.path {
            problems.append("the log is of \(device.path), not \(target.path)")
        }
        if let size = device.size {
            if size != target.size {
                problems.append("the log's device holds \(size) bytes, the target \(target.size)")
            }
        } else {
            problems.append("the log does not give the size of \(device.path) (no 'sect/blk/dev' line)")
        }
        if let ended = endedAt {
            let start = verificationStart.seconds
            if ended.seconds > start + Self.clockTolerance {
                problems.append(
                    "the wipe ended at \(ended.iso8601), after the verification started (\(verificationStart.wholeSeconds.iso8601))"
                )
            } else if start - ended.seconds > maxAge {
                let hours = (start - ended.seconds) / 3600
                problems.append(
                    "the wipe ended at \(ended.iso8601), \(hours) hours before the verification: more than the \(maxAge / 3600) hours allowed"
                )
            }
        } else {
            problems.append("the log does not say when the wipe ended")
        }
        if !device.finished { problems.append("nwipe did not finish its last round on \(device.path)") }
        if let status = device.status, status.lowercased() != "erased" {
            problems.append("nwipe reports \(device.path) as \(status)")
        }
        // Not a sum: counts are read from the log, and a sum of hostile ones overflows.
        if device.passErrors != 0 || device.verificationErrors != 0 || device.syncErrors != 0 {
            problems.append(
                "nwipe reports errors on \(device.path): \(device.passErrors) pass, \(device.verificationErrors) verification, \(device.syncErrors) sync"
            )
        }
        if let verify, verify != "off", !device.verified {
            problems.append("nwipe was set to verify (\(verify)) and its log shows no verification of \(device.path)")
        }
        if let leaves, leaves != expected {
            problems.append("nwipe's method '\(method ?? "?")' leaves \(leaves) on the medium, not \(expected)")
        }
        return problems
    }

    /// The log's device a certificate of `target` relies on (the only one, or the one of its path
    /// or serial number).
    public func device(for target: WipeTarget.Identity) -> Device? {
        if devices.count == 1 { return devices.first }
        return devices.first {
            $0.path == target.path
                || (Self.usable($0.serial) != nil && Self.usable($0.serial) == Self.usable(target.serial))
        }
    }

    /// When the wipe ended: the log's last time of a finished round, verification or blanking,
    /// read in this machine's time zone (nwipe writes local time).
    public var endedAt: Timestamp? { ended.flatMap(Self.localTime) }

    /// `2026/11/24 00:03:43` in the local time zone; `nil` for anything else, whatever its
    /// numbers (each is range-checked before it reaches `mktime`: a log is input).
    static func localTime(_ text: String) -> Timestamp? {
        let fields = text.split(whereSeparator: { $0 == "/" || $0 == " " || $0 == ":" })
        let ranges: [ClosedRange<Int>] = [1970...9999, 1...12, 1...31, 0...23, 0...59, 0...60]
        guard fields.count == ranges.count else { return nil }
        var parts: [Int32] = []
        for (field, range) in zip(fields, ranges) {
            guard field.count <= 4, field.allSatisfy(\.isASCII), let number = Int(field), range.contains(number) else {
                return nil
            }
            parts.append(Int32(number))
        }
        var moment = tm()
        moment.tm_year = parts[0] - 1900
        moment.tm_mon = parts[1] - 1
        moment.tm_mday = parts[2]
        moment.tm_hour = parts[3]
        moment.tm_min = parts[4]
        moment.tm_sec = parts[5]
        moment.tm_isdst = -1
        let seconds = mktime(&moment)
        return seconds == -1 ? nil : Timestamp(seconds: Int64(seconds))
    }

    /// A serial number or model worth comparing: printable ASCII (loop devices report bytes of
    /// garbage), upper-cased, spaces folded.
    static func usable(_ text: String?) -> String? {
        guard let text else { return nil }
        let words = text.split(whereSeparator: { $0 == " " || $0 == "\t" })
        let joined = words.joined(separator: " ")
        guard joined.count >= 3, joined.unicodeScalars.allSatisfy({ $0.value >= 0x20 && $0.value < 0x7F }) else {
            return nil
        }
        return joined.uppercased()
    }
}

/// Methods named on the command line that do not erase what a certificate would claim.
public enum MethodCheck {
    /// Why `method` (the operator's words: `nvme format`, `blkdiscard`, ...) does not achieve
    /// `category`; `nil` when nothing is known against it.
    public static func problem(method: String, category: String) -> String? {
        let text = method.lowercased()
        if text.contains("nvme format")
            && !(text.contains("--ses") || text.contains("-s 1") || text.contains("-s 2") || text.contains("ses="))
        {
            return "an NVMe format without --ses (secure erase settings) does not erase user data"
        }
        if text.contains("blkdiscard") && !text.contains("--secure") && category == "purge" {
            return "a discard (TRIM) is not a purge: the drive may keep the data until it reuses the blocks"
        }
        if (text.contains("quick format") || text.hasPrefix("mkfs") || text.contains("delete")) {
            return "formatting or deleting files does not sanitize a medium"
        }
        return nil
    }
}
