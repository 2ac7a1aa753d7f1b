// swift-tools-version: 6.1
import PackageDescription

// A strategy plugin outside the Sasha repository: it depends on Sasha only for SashaSDK (and on
// SwiftNIO for its sockets), and builds to lib<product>.so, which `sasha` finds by that name on
// plugins.paths.
let package = Package(
    name: "custom-strategy",
    products: [
        .library(name: "tcp-proxy", type: .dynamic, targets: ["TCPProxyPlugin"]),
    ],
    dependencies: [
        .package(name: "sasha", path: "../.."),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
    ],
    targets: [
        // The strategy itself: a module the tests link.
        .target(
            name: "TCPProxy",
            dependencies: [
                .product(name: "SashaSDK", package: "sasha"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // The one exported C entry, in a target of its own: the version script (export the entry
        // and the ABI stamp alone) then applies to the plugin library and not to the test binary.
        .target(
            name: "TCPProxyPlugin",
            dependencies: ["TCPProxy", .product(name: "SashaSDK", package: "sasha")],
            linkerSettings: [.unsafeFlags(["-Xlinker", "--version-script=\(Context.packageDirectory)/plugin.exports"])]
        ),
        .testTarget(
            name: "TCPProxyTests",
            dependencies: [
                "TCPProxy",
                .product(name: "SashaSDK", package: "sasha"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
