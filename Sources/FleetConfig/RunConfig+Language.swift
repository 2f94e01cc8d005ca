import FleetAlgorithms
import FleetEnvironments
import FleetTensor
import Foundation

/// Why a language run cannot start: its task, its model or its budget do not fit.
public struct LanguageSetupError: Error, Hashable, Sendable, CustomStringConvertible {
    /// What does not fit, for people.
    public let description: String

    /// An error saying `description`.
    public init(description: String) { self.description = description }
}

extension RunConfig {
    /// The config's prompt task: built in, or a dataset (``makeDatasetTask()``); in the tokenizer of
    /// the `model.path` folder when one is set (``makeTask(tokenizer:)``). Throws
    /// ``LanguageSetupError`` for an unknown name or a dataset that cannot be used.
    public func makeTask() throws(LanguageSetupError) -> any PromptTask {
        if let path = language.modelPath { return try makeTask(tokenizer: modelTokenizer(path)) }
        if language.task == DatasetTask<ByteTokenizer>.taskName { return try makeDatasetTask() }
        return try makeBuiltInTask()
    }

    /// The tokenizer of the `model.path` folder at `path`.
    private func modelTokenizer(_ path: String) throws(LanguageSetupError) -> GPT2Tokenizer {
        do {
            return try GPT2Tokenizer(folder: path)
        } catch {
            throw LanguageSetupError(description: "model.path \(path): its tokenizer: \(error)")
        }
    }

    /// The config's prompt task in `tokenizer`'s ids (a model folder's): a dataset read with it, or
    /// a built-in task's problems re-spelled (``RetokenizedTask``).
    public func makeTask<Tokenizer: PromptTokenizer>(tokenizer: Tokenizer) throws(LanguageSetupError) -> any PromptTask {
        if language.task == DatasetTask<ByteTokenizer>.taskName { return try makeDatasetTask(tokenizer: tokenizer) }
        func retokenized<Base: CharacterPromptTask>(_ base: Base) -> any PromptTask { RetokenizedTask(base, tokenizer: tokenizer) }
        guard let task = try makeBuiltInTask() as? any CharacterPromptTask else {
            preconditionFailure("every built-in task is a CharacterPromptTask")
        }
        return retokenized(task)
    }

    private func makeBuiltInTask() throws(LanguageSetupError) -> any PromptTask {
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

    /// The policy's architecture for `task`: `model.path`'s, or `model.width`, ... with the task's
    /// vocabulary. Throws when the longest prompt and the response budget do not fit the context, or
    /// the task's tokenizer has ids past the folder's `vocab_size` (which may be larger: padded).
    public func languageModelConfig(for task: any PromptTask) throws(LanguageSetupError) -> TransformerLM.Config {
        if let path = language.modelPath {
            let config: TransformerLM.Config
            do {
                config = try GPT2Checkpoint.config(in: URL(fileURLWithPath: path))
            } catch {
                throw LanguageSetupError(description: "model.path \(path): \(error)")
            }
            guard task.tokenizer.vocabularySize <= config.vocabulary else {
                throw LanguageSetupError(
                    description: "model.path \(path): vocab_size \(config.vocabulary) is smaller than the vocabulary of "
                        + "\(task.name)'s tokenizer (\(task.tokenizer.vocabularySize) ids)")
            }
            try checkContext(config.contextLength, for: task)
            return config
        }
        try checkContext(language.contextLength, for: task)
        return TransformerLM.Config(
            vocabulary: task.tokenizer.vocabularySize, contextLength: language.contextLength,
            width: language.modelWidth, heads: language.modelHeads, layers: language.modelLayers)
    }

    /// Throws when the longest prompt of `task` and the response budget do not fit `contextLength`.
    private func checkContext(_ contextLength: Int, for task: any PromptTask) throws(LanguageSetupError) {
        let needed = task.maxPromptLength + responseBudget(for: task)
        guard needed <= contextLength else {
            throw LanguageSetupError(
                description: "model.context_length \(contextLength) is too short for \(task.name): a prompt "
                    + "(\(task.maxPromptLength) tokens) and its responses (\(responseBudget(for: task))) need \(needed)")
        }
    }

    /// A policy for `task`: `model.path`'s weights, or initialized from `seed`.
    public func makeLanguageModel(for task: any PromptTask, seed: UInt64) throws(LanguageSetupError) -> TransformerLM {
        let config = try languageModelConfig(for: task)
        if let path = language.modelPath {
            do {
                return try GPT2Checkpoint.read(URL(fileURLWithPath: path))
            } catch {
                throw LanguageSetupError(description: "model.path \(path): \(error)")
            }
        }
        var generator = RandomGenerator(seed: seed)
        return TransformerLM(config, using: &generator)
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

extension RunConfig {
    /// Language PPO's settings for `task` (``isLanguagePPO``): the policy's part is ``grpoSettings(for:)``
    /// (its group keys aside), gamma and lambda are `gamma` and `gae_lambda`, reward normalization
    /// is `normalize_rewards`.
    public func languagePPOSettings(for task: any PromptTask) -> LanguagePPOSettings {
        LanguagePPOSettings(
            policy: grpoSettings(for: task), criticLearningRate: language.criticLearningRate,
            criticWarmup: language.criticWarmup, clipRangeValue: language.clipRangeValue,
            klPenalty: LanguagePPOSettings.KLPenalty(rawValue: language.klPenalty)!, klCoef: language.klCoef,
            gamma: ppo.gamma, lambda: ppo.gaeLambda, normalizeRewards: ppo.normalizeRewards,
            rewardClip: language.rewardClip)
    }
}
