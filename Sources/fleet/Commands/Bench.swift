import ArgumentParser
import FleetBench
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Fleet against baselines measured in the same run, as ratios.",
        discussion: """
            Build in release mode first (make bench does): debug figures mean little. The cluster \
            suite runs fleet train and fleet launch with 1, 2 and 4 actors as child processes, then \
            fleet launch with 2 actors with and without --capture in turn (50k CartPole steps each with \
            --quick, about half a minute with its broadcast latencies; 500k steps three times each \
            without, a few minutes); Ctrl-C stops them.
            """)

    /// The sub-suites. `cluster` is part of the default run: it is the slowest (half a minute
    /// quick, a few minutes full), but its figures are the ones a user of the cluster sees, so it
    /// is measured with the rest.
    enum Suite: String, CaseIterable, ExpressibleByArgument {
        case wire, transport, env, tensor, lm, cluster
    }

    @Argument(help: "Sub-suites to run: wire, transport, env, tensor, lm, cluster (default: all).")
    var suites: [Suite] = []

    @Flag(help: "Fewer repetitions: a quick look, not a measurement to quote.")
    var quick = false

    @Option(help: "Also write the report as JSON to this file.")
    var json: String?

    func run() throws {
        var figures: [BenchFigure] = []
        var stop: StopSignals?
        for suite in suites.isEmpty ? Suite.allCases : suites {
            switch suite {
            case .wire: figures += try WireBenchmark.figures(quick: quick)
            case .transport:
                figures += try TransportBenchmark.figures(quick: quick, fleetExecutable: Self.executablePath)
            case .env: figures += EnvironmentBenchmark.figures(quick: quick)
            case .tensor: figures += try TensorBenchmark.figures(quick: quick)
            case .lm: figures += try LanguageModelBenchmark.figures(quick: quick)
            case .cluster:
                // Its children run in their own process groups, out of Ctrl-C's reach: catch the
                // signal, and let the benchmark stop them and remove its files.
                let signals = stop ?? StopSignals()
                stop = signals
                do {
                    figures += try ClusterBenchmark.figures(
                        quick: quick, fleetExecutable: Self.executablePath, stopRequested: { signals.isRaised })
                } catch let error as BenchInterrupted {
                    printError("fleet bench cluster: \(error)")
                    throw ExitCode(130)
                }
            }
        }
        let report = BenchReport(figures: figures)
        print(report.table(), terminator: "")
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
        }
    }

    /// This executable, for benchmarks that start a peer process.
    static var executablePath: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}
