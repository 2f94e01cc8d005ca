import ArgumentParser
import FleetBench
import FleetCluster
import FleetTools
import FleetEnvironments
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Fleet against baselines measured in the same run, as ratios.",
        discussion: """
            Build in release mode first (make bench does): debug figures mean little. First, in \
            well under a second, it probes and prints what the machine can do right now (CPU, online \
            cores, load average, memcpy GB/s, the sgemm roofline on one thread, a scalar multiply-add \
            chain), the report's capacity in --json. The cluster \
            suite runs fleet train and fleet launch with 1, 2 and 4 actors as child processes, then \
            fleet launch with 2 actors with and without --capture in turn (50k CartPole steps each with \
            --quick, about half a minute with its broadcast latencies; 500k steps three times each \
            without, a few minutes); Ctrl-C stops them.
            """)

    /// The sub-suites. `cluster` is part of the default run: it is the slowest (half a minute
    /// quick, a few minutes full), but its figures are the ones a user of the cluster sees, so it
    /// is measured with the rest.
    enum Suite: String, CaseIterable, ExpressibleByArgument {
        case wire, transport, env, served, tensor, conv, lm, lm124m, cluster

        /// What runs when no suite is named: all but `lm124m`, which needs minutes and a few GiB.
        static var defaults: [Suite] { allCases.filter { $0 != .lm124m } }
    }

    @Argument(help: "Sub-suites to run: wire, transport, env, served, tensor, conv, lm, lm124m, cluster (default: all but lm124m).")
    var suites: [Suite] = []

    @Flag(help: "Fewer repetitions: a quick look, not a measurement to quote.")
    var quick = false

    @Option(help: "Also write the report as JSON to this file.", completion: .file(extensions: ["json"]))
    var json: String?

    func run() throws {
        // What the machine can do now, before any suite adds to its load: printed at once, so
        // that it is on screen while the suites run, and kept for the JSON report.
        let capacity = CapacityProbe.measure(quick: quick)
        print(capacity.block)
        fflush(nil)  // every output stream: standard output may be a pipe
        var figures: [BenchFigure] = []
        var stop: StopSignals?
        for suite in suites.isEmpty ? Suite.defaults : suites {
            switch suite {
            case .wire: figures += try WireBenchmark.figures(quick: quick)
            case .transport:
                figures += try TransportBenchmark.figures(quick: quick, fleetExecutable: Self.executablePath)
            case .env: figures += EnvironmentBenchmark.figures(quick: quick)
            case .served:
                // Environments served from Python need Fleet's package there (make bench prepares it).
                let python = EnvironmentFactory.servingPython()
                let signals = stop ?? StopSignals()
                stop = signals
                do {
                    figures += try ServedEnvironmentBenchmark.figures(
                        quick: quick, fleetExecutable: Self.executablePath, python: python,
                        stopRequested: { signals.isRaised })
                } catch let error as BenchInterrupted {
                    printError("fleet bench served: \(error)")
                    throw ExitCode(130)
                }
            case .tensor:
                figures += try BLASKernelBenchmark.figures(quick: quick, fleetExecutable: Self.executablePath)
                figures += try TensorBenchmark.figures(quick: quick)
            case .conv: figures += try ConvBenchmark.figures(quick: quick)
            case .lm: figures += try LanguageModelBenchmark.figures(quick: quick)
            case .lm124m: figures += try LanguageModel124MBenchmark.figures(quick: quick)
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
        let report = BenchReport(figures: figures, capacity: capacity)
        print(report.table(includingCapacity: false), terminator: "")
        if let json {
            try report.json().write(to: URL(fileURLWithPath: json))
        }
    }

    /// This executable, for benchmarks that start a peer process.
    static var executablePath: String {
        URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath().path
    }
}
