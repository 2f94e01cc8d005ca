import ArgumentParser
import FleetCluster
import FleetTools
import FleetConfig
import FleetTensor
import Foundation

/// What `fleet train` and `fleet learner` share around the learner: the config's environment
/// checked before anything is written, deterministic mode, the run directory with its metrics,
/// Ctrl-C/SIGTERM caught, and the report (and exit code) at the end.
struct LearnerRun {
    let command: String
    let config: RunConfig
    let directory: RunDirectory
    let metrics: MetricsLogger
    let stop = StopSignals()
    /// Whether the run directory is an earlier run's, continued.
    let resume: Bool

    /// Prepares a run of `config` for `fleet <command>`; an unknown environment exits 64 and
    /// writes nothing. `resume`: the run directory is an earlier run's, to continue (it must be
    /// named and exist).
    init(command: String, config: RunConfig, resume: Bool = false) throws {
        do {
            if config.isLanguage {
                _ = try config.languageModelConfig(for: try config.makeTask())
            } else {
                _ = try EnvironmentFactory.make(for: config, count: 1, seed: config.seed)
            }
        } catch {
            printError("fleet \(command): \(error)")
            throw ExitCode.validationFailure
        }
        if resume {
            guard let path = config.runDirectory else {
                printError("fleet \(command): --resume needs the run directory to continue: --run-dir PATH (or run_dir in the config)")
                throw ExitCode.validationFailure
            }
            guard FileManager.default.fileExists(atPath: path) else {
                printError("fleet \(command): nothing to resume: run directory \(path) does not exist")
                throw ExitCode.failure
            }
        }
        if config.deterministic { Determinism.enable() }
        self.command = command
        self.config = config
        self.resume = resume
        directory = try RunDirectory.create(for: config, reuse: resume)
        do {
            metrics = try MetricsLogger(
                directory: directory,
                progress: ProgressLine(totalSteps: config.plannedSteps, shape: ProgressSnapshot.Shape(config)))
        } catch {
            if !resume { directory.remove() }
            throw error
        }
    }

    /// Whether Ctrl-C or SIGTERM asked the run to stop.
    var stopRequested: @Sendable () -> Bool {
        let stop = self.stop
        return { stop.isRaised }
    }

    /// Builds the learner with `make`; a checkpoint that cannot be resumed from (or written) is
    /// printed and ends the command with exit code 1. A new run that fails to start (an endpoint
    /// or port taken, keys missing) removes its run directory, so that a retry can have it.
    func start<Learner>(_ make: () throws -> Learner) throws -> Learner {
        do {
            return try make()
        } catch {
            if !resume { directory.remove() }
            guard error is CheckpointError else { throw error }
            printError("fleet \(command): \(error)")
            throw ExitCode.failure
        }
    }

    /// Runs `train` (which returns the summary and whether it was interrupted), prints the report,
    /// and fails with exit 1 when the learner failed or 130 when it was interrupted.
    func finish(_ train: () throws -> (summary: RunSummary, interrupted: Bool)) throws {
        let outcome: (summary: RunSummary, interrupted: Bool)
        do {
            outcome = try train()
        } catch let error as LearnerError {
            printError("fleet \(command): \(error)")
            throw ExitCode.failure
        } catch let error as CheckpointError {
            printError("fleet \(command): \(error)")
            throw ExitCode.failure
        }
        print(Self.report(outcome.summary, directory: directory))
        if outcome.interrupted {
            printError("fleet \(command): interrupted; summary.json holds the run so far.")
            throw ExitCode(130)
        }
    }

    /// The few lines printed at the end of a run.
    static func report(_ summary: RunSummary, directory: RunDirectory) -> String {
        func number(_ value: Double?, _ format: String) -> String {
            value.map { String(format: format, $0) } ?? "-"
        }
        if let eval = summary.eval, let accuracyEnd = eval.accuracyEnd {
            return """
                \(summary.env) \(summary.algorithm) seed \(summary.seed): \(summary.policyVersion ?? 0) updates, \
                \(summary.envSteps) responses in \(number(summary.wallSeconds, "%.1f")) s
                held-out greedy accuracy (\(eval.prompts ?? 0) prompts): \(number(eval.accuracyStart.map { 100 * $0 }, "%.1f"))% \
                -> \(number(100 * accuracyEnd, "%.1f"))%; pass@\(eval.k ?? 0) \(number(eval.passAtK.map { 100 * $0 }, "%.1f"))%
                \(summary.learnerTimeLine.map { $0 + "\n" } ?? "")run directory: \(directory.url.path)
                """
        }
        let solved = summary.solvedAtStep.map {
            "step \($0) (\(number(summary.solvedWallSeconds, "%.1f")) s)"
        } ?? "not solved"
        return """
            \(summary.env) \(summary.algorithm) seed \(summary.seed): \(summary.envSteps) steps in \
            \(number(summary.wallSeconds, "%.1f")) s (\(number(summary.sps, "%.0f")) SPS), \
            policy v\(summary.policyVersion ?? 0)
            final return (mean of last 100 episodes): \(number(summary.finalReturnMean100, "%.2f")) \
            over \(summary.episodes) episodes; threshold \(number(summary.rewardThreshold, "%g")): \(solved)
            \(summary.learnerTimeLine.map { $0 + "\n" } ?? "")run directory: \(directory.url.path)
            """
    }
}
