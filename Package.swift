// swift-tools-version: 6.1
import Foundation
import PackageDescription

/// A plugin: its logic in `<folder>/<kind-folder>` (a module tests can link) and its one exported C
/// entry in `<folder>/Plugin`, built as `lib<name>.so`. Two targets, because several plugins'
/// `sasha_plugin_entry` symbols cannot link into one binary. The product name is the plugin's
/// name, so the loader finds `round-robin` as `libround-robin.so`.
func plugin(
    _ name: String, module: String, folder: String, logicFolder: String, dependencies: [Target.Dependency] = [],
    swiftSettings: [SwiftSetting] = []
) -> (logic: Target, entry: Target, product: Product) {
    (
        .target(name: module, dependencies: ["SashaSDK"] + dependencies, path: "\(folder)/\(logicFolder)", swiftSettings: swiftSettings),
        .target(
            name: module + "Plugin", dependencies: [.target(name: module), "SashaSDK", "SashaABI"],
            path: "\(folder)/Plugin",
            // Export the entry symbol alone (on this target only: linker settings travel to
            // whatever links a target, and the logic target is linked into the tests).
            linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/policies/plugin.exports"])]
        ),
        .library(name: name, type: .dynamic, targets: [module + "Plugin"])
    )
}

func policy(_ name: String, module: String, folder: String) -> (logic: Target, entry: Target, product: Product) {
    plugin(name, module: module, folder: "policies/\(folder)", logicFolder: "Policy")
}

let nio: [Target.Dependency] = [
    .product(name: "NIOCore", package: "swift-nio"),
    .product(name: "NIOPosix", package: "swift-nio"),
    .product(name: "NIOHTTP1", package: "swift-nio"),
]

/// Strategy plugins (`strategies/<Folder>/Strategy` and `strategies/<Folder>/Plugin`).
/// The l7 data path's modules skip run-time exclusivity checks in release builds: they showed as
/// `swift_beginAccess` in the per-request profile (Benchmarks/README.md, issue 14), and the
/// debug builds the tests run keep the checks.
let uncheckedExclusivity: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

/// The ring and its simulator are compiled optimized in debug builds too: `make test` plays the
/// simulator's 500 seeds of up to 254 members, 2.3 times faster so (83 s against 36 s on two
/// cores; issue 19, CI under 15 minutes). The ring module has no `assert` that -O would drop.
let optimizedInDebug: [SwiftSetting] = [.unsafeFlags(["-O"], .when(configuration: .debug))]

