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
    /// writes nothing. `start`: a new run, or the earlier run's in the run directory continued (it
    /// must be named and exist), or a new one in a directory an earlier start left without a checkpoint.
    init(command: String, config: RunConfig, start: RunStart = .new) throws {
        let resume = start.resumes
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
        directory = try RunDirectory.create(for: config, reuse: start != .new)
        do {
            metrics = try MetricsLogger(
                directory: directory,
                progress: ProgressLine(totalSteps: config.plannedSteps, shape: ProgressSnapshot.Shape(config)))
            // An earlier start that never checkpointed logged steps this run will log again.
            if start == .newReusingDirectory { try metrics.jsonl.discardSteps(after: -1) }
        } catch {
            if start == .new { directory.remove() }
            throw error
        }
    }

    /// Whether Ctrl-C or SIGTERM asked the run to stop.
    var stopRequested: @Sendable () -> Bool {
        let stop = self.stop
        return { stop.isRaised }
    }

    /// Whether the stop was SIGTERM's: a scheduler stopping this process, not the run.
    var stopIsTermination: @Sendable () -> Bool {
        let stop = self.stop
        return { stop.isTermination }
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
    /// and ends with the documented exit status (``ExitStatus``): 130 when it was interrupted, 3
    /// when the run stalled or fell short of its config (partial updates, unless `allow_partial`),
    /// 1 when the learner failed otherwise.
    func finish(_ train: () throws -> (summary: RunSummary, interrupted: Bool)) throws {
        let outcome: (summary: RunSummary, interrupted: Bool)
        do {
            outcome = try train()
        } catch let error as LearnerError {
            printError("fleet \(command): \(error); summary.json holds the run so far.")
            throw ExitCode(ExitStatus.runShort)
        } catch let error as CheckpointError {
            printError("fleet \(command): \(error)")
            throw ExitCode.failure
        }
        print(Self.report(outcome.summary, directory: directory))
        if outcome.interrupted {
            printError("fleet \(command): interrupted; summary.json holds the run so far.")
            throw ExitCode(ExitStatus.interrupted)
        }
        if let shortfall = Self.shortfall(outcome.summary) {
            if config.allowPartial {
                printError("fleet \(command): \(shortfall) (allow_partial: true)")
            } else {
                printError("fleet \(command): the run fell short of its config: \(shortfall); exit \(ExitStatus.runShort) (allow_partial: true would accept it)")
                throw ExitCode(ExitStatus.runShort)
            }
        }
    }

    /// What a finished run lost, said in a line; nil when it did everything its config asks.
    static func shortfall(_ summary: RunSummary) -> String? {
        guard summary.complete == false else { return nil }
        let planned = summary.stepsPlanned ?? 0
        return """
            \(summary.partialUpdates ?? 0) of \(summary.updates ?? 0) updates trained on partial batches \
            (actors lost \(summary.actors.lost ?? 0) times); \(summary.envSteps) of \(planned) steps trained, \
            \(summary.stepsShort ?? 0) short
            """
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
