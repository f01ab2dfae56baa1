internal import Foundation
internal import VigilCore
internal import VigilCrypto

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
                blanked: false, finished: false)
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

    /// Why this log cannot stand behind a certificate for `device` verified against `expected`;
    /// `nil` when it can.
    public func problem(device path: String?, expected: ExpectedContent) -> String? {
        if let method, method.lowercased().hasPrefix("verify") {
            return "nwipe's method '\(method)' only reads the device: it erases nothing"
        }
        let entry: Device?
        if let path {
            let name = (path as NSString).lastPathComponent
            entry = devices.first { ($0.path as NSString).lastPathComponent == name }
            guard entry != nil else {
                return "the nwipe log is of \(devices.map(\.path).joined(separator: ", ")), not \(path)"
            }
        } else {
            entry = devices.count == 1 ? devices.first : nil
            guard entry != nil else { return "the nwipe log covers \(devices.count) devices: verify the device itself" }
        }
        guard let device = entry else { return nil }
        guard device.finished else { return "nwipe did not finish its last round on \(device.path)" }
        if let status = device.status, status.lowercased() != "erased" {
            return "nwipe reports \(device.path) as \(status)"
        }
        if device.passErrors + device.verificationErrors + device.syncErrors > 0 {
            return
                "nwipe reports errors on \(device.path): \(device.passErrors) pass, \(device.verificationErrors) verification, \(device.syncErrors) sync"
        }
        if let verify, verify != "off", !device.verified {
            return "nwipe was set to verify (\(verify)) and its log shows no verification of \(device.path)"
        }
        if let leaves, leaves != expected {
            return "nwipe's method '\(method ?? "?")' leaves \(leaves) on the medium, not \(expected)"
        }
        return nil
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
