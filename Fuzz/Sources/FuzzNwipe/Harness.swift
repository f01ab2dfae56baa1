import FuzzSupport
import VigilCore

@testable import VigilDisposal

/// An nwipe log through the importer that turns it into a certificate's wipe record, the method
/// check on what it found, and the binding of the log to a drive (device, size, time).
enum Harness {
    static func run(_ input: FuzzBytes) {
        guard let log = try? NwipeLog(bytes: input.array, path: "nwipe.log") else { return }
        _ = MethodCheck.problem(method: log.method ?? "", category: "clear")
        _ = MethodCheck.problem(method: log.method ?? "", category: "purge")
        let start = log.endedAt ?? Timestamp(seconds: 1_800_000_000)
        for identity in [
            WipeTarget.Identity(path: "/dev/loop0", kind: "block-device", size: 33_554_432, logicalBlockSize: 512),
            WipeTarget.Identity(
                path: "/srv/disk.img", kind: "image-file", size: 1 << 20, logicalBlockSize: 512,
                model: "Samsung SSD 860", serial: "S4EWNX0R123456"),
        ] {
            for expected in [ExpectedContent.zero, .random] {
                _ = log.problems(for: identity, expected: expected, verificationStart: start)
                _ = log.problems(for: identity, expected: expected, verificationStart: start, maxAge: 1)
            }
            _ = log.device(for: identity)
        }
    }
}
