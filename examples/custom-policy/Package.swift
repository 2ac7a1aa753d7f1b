// swift-tools-version: 6.1
import PackageDescription

// A policy plugin outside the Sasha repository: it depends on Sasha only for SashaSDK, and builds
// to lib<product>.so, which `sasha` finds by that name on plugins.paths.
let package = Package(
    name: "custom-policy",
    products: [
        .library(name: "bounded-affinity", type: .dynamic, targets: ["BoundedAffinity"]),
    ],
    dependencies: [
        .package(name: "sasha", path: "../.."),
    ],
    targets: [
        .target(name: "BoundedAffinity", dependencies: [.product(name: "SashaSDK", package: "sasha")]),
    ],
    swiftLanguageModes: [.v6]
)
