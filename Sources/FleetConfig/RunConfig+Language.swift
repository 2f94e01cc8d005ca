import FleetAlgorithms
import FleetEnvironments
import FleetTensor

/// Why a language run cannot start: its task, its model or its budget do not fit.
public struct LanguageSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What does not fit, for people.
    public let description: String

    /// An error saying `description`.
    public init(description: String) { self.description = description }
}

extension RunConfig {
    /// The config's prompt task: built in, or a dataset (``makeDatasetTask()``). Throws
    /// ``LanguageSetupError`` for an unknown name or a dataset that cannot be used.
    public func makeTask() throws(LanguageSetupError) -> any PromptTask {
        if language.task == DatasetTask<ByteTokenizer>.taskName { return try makeDatasetTask() }
        do {
            return try PromptTasks.make(name: language.task)
        } catch {
            throw LanguageSetupError(description: "task: \(error); or dataset, with dataset.train (docs/datasets.md)")
        }
    }

    /// The most response tokens sampled: `max_response_length`, or the task's answer length plus eos.
    public func responseBudget(for task: any PromptTask) -> Int {
        language.maxResponseLength ?? task.maxResponseLength
    }

    /// The policy's architecture for `task`. Throws when the longest prompt and the response budget
    /// do not fit the context.
    public func languageModelConfig(for task: any PromptTask) throws(LanguageSetupError) -> TransformerLM.Config {
        let needed = task.maxPromptLength + responseBudget(for: task)
        guard needed <= language.contextLength else {
            throw LanguageSetupError(
                description: "model.context_length \(language.contextLength) is too short for \(task.name): a prompt "
                    + "(\(task.maxPromptLength) tokens) and its responses (\(responseBudget(for: task))) need \(needed)")
        }
        return TransformerLM.Config(
            vocabulary: task.tokenizer.vocabularySize, contextLength: language.contextLength,
            width: language.modelWidth, heads: language.modelHeads, layers: language.modelLayers)
    }

    /// A policy for `task`, initialized from `seed`.
    public func makeLanguageModel(for task: any PromptTask, seed: UInt64) throws(LanguageSetupError) -> TransformerLM {
        var generator = RandomGenerator(seed: seed)
        return TransformerLM(try languageModelConfig(for: task), using: &generator)
    }

    /// The rewards of the algorithm: +1/-1 for DAPO, exact match (1/0) otherwise, plus `format_bonus`
    /// for a well-formed response.
    public var rewardSpec: RewardSpec {
        var spec = algorithm == "dapo" ? RewardSpec.dapo : .exactMatch
        spec.formatBonus = Float(language.formatBonus)
        return spec
    }

    /// The learner's settings for `task`.
    public func grpoSettings(for task: any PromptTask) -> GRPOSettings {
        let budget = responseBudget(for: task)
        let cache = language.overlongBufferLength
        return GRPOSettings(
            learningRate: language.learningRate, warmupSteps: language.warmupSteps,
            weightDecay: language.weightDecay, maxGradNorm: language.maxGradNorm,
            epsLow: language.clipRatioLow, epsHigh: language.clipRatioHigh, beta: language.klLossCoef,
            aggregation: LossAggregation(rawValue: language.lossAggregation)!,
            advantageScale: AdvantageScale(rawValue: language.advantageScale)!,
            ppoEpochs: language.ppoEpochs, miniBatchSize: language.miniBatchSize * language.rolloutN,
            microBatchSize: language.microBatchSize,
            maxResponseLength: budget,
            softOverlong: cache > 0 ? SoftOverlongPunishment(maxLength: budget, cache: min(cache, budget)) : nil,
            overlongFiltering: language.overlongFiltering, dynamicSampling: language.filterGroups,
            groupSize: language.rolloutN, temperature: Float(language.temperature), topP: Float(language.topP))
    }
}
