import FleetTensor
import Foundation

/// What one language-PPO update reports, under verl's names (see ``scalars``). Loss terms, clip
/// fractions, `ppoKL`, entropy and `vpredMean` are means over the update's mini-batches (all
/// epochs); grad norms are means over the optimizer steps taken. The actor's terms are 0 while the
/// critic warms up.
public struct LanguagePPOStatistics: Sendable, Equatable {
    /// `actor/pg_loss`, `actor/pg_clipfrac`, `actor/ppo_kl`, `actor/entropy`, `actor/grad_norm`, `actor/lr`.
    public var pgLoss = 0.0, pgClipfrac = 0.0, ppoKL = 0.0, entropy = 0.0, actorGradNorm = 0.0, actorLearningRate = 0.0
    /// `actor/reward_kl_penalty`: the mean over responses of each response's mean per-token KL in
    /// the reward; `actor/reward_kl_penalty_coeff`: `kl_coef`.
    public var rewardKLPenalty = 0.0, rewardKLPenaltyCoeff = 0.0
    /// `critic/vf_loss`, `critic/vf_clipfrac`, `critic/vpred_mean`, `critic/grad_norm`, `critic/lr`.
    public var vfLoss = 0.0, vfClipfrac = 0.0, vpredMean = 0.0, criticGradNorm = 0.0, criticLearningRate = 0.0
    /// Means over response tokens of the sampling-time values, the returns and the (whitened) advantages.
    public var valuesMean = 0.0, returnsMean = 0.0, advantagesMean = 0.0
    /// `critic/score/mean`: the task's score; `critic/rewards/mean`: each response's summed token
    /// rewards (normalized score less the KL penalty).
    public var scoreMean = 0.0, rewardsMean = 0.0
    /// Mean response length in tokens.
    public var responseLengthMean = 0.0
    /// Responses in the batch, and those that took part (not empty).
    public var responses = 0, responsesTrained = 0
    /// Whether the policy trained (false during the critic's warm-up).
    public var policyTrained = false
    /// Optimizer steps taken, the critic's and the policy's, and those skipped because a loss or
    /// gradient norm was not finite.
    public var criticSteps = 0, policySteps = 0, nonFiniteSkipped = 0

    /// All zeros: what an update with no groups reports.
    public init() {}

    /// verl's metric names with their values, in a fixed order.
    public var scalars: [(tag: String, value: Double)] {
        [
            ("actor/pg_loss", pgLoss), ("actor/pg_clipfrac", pgClipfrac), ("actor/ppo_kl", ppoKL),
            ("actor/entropy", entropy), ("actor/grad_norm", actorGradNorm), ("actor/lr", actorLearningRate),
            ("actor/reward_kl_penalty", rewardKLPenalty), ("actor/reward_kl_penalty_coeff", rewardKLPenaltyCoeff),
            ("critic/vf_loss", vfLoss), ("critic/vf_clipfrac", vfClipfrac), ("critic/vpred_mean", vpredMean),
            ("critic/grad_norm", criticGradNorm), ("critic/lr", criticLearningRate),
            ("critic/values/mean", valuesMean), ("critic/returns/mean", returnsMean),
            ("critic/advantages/mean", advantagesMean), ("critic/score/mean", scoreMean),
            ("critic/rewards/mean", rewardsMean), ("response_length/mean", responseLengthMean),
        ]
    }
}

/// PPO on a prompt task with a critic, the RLHF recipe with PPO-max's stability tricks
/// (docs/algorithms.md, "Language PPO"). One update:
/// 1. each response's score, normalized by running statistics and clipped (PPO-max);
/// 2. per-token rewards: `-kl_coef · kl_t` to the frozen reference, plus the score at the last token;
/// 3. the critic's value of every response token, token-level GAE, returns `A + V`, and the
///    advantages whitened over the batch's tokens;
/// 4. `ppoEpochs` passes of shuffled mini-batches: a critic step on the clipped value loss, then
///    (after the critic's warm-up) a policy step on the clipped surrogate (``GRPOLoss``), each
///    with global gradient clipping and its own AdamW.
///
/// With the policy settings' `microBatchSize`, each step's forward and backward go a micro-batch
/// at a time, each token weighted as in the whole mini-batch, the gradients adding up
/// (``GradientAccumulation``); the values and reference log-probs of step 3 are taken as many
/// responses at a time.
public final class LanguagePPOLearner {
    /// The policy being trained (its parameters are what the cluster broadcasts).
    public let policy: TransformerLM
    /// The frozen policy at construction, when `klCoef > 0` or the policy settings' `beta > 0`.
    public let reference: TransformerLM?
    /// The critic: its own transformer from the policy's weights, with a value head.
    public let critic: LanguageCritic
    /// The hyperparameters given at creation.
    public let settings: LanguagePPOSettings
    /// AdamW over the policy's parameters, and over the critic's.
    public let policyOptimizer: AdamW, criticOptimizer: AdamW
    /// Updates done (the warm-ups count these).
    public internal(set) var iteration = 0
    /// Draws the mini-batch shuffles.
    public internal(set) var generator: RandomGenerator
    /// The running statistics of the scores (used when `normalizeRewards`).
    public internal(set) var rewardNormalizer: RewardNormalizer
    private let policyParametersList: [(name: String, tensor: Tensor)]
    private let criticParameters: [(name: String, tensor: Tensor)]

