import ArgumentParser
import FleetCluster
import FleetTensor
import FleetTransport
import Foundation

struct Train: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Train in one process, with the actors as threads over inproc://.")

    @Argument(help: "The run's config file.") var config: String
    @OptionGroup var options: RunOptions

    func run() throws {
        let config = try options.resolveConfig(file: config)
        do {
            _ = try EnvironmentFactory.make(id: config.envID, count: 1, seed: config.seed)
        } catch {
            printError("fleet train: \(error)")
            throw ExitCode.validationFailure
        }
        if config.deterministic { Determinism.enable() }
        let directory = try RunDirectory.create(for: config)
        let metrics = try MetricsLogger(
            directory: directory, progress: ProgressLine(totalSteps: config.learnerIterations * config.stepsPerIteration))
        let stop = StopSignals()
        let training = try InProcessTraining(
            config: config, context: try Context(), directory: directory, metrics: metrics,
            stopRequested: { stop.isRaised })
        let summary: RunSummary
        do {
            summary = try training.run()
        } catch let error as LearnerError {
            printError("fleet train: \(error)")
            throw ExitCode.failure
        }
        print(Self.report(summary, directory: directory))
        if training.learner.wasInterrupted {
            printError("fleet train: interrupted; summary.json holds the run so far.")
            throw ExitCode(130)
        }
    }

    /// The few lines printed at the end of a run.
    static func report(_ summary: RunSummary, directory: RunDirectory) -> String {
        func number(_ value: Double?, _ format: String) -> String {
            value.map { String(format: format, $0) } ?? "-"
        }
        let solved = summary.solvedAtStep.map {
            "step \($0) (\(number(summary.solvedWallSeconds, "%.1f")) s)"
        } ?? "not solved"
        return """
            \(summary.env) \(summary.algorithm) seed \(summary.seed): \(summary.envSteps) steps in \
            \(number(summary.wallSeconds, "%.1f")) s (\(number(summary.sps, "%.0f")) SPS), \
            policy v\(summary.policyVersion ?? 0)
            final return (mean of last 100 episodes): \(number(summary.finalReturnMean100, "%.2f")) \
            over \(summary.episodes) episodes; threshold \(number(summary.rewardThreshold, "%.0f")): \(solved)
            run directory: \(directory.url.path)
            """
    }
}
