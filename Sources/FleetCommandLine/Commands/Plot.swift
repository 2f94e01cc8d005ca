import ArgumentParser
import FleetCluster
import FleetTools
import Foundation

extension PlotXAxis: ExpressibleByArgument {}

struct Plot: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Draw runs' learning curves from their metrics.jsonl to an SVG file.",
        discussion: """
            RUN is a run directory (fleet train's runs/<env>__<algo>__<seed>__<time>/ or --run-dir) \
            with a metrics.jsonl. Each run is one line, named in the legend by its directory's name. \
            Without --metric the curve is charts/episodic_return (PPO runs) or eval/accuracy \
            (language runs), the first some run logged; each --metric adds a panel, stacked, titled \
            with the tag. A metric no run logged is an error listing the tags there are. Lines of \
            metrics.jsonl that do not parse (a run killed mid-write) are skipped and counted. \
            --x wall plots against seconds since each run's first logged step. \
            The output is SVG only (no PNG: convert with e.g. rsvg-convert if needed).
            """)

    @Argument(help: ArgumentHelp("Run directories, each with a metrics.jsonl.", valueName: "run"), completion: .directory)
    var runs: [String]
    @Option(name: .customLong("metric"), help: ArgumentHelp("A tag to plot, one panel each (repeatable).", valueName: "tag"))
    var metrics: [String] = []
    @Option(help: ArgumentHelp("The SVG file to write.", valueName: "file.svg"), completion: .file(extensions: ["svg"]))
    var out = "plot.svg"
    @Option(help: ArgumentHelp("The x axis: step, or wall (seconds since the run's first logged step).", valueName: "step|wall"))
    var x: PlotXAxis = .step

    func validate() throws {
        guard !runs.isEmpty else { throw ValidationError("give at least one run directory") }
        guard !out.lowercased().hasSuffix(".png") else {
            throw ValidationError("--out \(out): fleet plot writes SVG only (PNG is not supported); use a .svg name")
        }
    }

    func run() throws {
        let logs: [MetricsLog]
        let tags: [String]
        do {
            logs = try runs.map { try MetricsLog(runDirectory: URL(fileURLWithPath: $0)) }
            tags = try MetricsLog.metricsToPlot(metrics, in: logs)
        } catch let error as PlotError {
            printError("fleet plot: \(error)")
            throw ExitCode.failure
        }
        for (path, log) in zip(runs, logs) where log.malformedLines > 0 {
            printError("fleet plot: \(path): skipped \(log.malformedLines) malformed line\(log.malformedLines == 1 ? "" : "s") of metrics.jsonl")
        }
        for tag in tags {
            for (path, log) in zip(runs, logs) where !log.tags.contains(tag) {
                printError("fleet plot: \(path): no \(tag)")
            }
        }
        let panels = tags.map { tag in SVGPlot.Panel(title: tag, series: logs.map { MetricsSeries($0, tag: tag, x: x) }) }
        let document = SVGPlot(panels: panels, xLabel: x.label).render()
        let url = URL(fileURLWithPath: out)
        do {
            try Data(document.utf8).write(to: url, options: .atomic)
        } catch {
            printError("fleet plot: cannot write \(out): \(error.localizedDescription)")
            throw ExitCode.failure
        }
        print("wrote \(url.path): \(logs.count) run\(logs.count == 1 ? "" : "s"), \(tags.joined(separator: ", "))")
    }
}