    /// A learner that trains `policy` in place and a critic copied from it, shuffling with a
    /// generator seeded by `seed`.
    public init(policy: TransformerLM, settings: LanguagePPOSettings, seed: UInt64) {
        precondition(settings.policy.ppoEpochs > 0 && settings.policy.miniBatchSize > 0, "ppoEpochs and miniBatchSize must be positive")
        precondition((settings.policy.microBatchSize ?? 1) > 0, "microBatchSize must be positive")
        precondition(settings.policy.maxResponseLength > 0, "maxResponseLength must be positive")
        self.policy = policy
        self.settings = settings
        reference = settings.klCoef > 0 || settings.policy.beta > 0 ? GRPOLearner.frozenCopy(of: policy) : nil
        critic = LanguageCritic(copying: policy)
        policyParametersList = policy.namedParameters()
        criticParameters = critic.namedParameters()
        policyOptimizer = AdamW(policyParametersList, learningRate: settings.policy.learningRate, weightDecay: settings.policy.weightDecay)
        criticOptimizer = AdamW(criticParameters, learningRate: settings.criticLearningRate, weightDecay: settings.policy.weightDecay)
        generator = RandomGenerator(seed: seed)
        rewardNormalizer = RewardNormalizer(clip: Float(settings.rewardClip))
    }

    /// The parameters the cluster broadcasts: the policy's, by name (they share its storage).
    public func policyParameters() -> [(name: String, tensor: Tensor)] { policyParametersList }

    /// The critic's parameters, by name (they share its storage).
    public func criticParameterList() -> [(name: String, tensor: Tensor)] { criticParameters }

