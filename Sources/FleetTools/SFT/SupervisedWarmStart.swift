import FleetAlgorithms
import FleetCluster
import FleetConfig
import FleetEnvironments
import FleetTensor
import FleetWire
import Foundation

/// `fleet sft`: trains the config's policy on its task's train-split demonstrations so that RL
/// starts from a policy that is right sometimes, logs held-out greedy accuracy as it goes, and
/// writes the policy to `checkpoints/policy-final.fleet` (a grpo/dapo run's `init_checkpoint`).
public final class SupervisedWarmStart {
    /// The run's config; its `sft_*` keys drive the training.
    public let config: RunConfig
    /// The config's prompt task, whose train split gives the demonstrations.
    public let task: any PromptTask
    /// The policy being trained.
    public let model: TransformerLM
    private let trainer: SupervisedTrainer
    private let evaluation: HeldOutEvaluation
    private let directory: RunDirectory?
    private let metrics: MetricsLogger?
    private let stopRequested: () -> Bool

    /// Builds the task, the policy (seeded with the config's seed) and the trainer; throws
    /// ``LanguageSetupError`` when the task or the model does not fit.
    public init(
        config: RunConfig, directory: RunDirectory? = nil, metrics: MetricsLogger? = nil,
        stopRequested: @escaping () -> Bool = { false }
    ) throws {
        self.config = config
        self.directory = directory
        self.metrics = metrics
        self.stopRequested = stopRequested
        guard config.isLanguage else {
            throw LanguageSetupError(
                description: "sft warms up a language policy for a grpo, dr_grpo, dapo or ppo-on-a-task config; this config trains "
                    + "\(config.algorithm) on \(config.envID)")
        }
        task = try config.makeTask()
        model = try config.makeLanguageModel(for: task, seed: config.seed)
        trainer = SupervisedTrainer(
            model: model, learningRate: config.language.sftLearningRate, warmupSteps: config.language.sftWarmupSteps,
            weightDecay: config.language.weightDecay,
            maxGradientNorm: config.language.maxGradNorm)
        evaluation = HeldOutEvaluation(
            task: task, count: config.language.evalPrompts, responseBudget: config.responseBudget(for: task))
    }

    /// Trains `sft_steps` steps (or until a stop is requested), evaluating every `eval_every`
    /// steps and at both ends; writes the policy and `summary.json` to the run directory.
    @discardableResult
    public func run() throws -> RunSummary {
        let start = ContinuousClock.now
        let batchSize = config.language.sftBatchSize
        let accuracyStart = try evaluation.greedyAccuracy(of: model)
        try metrics?.log(step: 0, [MetricScalar(MetricTag.evalAccuracy, accuracyStart)])
        var accuracyEnd = accuracyStart
        var steps = 0
        while steps < config.language.sftSteps, !stopRequested() {
            let problems = (0..<batchSize).map { task.problem(steps * batchSize + $0, split: .train) }
            let (loss, tokenAccuracy) = trainer.step(
                prompts: problems.map(\.prompt), demonstrations: problems.map { task.demonstration(for: $0) })
            steps += 1
            var scalars = [
                MetricScalar(MetricTag.sftLoss, loss), MetricScalar(MetricTag.sftTokenAccuracy, tokenAccuracy),
            ]
            if steps % config.language.evalEvery == 0 || steps == config.language.sftSteps {
                accuracyEnd = try evaluation.greedyAccuracy(of: model)
                scalars.append(MetricScalar(MetricTag.evalAccuracy, accuracyEnd))
            }
            try metrics?.log(step: steps * batchSize, scalars)
        }
        if steps % config.language.evalEvery != 0, steps != config.language.sftSteps {
            accuracyEnd = try evaluation.greedyAccuracy(of: model)
        }
        let wallSeconds = (ContinuousClock.now - start).seconds
        let parameters = model.namedParameters()
        let summary = RunSummary(
            algorithm: "sft", env: task.name, seed: config.seed, envSteps: steps * batchSize, wallSeconds: wallSeconds,
            sps: Double(steps * batchSize) / max(wallSeconds, 1e-9), policyVersion: 0,
            weightsSHA256: weightsSHA256(parameters).description,
            eval: RunSummary.Evaluation(
                accuracyStart: accuracyStart, accuracyEnd: accuracyEnd, prompts: evaluation.problems.count,
                passAtK: nil, k: config.language.passK))
        try metrics?.close()
        if let directory {
            try PolicyFile.write(
                Weights(version: 0, parameters: parameters, modelSpec: model.spec),
                to: directory.checkpointsDirectory.appendingPathComponent(PolicyFile.finalName))
            if let source = config.language.modelPath { try directory.writeModel(model, like: source) }
            try directory.writeSummary(summary)
        }
        return summary
    }
}
