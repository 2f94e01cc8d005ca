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
            dependencies: [.product(name: "FleetWire", package: "Fleet")]),  // the capture format is FleetWire's
    ]
)