    /// One update on these groups (of any size; each response is a sample of its own). No groups:
    /// nothing happens.
    public func update(_ groups: [ResponseGroup]) -> LanguagePPOStatistics {
        guard !groups.isEmpty else { return LanguagePPOStatistics() }
        iteration += 1
        var statistics = LanguagePPOStatistics()
        let policySettings = settings.policy
        statistics.policyTrained = iteration > settings.criticWarmup
        policyOptimizer.learningRate = policySettings.warmupSteps > 0
            ? WarmupConstantSchedule(peakRate: policySettings.learningRate, warmupSteps: policySettings.warmupSteps)
                .learningRate(at: iteration)
            : policySettings.learningRate
        statistics.actorLearningRate = policyOptimizer.learningRate
        statistics.criticLearningRate = criticOptimizer.learningRate
        statistics.rewardKLPenaltyCoeff = settings.klCoef

        // 1. The responses that take part (not empty), and their scores.
        var samples: [Sample] = []
        var scoreSum = 0.0, lengthSum = 0
        for group in groups {
            let g = group.responses.count
            precondition(g > 0, "group \(group.promptID) has no responses")
            precondition(group.behaviourLogProbs.count == g && group.rewards.count == g && group.truncated.count == g,
                         "group \(group.promptID): responses, log-probs, rewards and truncation flags differ in count")
            precondition(!group.prompt.isEmpty, "group \(group.promptID) has an empty prompt")
            for i in 0..<g {
                let response = group.responses[i]
                precondition(group.behaviourLogProbs[i].count == response.count,
                             "group \(group.promptID) response \(i): log-probs and tokens differ in count")
                precondition(group.prompt.count + response.count <= policy.config.contextLength,
                             "group \(group.promptID) response \(i): prompt + response exceed the context length")
                scoreSum += Double(group.rewards[i])
                lengthSum += response.count
                statistics.responses += 1
                if response.isEmpty { continue }
                samples.append(Sample(prompt: group.prompt, response: response, old: group.behaviourLogProbs[i], score: group.rewards[i]))
            }
        }
        statistics.scoreMean = scoreSum / Double(statistics.responses)
        statistics.responseLengthMean = Double(lengthSum) / Double(statistics.responses)
        statistics.responsesTrained = samples.count
        guard !samples.isEmpty else { return statistics }

        // 2. PPO-max: the scores normalized by their running statistics and clipped.
        let scores = samples.map(\.score)
        let normalized = settings.normalizeRewards ? rewardNormalizer.normalize(scores) : scores

        // 3. Reference log-probs and the critic's values at sampling time, a micro-batch (or a
        //    mini-batch) at a time.
        let chunkSize = policySettings.microBatchSize ?? policySettings.miniBatchSize
        for chunk in GradientAccumulation.microBatches(count: samples.count, size: chunkSize) {
            let batch = TeacherForcedBatch(prompts: chunk.map { samples[$0].prompt }, responses: chunk.map { samples[$0].response })
            let values = withNoGrad { critic.values(batch).data }
            var references: [Float] = []
            if let reference { references = withNoGrad { batch.logProbabilities(reference, temperature: temperature).tokenLogProbs.data } }
            var offset = 0
            for (k, length) in zip(chunk, batch.lengths) {
                samples[k].values = Array(values[offset..<(offset + length)])
                if reference != nil { samples[k].ref = Array(references[offset..<(offset + length)]) }
                offset += length
            }
        }

        // 4. Token rewards (the KL penalty, and the score at the last token), GAE and returns.
        var klSum = 0.0, rewardSum = 0.0
        for k in samples.indices {
            let kl = settings.klCoef > 0
                ? TokenRewards.klPenalty(old: samples[k].old, ref: samples[k].ref, kind: settings.klPenalty) : nil
            let rewards = TokenRewards.rewards(
                score: normalized[k], kl: kl, klCoef: Float(settings.klCoef), length: samples[k].response.count)
            (samples[k].advantages, samples[k].returns) = TokenGAE.compute(
                rewards: rewards, values: samples[k].values, gamma: Float(settings.gamma), lambda: Float(settings.lambda))
            klSum += kl.map { $0.reduce(0.0) { $0 + Double($1) } / Double($0.count) } ?? 0
            rewardSum += rewards.reduce(0.0) { $0 + Double($1) }
        }
        statistics.rewardKLPenalty = klSum / Double(samples.count)
        statistics.rewardsMean = rewardSum / Double(samples.count)

        // 5. Advantages whitened over every response token of the batch.
        let whitened = TokenGAE.whiten(samples.flatMap(\.advantages))
        var offset = 0
        for k in samples.indices {
            let n = samples[k].response.count
            samples[k].advantages = Array(whitened[offset..<(offset + n)])
            offset += n
        }
        let tokens = Double(whitened.count)
        statistics.valuesMean = samples.reduce(0.0) { $0 + $1.values.reduce(0.0) { $0 + Double($1) } } / tokens
        statistics.returnsMean = samples.reduce(0.0) { $0 + $1.returns.reduce(0.0) { $0 + Double($1) } } / tokens
        statistics.advantagesMean = whitened.reduce(0.0) { $0 + Double($1) } / tokens

        // 6. ppoEpochs passes of shuffled mini-batches: the critic's step, then the policy's.
        var order = Array(samples.indices)
        let microBatchSize = policySettings.microBatchSize
        var miniBatches = 0
        var sums = (vfLoss: 0.0, vfClipfrac: 0.0, vpred: 0.0, criticNorm: 0.0, pgLoss: 0.0, clipfrac: 0.0, ppoKL: 0.0,
                    entropy: 0.0, policyNorm: 0.0)
        for _ in 0..<policySettings.ppoEpochs {
            generator.shuffle(&order)
            for start in stride(from: 0, to: order.count, by: policySettings.miniBatchSize) {
                let chosen = order[start..<Swift.min(start + policySettings.miniBatchSize, order.count)].map { samples[$0] }
                let lengths = chosen.map(\.response.count)
                var tokenOffsets = [0]
                for length in lengths { tokenOffsets.append(tokenOffsets.last! + length) }
                miniBatches += 1

                // The critic: the clipped value loss against the returns, a token-mean over the mini-batch.
                criticOptimizer.zeroGrad()
                var valueParts: [ValueLossDiagnostics] = []
                let criticFinite = GradientAccumulation.accumulate(count: chosen.count, microBatchSize: microBatchSize) { range in
                    let micro = chosen[range]
                    let batch = TeacherForcedBatch(prompts: micro.map(\.prompt), responses: micro.map(\.response))
                    let (loss, diagnostics) = ValueLoss.clipped(
                        values: critic.values(batch), oldValues: micro.flatMap(\.values), returns: micro.flatMap(\.returns),
                        clipRange: Float(settings.clipRangeValue), normalizingCount: tokenOffsets.last!)
                    valueParts.append(diagnostics)
                    return loss
                }
                let valueDiagnostics = ValueLossDiagnostics.combining(valueParts)
                sums.vfLoss += valueDiagnostics.vfLoss
                sums.vfClipfrac += valueDiagnostics.vfClipfrac
                sums.vpred += valueDiagnostics.vpredMean
                if let norm = step(criticOptimizer, criticParameters, finite: criticFinite, statistics: &statistics) {
                    statistics.criticSteps += 1
                    sums.criticNorm += Double(norm)
                }

                // The policy, after the critic's warm-up: the clipped surrogate on the advantages,
                // each micro-batch's tokens weighted by their slice of the mini-batch's weights.
                guard statistics.policyTrained else { continue }
                let weights = GRPOLoss.tokenWeights(
                    lengths: lengths, aggregation: policySettings.aggregation,
                    normalizingLength: policySettings.maxResponseLength)
                policyOptimizer.zeroGrad()
                var policyParts: [GRPOLossDiagnostics] = [], entropies: [(mean: Double, tokens: Int)] = []
                let policyFinite = GradientAccumulation.accumulate(count: chosen.count, microBatchSize: microBatchSize) { range in
                    let micro = chosen[range]
                    let batch = TeacherForcedBatch(prompts: micro.map(\.prompt), responses: micro.map(\.response))
                    let forward = batch.logProbabilities(policy, temperature: temperature)
                    let (loss, diagnostics) = GRPOLoss.policyLoss(
                        logProbs: forward.tokenLogProbs, oldLogProbs: micro.flatMap(\.old),
                        refLogProbs: policySettings.beta > 0 ? micro.flatMap(\.ref) : nil,
                        advantages: micro.flatMap(\.advantages),
                        weights: Array(weights[tokenOffsets[range.lowerBound]..<tokenOffsets[range.upperBound]]),
                        epsLow: Float(policySettings.epsLow), epsHigh: Float(policySettings.epsHigh),
                        beta: Float(policySettings.beta))
                    policyParts.append(diagnostics)
                    entropies.append((batch.meanEntropy(forward.logSoftmax), batch.positions.count))
                    return loss
                }
                let diagnostics = GRPOLossDiagnostics.combining(policyParts)
                sums.pgLoss += diagnostics.pgLoss
                sums.clipfrac += diagnostics.pgClipfrac
                sums.ppoKL += diagnostics.ppoKL
                sums.entropy += GradientAccumulation.combinedMean(entropies)
                if let norm = step(policyOptimizer, policyParametersList, finite: policyFinite, statistics: &statistics) {
                    statistics.policySteps += 1
                    sums.policyNorm += Double(norm)
                }
            }
        }
        let m = Double(miniBatches)
        statistics.vfLoss = sums.vfLoss / m
        statistics.vfClipfrac = sums.vfClipfrac / m
        statistics.vpredMean = sums.vpred / m
        statistics.criticGradNorm = statistics.criticSteps > 0 ? sums.criticNorm / Double(statistics.criticSteps) : 0
        if statistics.policyTrained {
            statistics.pgLoss = sums.pgLoss / m
            statistics.pgClipfrac = sums.clipfrac / m
            statistics.ppoKL = sums.ppoKL / m
            statistics.entropy = sums.entropy / m
            statistics.actorGradNorm = statistics.policySteps > 0 ? sums.policyNorm / Double(statistics.policySteps) : 0
        }
        return statistics
    }

    /// ``GradientAccumulation/clippedStep(_:_:maxNorm:lossFinite:)`` at `max_grad_norm`; a step it
    /// skips is counted in `statistics`.
    private func step(
        _ optimizer: AdamW, _ parameters: [(name: String, tensor: Tensor)], finite: Bool,
        statistics: inout LanguagePPOStatistics
    ) -> Float? {
        let norm = GradientAccumulation.clippedStep(
            optimizer, parameters, maxNorm: settings.policy.maxGradNorm, lossFinite: finite)
        if norm == nil { statistics.nonFiniteSkipped += 1 }
        return norm
    }

    /// The temperature of every log-prob the update takes: the sampling temperature (as GRPO's).
    private var temperature: Float { settings.policy.temperature > 0 ? settings.policy.temperature : 1 }

    /// A response that takes part, with what the update computes for each of its tokens.
    struct Sample {
        var prompt: [Int32]
        var response: [Int32]
        /// Behaviour log-probs.
        var old: [Float]
        /// The task's score.
        var score: Float
        var ref: [Float] = []
        var values: [Float] = []
        var advantages: [Float] = []
        var returns: [Float] = []
    }
}
