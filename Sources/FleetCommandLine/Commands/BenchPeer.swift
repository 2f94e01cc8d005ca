import ArgumentParser
import FleetBench

/// The other process of a two-process benchmark, started by `fleet bench`; not for people.
struct BenchPeer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-peer",
        abstract: "The peer process of a two-process benchmark (started by fleet bench).",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough, help: "The role and its arguments.")
    var arguments: [String] = []

    func run() throws {
        if arguments.first == WeightsBroadcastBenchmark.peerRole {
            try WeightsBroadcastBenchmark.runPeer(arguments: Array(arguments.dropFirst()))
        } else if arguments.first == BLASKernelBenchmark.peerRole {
            try BLASKernelBenchmark.runPeer(arguments: Array(arguments.dropFirst()))
        } else {
            try TransportBenchmark.runPeer(arguments: arguments)
        }
    }
}
