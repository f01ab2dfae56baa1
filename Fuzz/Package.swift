// swift-tools-version:6.0
import PackageDescription

/// Vigil's libFuzzer targets, kept apart from the product (as swift-protobuf's `FuzzTesting/`).
///
/// Built by `make fuzz` (see Fuzz/README.md) with
/// `swift build -c release -Xswiftc -enable-testing --sanitize=fuzzer --sanitize=address
/// -Xswiftc -sanitize-coverage=edge,inline-8bit-counters,pc-table,trace-cmp` (Fuzz/run.sh): the
/// targets reach Vigil's internal parsers through `@testable import`.
let fuzzTargets = [
    "FuzzCaptureFile", "FuzzFrames", "FuzzFlows", "FuzzLogLines", "FuzzJournal", "FuzzGzip", "FuzzRules",
    "FuzzNwipe", "FuzzCertificate",
]

let package = Package(
    name: "VigilFuzz",
    products: fuzzTargets.map { .executable(name: $0, targets: [$0]) },
    dependencies: [.package(name: "Vigil", path: "..")],
    targets: [
        .target(
            name: "FuzzSupport",
            dependencies: [.product(name: "VigilKit", package: "Vigil")]
        )
    ]
        + fuzzTargets.map {
            .executableTarget(
                name: $0,
                dependencies: ["FuzzSupport", .product(name: "VigilKit", package: "Vigil")],
                // libFuzzer brings `main`: main.swift must not.
                swiftSettings: [.unsafeFlags(["-parse-as-library"])]
            )
        }
)