let strategies = [
    plugin(
        "l7", module: "L7Strategy", folder: "strategies/L7", logicFolder: "Strategy",
        dependencies: ["HTTPCache", "HTTPDate", "HTTPWire", "L7Machine", "SashaLink"] + nio,
        swiftSettings: uncheckedExclusivity
    ),
    plugin("l4-2", module: "L42Strategy", folder: "strategies/L42", logicFolder: "Strategy", dependencies: ["L4Common", "SashaPacket", "SashaLink"]),
    plugin("l4-3", module: "L43Strategy", folder: "strategies/L43", logicFolder: "Strategy",
           dependencies: ["L4Common", "SashaPacket", "SashaLink"]),
    // For Benchmarks/ConnectionLists only: made-up connection lists, no data path.
    plugin("list-bench", module: "ListBenchStrategy", folder: "Benchmarks/ConnectionLists", logicFolder: "Strategy"),
]

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
        // For strategies outside this repository that own an address on a real link.
        .library(name: "SashaLink", targets: ["SashaLink"]),
    ] + policies.map(\.product) + strategies.map(\.product),
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
    ],
    targets: [
        // What every module may need and nothing plugin-specific: the IPv4 address, the clocks,
        // the one lock type.
        .target(name: "SashaBase"),
        // The whole plugin contract: one C header, and the ABI stamp in C.
        .target(name: "SashaABI", path: "Sources/SashaABI"),
        // What plugin authors import: turns a Swift type into a C descriptor. Re-exports SashaBase.
        .target(name: "SashaSDK", dependencies: ["SashaABI", "SashaBase"]),
        // The ring protocol: a pure state machine (sans-I/O) and its wire format. No sockets, no
        // clock of its own: the daemon and the simulator drive the same code.
        .target(
            name: "SashaRing",
            dependencies: [
                "SashaBase",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: optimizedInDebug
        ),
        // The embedded web server every serving member runs (static files, ranges, conditional
        // requests, health), and the health check of the member's service.
        .target(name: "SashaWeb", dependencies: ["SashaBase", "HTTPDate", .product(name: "Logging", package: "swift-log")] + nio),
        // HTTP dates (RFC 9110 §5.6.7), for the web server's validators and the cache's freshness.
        .target(name: "HTTPDate"),
        // The L7 strategy's HTTP cache: what may be stored, for how long, and the bounded store.
        .target(name: "HTTPCache", dependencies: ["HTTPDate", "SashaBase"] + nio, swiftSettings: uncheckedExclusivity),
        // The L7 strategy's HTTP/1.1 wire without I/O: heads read in place, framing, bodies, heads written.
        .target(
            name: "HTTPWire", dependencies: [.product(name: "NIOCore", package: "swift-nio")], path: "strategies/L7/Wire",
            swiftSettings: uncheckedExclusivity
        ),
        // The l7 strategy's client connection as a sans-I/O state machine over HTTPWire: events
        // in (bytes from either side, time), actions out. The strategy's handler and the fuzzer
        // drive the same code.
        .target(
            name: "L7Machine", dependencies: ["HTTPWire", .product(name: "NIOCore", package: "swift-nio")], path: "strategies/L7/Machine",
            swiftSettings: uncheckedExclusivity
        ),
        // libnet (gratuitous ARP, frame injection) as a system library; the shim sets its defines.
        .systemLibrary(name: "CLibnet", path: "Sources/CLibnet"),
        // Owning an address on a real link: add/remove it on an interface, gratuitous ARP.
        .target(name: "SashaLink", dependencies: ["SashaBase", "SashaSDK", "CLibnet"]),
        // The L4 strategies' packet work without I/O: Ethernet, ARP, IPv4 and TCP views over a
        // frame's bytes, checksums (full, incremental per RFC 1624, completing partial ones), and
        // the connection map.
        .target(name: "SashaPacket", dependencies: ["SashaBase"]),
        // libpcap (capture with a BPF filter, injection) as a system library.
        .systemLibrary(name: "CPcap", path: "Sources/CPcap", pkgConfig: "libpcap", providers: [.apt(["libpcap-dev"])]),
        // Frames in and out of a real link for the L4 strategies: a capture thread with a BPF
        // filter, and injection.
        .target(name: "SashaCapture", dependencies: ["SashaBase", "SashaPacket", "CPcap"]),
        // What both L4 strategies share: options, counters, the servers' MACs, a link's capture
        // and injection, and the server side of l4-2.
        .target(name: "L4Common", dependencies: ["SashaSDK", "SashaPacket", "SashaCapture", "SashaLink"]),
        .target(
            name: "SashaCore",
            dependencies: [
                "SashaABI",
                "SashaSDK",
                "SashaRing",
                "SashaWeb",
                "SashaLink",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        // `sasha demo`: a whole cluster on loopback, driven and drawn on the terminal.
        .target(name: "SashaDemo", dependencies: ["SashaCore", "SashaSDK"] + nio),
        .executableTarget(
            name: "sasha",
            dependencies: [
                "SashaCore",
                "SashaDemo",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "sasha-bench-pick",
            dependencies: ["SashaABI", "SashaCore", "SashaSDK"] + policies.map { .target(name: $0.logic.name) },
            path: "Benchmarks/PickBenchmark"
        ),
        // Paths, temporary folders and C plugin fixtures the test suites share.
        .target(name: "SashaTestSupport", path: "Tests/SashaTestSupport"),
        .testTarget(name: "SashaSDKTests", dependencies: ["SashaSDK"]),
        // Policies are tested through their built .so files and the real loader (the boundary is
        // what runs in production), and as classes where a test needs their insides.
        .testTarget(
            name: "PolicyTests",
            dependencies: ["SashaCore", "SashaSDK", "SashaTestSupport"] + policies.map { .target(name: $0.logic.name) }
        ),
        .testTarget(name: "SashaCoreTests", dependencies: ["SashaCore", "SashaSDK", "SashaTestSupport"]),
        .testTarget(name: "SashaDemoTests", dependencies: ["SashaDemo", "SashaCore", "SashaSDK"]),
        .testTarget(name: "SashaRingTests", dependencies: ["SashaRing", "SashaSDK"]),
        .testTarget(name: "SashaWebTests", dependencies: ["SashaWeb", "HTTPDate", "SashaSDK", "SashaTestSupport"] + nio),
        .testTarget(name: "HTTPCacheTests", dependencies: ["HTTPCache"] + nio),
        .testTarget(name: "HTTPWireTests", dependencies: ["HTTPWire"] + nio),
        .testTarget(name: "HTTPDateTests", dependencies: ["HTTPDate"]),
        .testTarget(name: "SashaLinkTests", dependencies: ["SashaLink", "SashaSDK", "SashaTestSupport"]),
        .testTarget(name: "SashaPacketTests", dependencies: ["SashaPacket", "SashaSDK"]),
        .testTarget(name: "L4CommonTests", dependencies: ["L4Common", "SashaCapture", "SashaPacket", "SashaSDK", "SashaABI", "SashaTestSupport"]),
        // Capture and injection between network namespaces (root).
        .testTarget(name: "SashaCaptureTests", dependencies: ["SashaCapture", "SashaPacket", "SashaSDK", "SashaTestSupport"]),
        // The l7 strategy in-process (real sockets on loopback) and through its .so.
        .testTarget(
            name: "L7Tests",
            dependencies: ["L7Strategy", "L7Machine", "HTTPWire", "HTTPCache", "SashaCore", "SashaSDK", "SashaTestSupport",
                           .product(name: "NIOWebSocket", package: "swift-nio")] + nio
        ),
        // The deterministic simulator: the real ring state machine, hundreds of members, virtual
        // time, a network that drops, delays, duplicates and reorders; seeded and replayable.
        .testTarget(name: "RingSimulationTests", dependencies: ["SashaRing", "SashaSDK"], swiftSettings: optimizedInDebug),
        // Real `sasha run` processes on 127.0.0.1-127.0.0.N.
        .testTarget(name: "ClusterTests", dependencies: ["SashaCore", "SashaSDK", "SashaTestSupport"]),
        // The fuzz targets' `main` when built without the fuzzer (replay files, write seeds).
        .target(name: "FuzzSupport", dependencies: ["FuzzDriver"], path: "Fuzz/Support"),
        // libFuzzer's driver, called from the fuzz targets' `main` when built with the fuzzer.
        .target(name: "FuzzDriver", path: "Fuzz/Driver"),
        // libFuzzer target over the packet decoder and the machine's packet input. Built normally
        // it replays files given on the command line; see Fuzz/README.md.
        .executableTarget(
            name: "sasha-fuzz-ring",
            dependencies: ["SashaRing", "SashaSDK", "FuzzSupport", .product(name: "Crypto", package: "swift-crypto")],
            path: "Fuzz/RingFuzz"
        ),
        // libFuzzer target over the HTTP wire: head scanner, framing, body tracker and writers.
        .executableTarget(
            name: "sasha-fuzz-http",
            dependencies: ["HTTPWire", "L7Machine", "FuzzSupport", .product(name: "NIOCore", package: "swift-nio")],
            path: "Fuzz/HTTPWireFuzz"
        ),
        // libFuzzer target over the L4 frame views: classify, TCP and ICMP-error rewrites.
        .executableTarget(name: "sasha-fuzz-packet", dependencies: ["SashaPacket", "SashaSDK", "FuzzSupport"], path: "Fuzz/PacketFuzz"),
    ] + policies.map(\.logic) + policies.map(\.entry) + strategies.map(\.logic) + strategies.map(\.entry),
    swiftLanguageModes: [.v6]
)

/// `SASHA_SANITIZE=thread` (`make tsan`) or `SASHA_SANITIZE=fuzzer` (`make fuzz`): this package's
/// own Swift targets are built instrumented, and its dependencies (SwiftNIO, swift-crypto's
/// BoringSSL, Yams...) as they are. So a sanitizer build in `.build` rebuilds only Sasha's modules
/// and reuses the dependencies of the debug build; SwiftPM's `--sanitize` would rebuild every
/// dependency instrumented, in a scratch path of its own (issue 19: four cold builds were half of
/// CI's time). The price is that the next plain `swift build` in that folder rebuilds Sasha's
/// modules once more. `fuzzer` also defines SASHA_FUZZ, under which a fuzz target's `main` runs
/// libFuzzer's driver (Fuzz/Driver).
if let sanitizer = Context.environment["SASHA_SANITIZE"], !sanitizer.isEmpty {
    precondition(["thread", "fuzzer"].contains(sanitizer), "SASHA_SANITIZE must be thread or fuzzer, not \(sanitizer)")
    if sanitizer == "thread" { keepOnlyConcurrencySuites() }
    let compile: [SwiftSetting] = [.unsafeFlags(["-sanitize=\(sanitizer)"])] + (sanitizer == "fuzzer" ? [.define("SASHA_FUZZ")] : [])
    for target in package.targets where target.type != .system {
        target.swiftSettings = (target.swiftSettings ?? []) + compile
        if sanitizer == "fuzzer" { target.cSettings = (target.cSettings ?? []) + [.define("SASHA_FUZZ")] }
        // Under TSan the test binary exports the runtime's symbols, which the plugins it loads
        // with dlopen call.
        let exports = sanitizer == "thread" && target.type == .test ? ["-Xlinker", "--export-dynamic"] : []
        target.linkerSettings = (target.linkerSettings ?? []) + [.unsafeFlags(["-sanitize=\(sanitizer)"] + exports)]
    }
}

/// Under TSan, `make tsan` runs only the tests whose names contain "oncurren": the build keeps the
/// test targets that have such a test (found in their sources), the plugins (the tests load them),
/// and what those need; the other suites, the executables and the demo are not built. That halves
/// the instrumented build.
@MainActor func keepOnlyConcurrencySuites() {
    func targets(of product: Product) -> [String] {
        (product as? Product.Library)?.targets ?? (product as? Product.Executable)?.targets ?? []
    }
    // A test's identifier is its module, its suite's type and its function: "oncurren" in the
    // name of a type or a function.
    func declaresConcurrencyTest(_ source: String) -> Bool {
        source.split(separator: "\n").contains { line in
            ["func ", "struct ", "class "].contains { keyword in
                line.components(separatedBy: keyword).dropFirst().contains { $0.prefix { $0.isLetter || $0.isNumber }.contains("oncurren") }
            }
        }
    }
    let tests = package.targets.filter { $0.type == .test }.filter { target in
        let folder = "\(Context.packageDirectory)/Tests/\(target.name)"
        let files = FileManager.default.enumerator(atPath: folder)?.compactMap { $0 as? String } ?? []
        return files.contains { $0.hasSuffix(".swift") && declaresConcurrencyTest((try? String(contentsOfFile: "\(folder)/\($0)", encoding: .utf8)) ?? "") }
    }
    let plugins = package.products.filter { ($0 as? Product.Library)?.type == .dynamic }.flatMap(targets(of:))
    var kept = Set<String>()
    var pending = tests.map(\.name) + plugins
    while let name = pending.popLast() {
        guard kept.insert(name).inserted, let target = package.targets.first(where: { $0.name == name }) else { continue }
        for dependency in target.dependencies {
            switch dependency {
            case .targetItem(let name, _), .byNameItem(let name, _): pending.append(name)
            default: break
            }
        }
    }
    package.targets.removeAll { !kept.contains($0.name) }
    package.products.removeAll { !targets(of: $0).allSatisfy(kept.contains) }
}
