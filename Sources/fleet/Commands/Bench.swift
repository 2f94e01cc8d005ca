import ArgumentParser
import FleetBench
import Foundation

struct Bench: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure Fleet against baselines measured in the same run, as ratios.",
        discussion: "Build in release mode first (make bench does): debug figures mean little.")

    /// The sub-suites built so far; cluster and lm arrive with their issues.
    enum Suite: String, CaseIterable, ExpressibleByArgument {
        case wire, transport, env, tensor
    }

    @Argument(help: "Sub-suites to run: wire, transport, env, tensor (default: all).")
    var suites: [Suite] = []

    @Flag(help: "Fewer repetitions: a quick look, not a measurement to quote.")
    var quick = false

    @Option(help: "Also write the report as JSON to this file.")
    var json: String?

    func run() throws {
        var figures: [BenchFigure] = []
        for suite in suites.isEmpty ? Suite.allCases : suites {
            switch suite {
            case .wire: figures += try WireBenchmark.figures(quick: quick)
            case .transport:
                figures += try TransportBenchmark.figures(quick: quick, fleetExecutable: Self.executablePath)
            case .env: figures += EnvironmentBenchmark.figures(quick: quick)
            case .tensor: figures += try TensorBenchmark.figures(quick: quick)
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
