// swift-tools-version: 6.1
import PackageDescription

// Fuzz targets for the code that parses untrusted bytes. Not part of Fleet's own build: it is built
// with libFuzzer and sanitizers by scripts/fuzz.sh (`make fuzz`) into .build-fuzz/.

let package = Package(
    name: "FleetFuzz",
    dependencies: [.package(name: "Fleet", path: "..")],
    targets: [
        .executableTarget(
            name: "FuzzFrameDecoding",
            dependencies: [.product(name: "FleetWire", package: "Fleet")]),
        .executableTarget(
            name: "FuzzCaptureFiles",
            dependencies: ["FleetCaptureEntry", .product(name: "FleetWire", package: "Fleet")]),
        // CaptureEntry.swift of FleetCluster (a symbolic link), alone: FleetCluster is not a product,
        // and this one file needs only FleetWire.
        .target(
            name: "FleetCaptureEntry",
            dependencies: [.product(name: "FleetWire", package: "Fleet")]),
    ]
)
