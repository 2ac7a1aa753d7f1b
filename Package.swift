// swift-tools-version: 6.1
import PackageDescription

/// A policy plugin: a Swift module under `policies/<folder>` built as `lib<name>.so`.
/// The product name is the plugin's name, so the loader finds `round-robin` as `libround-robin.so`.
func policy(_ name: String, module: String, folder: String) -> (Target, Product) {
    (
        .target(name: module, dependencies: ["SashaSDK"], path: "policies/\(folder)"),
        .library(name: name, type: .dynamic, targets: [module])
    )
}

let policies = [
    policy("round-robin", module: "RoundRobinPolicy", folder: "RoundRobin"),
    policy("weighted-round-robin", module: "WeightedRoundRobinPolicy", folder: "WeightedRoundRobin"),
    policy("least-connections", module: "LeastConnectionsPolicy", folder: "LeastConnections"),
    policy("maglev", module: "MaglevPolicy", folder: "Maglev"),
    policy("two-choices", module: "TwoChoicesPolicy", folder: "TwoChoices"),
]

let package = Package(
    name: "sasha",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "sasha", targets: ["sasha"]),
        .library(name: "SashaSDK", targets: ["SashaSDK"]),
    ] + policies.map(\.1),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        // The whole plugin contract: one C header, no code.
        .target(name: "SashaABI", path: "Sources/SashaABI"),
        // What plugin authors import: turns a Swift type into a C descriptor.
        .target(name: "SashaSDK", dependencies: ["SashaABI"]),
        .target(
            name: "SashaCore",
            dependencies: [
                "SashaABI",
                "SashaSDK",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .executableTarget(
            name: "sasha",
            dependencies: [
                "SashaCore",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sasha-bench-pick",
            dependencies: ["SashaABI", "SashaCore", "SashaSDK"],
            path: "Benchmarks/PickBenchmark"
        ),
        // Paths, temporary folders and C plugin fixtures the test suites share.
        .target(name: "SashaTestSupport", path: "Tests/SashaTestSupport"),
        .testTarget(name: "SashaSDKTests", dependencies: ["SashaSDK"]),
        // Policies are tested through their built .so files and the real loader: the boundary is
        // what runs in production (and five plugins' entry symbols cannot link into one binary).
        .testTarget(name: "PolicyTests", dependencies: ["SashaCore", "SashaSDK", "SashaTestSupport"]),
        .testTarget(name: "SashaCoreTests", dependencies: ["SashaCore", "SashaSDK", "SashaTestSupport"]),
    ] + policies.map(\.0),
    swiftLanguageModes: [.v6]
)
