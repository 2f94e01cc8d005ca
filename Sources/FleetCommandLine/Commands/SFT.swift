import ArgumentParser
import FleetCluster
import FleetConfig
import FleetTensor
import FleetTools
import Foundation

struct SFT: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sft",
        abstract: "Warm-start a language-model policy on task demonstrations.",
        discussion: """
            Trains the config's model (model.*) on the task's train-split demonstrations: sft_steps \
            steps of sft_batch_size (AdamW at sft_learning_rate), held-out greedy accuracy every \
            eval_every steps. Writes runs/<task>__sft__<seed>__<time>/ (or --run-dir) with \
            checkpoints/policy-final.fleet: give that to a grpo or dapo run as init_checkpoint.
            """)

    @Argument(help: "The run's config file.", completion: .configFile) var config: String
    @OptionGroup var options: RunOptions

    func run() throws {
        let config = try options.resolveConfig(file: config)
        if config.deterministic { Determinism.enable() }
        let stop = StopSignals()
        let warmStart: SupervisedWarmStart
        let directory: RunDirectory
        do {
            _ = try config.languageModelConfig(for: try config.makeTask())
            directory = try RunDirectory.create(for: config, algorithm: "sft")
            warmStart = try SupervisedWarmStart(
                config: config, directory: directory,
                metrics: try MetricsLogger(
                    directory: directory,
                    progress: ProgressLine(totalSteps: config.language.sftSteps * config.language.sftBatchSize)),
                stopRequested: { stop.isRaised })
        } catch let error as LanguageSetupError {
            printError("fleet sft: \(error)")
            throw ExitCode.validationFailure
        }
        let summary = try warmStart.run()
        let start = summary.eval?.accuracyStart ?? 0, end = summary.eval?.accuracyEnd ?? 0
        print(String(
            format: "%@ sft seed %llu: %d demonstrations in %.1f s; held-out greedy accuracy %.1f%% -> %.1f%% (%d prompts)",
            summary.env, summary.seed, summary.envSteps, summary.wallSeconds, 100 * start, 100 * end,
            summary.eval?.prompts ?? 0))
        print("policy: \(directory.checkpointsDirectory.appendingPathComponent(PolicyFile.finalName).path)")
        if stop.isRaised {
            printError("fleet sft: interrupted; the policy so far is written.")
            throw ExitCode(130)
        }
    }
}
