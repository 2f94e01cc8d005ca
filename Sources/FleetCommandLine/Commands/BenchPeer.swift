import ArgumentParser
import FleetBench

/// The other process of a two-process benchmark, started by `fleet bench`, or Fleet's side of a
/// peer comparison, started by `bench/peers/compare.py` (`ppo-update`, `grpo`); not for people.
struct BenchPeer: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench-peer",
        abstract: "The peer process of a two-process benchmark (started by fleet bench or bench/peers/compare.py).",
        shouldDisplay: false)

    @Argument(parsing: .captureForPassthrough, help: "The role and its arguments.")
    var arguments: [String] = []

    func run() throws {
        if arguments.first == WeightsBroadcastBenchmark.peerRole {
            try WeightsBroadcastBenchmark.runPeer(arguments: Array(arguments.dropFirst()))
        } else if arguments.first == BLASKernelBenchmark.peerRole {
            try BLASKernelBenchmark.runPeer(arguments: Array(arguments.dropFirst()))
        } else if let role = arguments.first, [PeerBenchmark.ppoUpdateRole, PeerBenchmark.grpoRole].contains(role) {
            // Fleet's figures for bench/peers/compare.py, which reads the JSON line printed.
            do {
                try PeerBenchmark.runPeer(role: role, arguments: Array(arguments.dropFirst()))
            } catch let error as PeerBenchmarkError {
                throw ValidationError(error.description)
            }
        } else {
            try TransportBenchmark.runPeer(arguments: arguments)
        }
    }
}
