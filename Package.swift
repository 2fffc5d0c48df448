// swift-tools-version: 6.1
import PackageDescription

// STREAMSMOTE_INTERNAL_CHECKS=1 in the environment of `swift build` / `swift test` compiles the
// core with -DSTREAMSMOTE_INTERNAL_CHECKS: every structure's checkInvariants() then runs after
// each of its mutations (scripts/test-checked.sh runs the core tests so, in .build-checked;
// the fuzz and soak builds pass the flag themselves). Off by default, debug builds included:
// the checks are brute force and make the core suite many times slower.
let internalChecks: [SwiftSetting] =
    (Context.environment["STREAMSMOTE_INTERNAL_CHECKS"].map { $0 != "" && $0 != "0" } ?? false)
    ? [.define("STREAMSMOTE_INTERNAL_CHECKS")] : []

// Release builds of the modules on the per-event path skip the run-time exclusivity checks
// (swift_beginAccess/endAccess on every access to a class's stored property): they were 5 % of
// the daemon's CPU at full rate (perf, JSON, --ratio 0.5). Debug builds, and so every test run,
// keep them, so an overlapping access is still caught there.
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

// Data flow, one target a stage of concern:
//   CZeroMQ (libzmq headers) → ZeroMQ (sockets, thread-owned) → StreamSMOTEService (subscribe →
//   decode → engine → encode → publish) ← StreamSMOTECore (window → index → sampler, no IO)
//   → streamsmote (argument parsing only).
let package = Package(
    name: "StreamSMOTE",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "streamsmote", targets: ["streamsmote"]),
        .library(name: "StreamSMOTECore", targets: ["StreamSMOTECore"]),
        .library(name: "ZeroMQ", targets: ["ZeroMQ"]),
        .library(name: "NATS", targets: ["NATS"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CZeroMQ",
            pkgConfig: "libzmq",
            providers: [.apt(["libzmq3-dev"]), .brew(["zeromq"])]
        ),
        .target(
            name: "ZeroMQ",
            dependencies: ["CZeroMQ"],
            swiftSettings: hotPath
        ),
        .systemLibrary(
            name: "CNATS",
            pkgConfig: "libnats",
            providers: [.apt(["libnats-dev"])]
        ),
        .target(
            name: "NATS",
            dependencies: ["CNATS"]
        ),
        .target(
            name: "StreamSMOTECore",
            swiftSettings: internalChecks + hotPath
        ),
        .target(
            name: "StreamSMOTEService",
            dependencies: [
                "ZeroMQ",
                "NATS",
                "StreamSMOTECore",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "SwiftProtobuf", package: "swift-protobuf"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            exclude: ["Codec/streamsmote.proto"],
            swiftSettings: hotPath
        ),
        .executableTarget(
            name: "streamsmote",
            dependencies: [
                "StreamSMOTEService",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ]
        ),
        .executableTarget(
            name: "streamsmote-bench",
            dependencies: [
                "ZeroMQ",
                "NATS",
                "StreamSMOTECore",
                "StreamSMOTEService",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ],
            path: "Benchmarks/streamsmote-bench"
        ),
        .testTarget(
            name: "ZeroMQTests",
            dependencies: ["ZeroMQ"]
        ),
        // Starts real nats-server processes (single or clustered) for any test target.
        .target(
            name: "NATSTestSupport",
            path: "Tests/NATSTestSupport"
        ),
        .testTarget(
            name: "NATSTests",
            dependencies: ["NATS", "NATSTestSupport"]
        ),
        .testTarget(
            name: "StreamSMOTECoreTests",
            dependencies: ["StreamSMOTECore"],
            swiftSettings: internalChecks
        ),
        .testTarget(
            name: "StreamSMOTEServiceTests",
            dependencies: ["StreamSMOTEService", "ZeroMQ", "NATS", "NATSTestSupport", "StreamSMOTECore"],
            resources: [.copy("Fixtures")]
        ),
        // Fuzzing (scripts/fuzz.sh): libFuzzer targets, built with -sanitize=fuzzer, -DFUZZING
        // and -DSTREAMSMOTE_INTERNAL_CHECKS; without them each is a tool that replays the
        // inputs given as arguments. fuzz-engine drives the resampling engine itself.
        .target(
            name: "FuzzSupport",
            dependencies: ["StreamSMOTEService", "StreamSMOTECore"],
            path: "Fuzz/FuzzSupport"
        ),
        .executableTarget(
            name: "fuzz-json",
            dependencies: ["FuzzSupport", "StreamSMOTEService"],
            path: "Fuzz/FuzzJSONDecoder"
        ),
        .executableTarget(
            name: "fuzz-protobuf",
            dependencies: ["FuzzSupport", "StreamSMOTEService"],
            path: "Fuzz/FuzzProtobufDecoder"
        ),
        .executableTarget(
            name: "fuzz-csv",
            dependencies: ["FuzzSupport", "StreamSMOTEService"],
            path: "Fuzz/FuzzCSV"
        ),
        .executableTarget(
            name: "fuzz-engine",
            dependencies: ["FuzzSupport", "StreamSMOTECore"],
            path: "Fuzz/FuzzEngine"
        ),
    ],
    swiftLanguageModes: [.v6]
)
