// swift-tools-version: 6.1
// Your own Swift environment, trained by Fleet's commands: this package depends on Fleet by path,
// defines `Corridor-v0`, registers it, and hands over to Fleet's command line. Build and run:
//
//   swift build -c release
//   .build/release/corridor-fleet train corridor-ppo.yaml
//   .build/release/corridor-fleet launch corridor-ppo.yaml --actors 2
import PackageDescription

let package = Package(
    name: "CustomEnvironment",
    dependencies: [
        .package(name: "Fleet", path: "../..")
    ],
    targets: [
        .executableTarget(
            name: "corridor-fleet",
            dependencies: [
                .product(name: "FleetEnvironments", package: "Fleet"),
                .product(name: "FleetCluster", package: "Fleet"),
                .product(name: "FleetCommandLine", package: "Fleet"),
            ],
            path: "Sources/corridor")
    ]
)
