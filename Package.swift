// swift-tools-version:6.0
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode comes from the tools version;
/// these make imports explicit and existential types visible, as swift-log does.
let swiftSettings: [SwiftSetting] = [
    .enableUpcomingFeature("InternalImportsByDefault"),
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Vigil",
    products: [
        .executable(name: "vigil", targets: ["vigil"]),
        // For the fuzz targets in Fuzz/ only: no stable API is promised.
        .library(
            name: "VigilKit",
            targets: ["VigilCore", "VigilCrypto", "VigilCapture", "VigilLogs", "VigilRules", "VigilDisposal"]
        ),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // C libraries: each is imported by exactly one Swift module.
        .systemLibrary(
            name: "CPcap",
            pkgConfig: "libpcap",
            providers: [.apt(["libpcap-dev"])]
        ),
        .systemLibrary(
            name: "CZlib",
            pkgConfig: "zlib",
            providers: [.apt(["zlib1g-dev"])]
        ),
        // zxcvbn-c has no .pc file: the module map links it by name.
        .systemLibrary(
            name: "CZxcvbn",
            providers: [.apt(["libzxcvbn-dev"])]
        ),
        .systemLibrary(
            name: "COpenSSL",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),

        .target(name: "VigilCrypto", dependencies: ["COpenSSL"], swiftSettings: swiftSettings),
        .target(name: "VigilCore", dependencies: ["VigilCrypto"], swiftSettings: swiftSettings),
        // The packet path runs per packet: in release builds it skips the dynamic exclusivity
        // checks (debug builds and the tests keep them, so a violation still fails the suite).
        .target(
            name: "VigilCapture", dependencies: ["VigilCore", "CPcap"],
            swiftSettings: swiftSettings + [
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ]
        ),
        .target(
            name: "VigilLogs", dependencies: ["VigilCore", "CZlib"],
            swiftSettings: swiftSettings + [
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ]
        ),
        .target(
            name: "VigilRules",
            dependencies: ["VigilCore", "VigilCrypto", "CZxcvbn", .product(name: "Yams", package: "Yams")],
            swiftSettings: swiftSettings + [
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ]
        ),
        .target(name: "VigilReport", dependencies: ["VigilCore"], swiftSettings: swiftSettings),
        // Verification reads at the disk's limit: no exclusivity checks in release builds.
        .target(
            name: "VigilDisposal",
            dependencies: ["VigilCore", "VigilCrypto", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: swiftSettings + [
                .unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))
            ]
        ),
        .target(
            name: "VigilAudit",
            dependencies: ["VigilCore", "VigilCapture", "VigilLogs", "VigilRules", "VigilReport"],
            swiftSettings: swiftSettings
        ),
        .executableTarget(
            name: "vigil",
            dependencies: [
                "VigilCore", "VigilCapture", "VigilLogs", "VigilRules", "VigilReport", "VigilAudit", "VigilDisposal",
                "VigilCrypto",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            swiftSettings: swiftSettings
        ),

        .target(name: "VigilTestSupport", path: "Tests/VigilTestSupport", swiftSettings: swiftSettings),
        .testTarget(
            name: "VigilCryptoTests", dependencies: ["VigilTestSupport", "VigilCrypto"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VigilCoreTests", dependencies: ["VigilTestSupport", "VigilCore"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VigilCaptureTests",
            dependencies: ["VigilCapture", "VigilCore", "VigilRules", "VigilTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilLogsTests",
            dependencies: ["VigilLogs", "VigilCore", "VigilTestSupport"],
            exclude: ["Fixtures"],
            swiftSettings: swiftSettings
        ),
        .testTarget(
            name: "VigilRulesTests", dependencies: ["VigilTestSupport", "VigilRules", "VigilCore"],
            swiftSettings: swiftSettings),
        .testTarget(
            name: "VigilReportTests", dependencies: ["VigilTestSupport", "VigilReport", "VigilCore"],
            exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VigilAuditTests", dependencies: ["VigilTestSupport", "VigilAudit", "VigilCore", "VigilLogs"],
            exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VigilDisposalTests",
            dependencies: ["VigilTestSupport", "VigilDisposal", "VigilCore", "VigilCrypto"],
            exclude: ["Fixtures"], swiftSettings: swiftSettings),
        .testTarget(
            name: "VigilCLITests",
            dependencies: ["vigil", "VigilTestSupport"],
            swiftSettings: swiftSettings
        ),
    ]
)
