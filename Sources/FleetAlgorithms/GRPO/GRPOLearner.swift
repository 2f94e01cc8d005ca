import FleetTensor
import Foundation

/// G responses to one prompt, sampled with one policy version, scored (what a group actor ships and
/// ``GRPOLearner/update(_:)`` consumes; `fleet.v1.GroupBatch` carries many).
///
/// `responses[i]`, `behaviourLogProbs[i]`, `rewards[i]` and `truncated[i]` describe response `i`;
/// `behaviourLogProbs[i][j]` is the log-prob (at the sampling temperature, see ``Sampling``) of
/// `responses[i][j]` when it was sampled. Responses are ragged, and so are prompts (a dataset's
/// differ in length).
public struct ResponseGroup: Sendable, Equatable {
    /// The task's id of the prompt.
    public var promptID: Int64
    /// The prompt's token ids.
    public var prompt: [Int32]
    /// The G responses' token ids, ragged.
    public var responses: [[Int32]]
    /// Per response token, its log-prob under the sampling policy at the sampling temperature.
    public var behaviourLogProbs: [[Float]]
    /// One reward per response, as the task scored it (without the soft overlong punishment).
    public var rewards: [Float]
    /// The response hit the generation budget (it did not end by itself).
    public var truncated: [Bool]
    /// The weights version the responses were sampled with.
    public var policyVersion: UInt64

    /// Creates a group without checking it; ``GRPOLearner/update(_:)`` traps on counts that disagree.
    public init(promptID: Int64, prompt: [Int32], responses: [[Int32]], behaviourLogProbs: [[Float]], rewards: [Float],
                truncated: [Bool], policyVersion: UInt64) {
        self.promptID = promptID
        self.prompt = prompt
        self.responses = responses
        self.behaviourLogProbs = behaviourLogProbs
        self.rewards = rewards
        self.truncated = truncated
        self.policyVersion = policyVersion
    }
}

/// What one GRPO update reports, under verl's names (see ``scalars``). Loss terms, clip fractions,
/// `ppoKL` and entropy are means over the update's mini-batches (all epochs), as verl averages its
/// per-mini-batch metrics; `gradNorm` is the mean pre-clip norm over the optimizer steps.
public struct GRPOStatistics: Sendable, Equatable {
    /// The means of ``GRPOLossDiagnostics``'s terms of the same names (verl's `actor/pg_loss`,
    /// `actor/pg_clipfrac`, `actor/pg_clipfrac_lower`, `actor/ppo_kl`, `actor/kl_loss`).
    public var pgLoss = 0.0, pgClipfrac = 0.0, pgClipfracLower = 0.0, ppoKL = 0.0, klLoss = 0.0
    /// Mean entropy (nats) of the policy's next-token distribution over the trained response tokens.
    public var entropy = 0.0
    /// Mean global gradient norm before clipping, over the optimizer steps.
    public var gradNorm = 0.0
    /// The learning rate of this update, after warm-up.
    public var learningRate = 0.0
    /// Mean reward as given (the task's score).
    public var scoreMean = 0.0
    /// Mean reward after the soft overlong punishment (equal to ``scoreMean`` without it).
    public var rewardMean = 0.0
    /// Mean advantage over response tokens.
    public var advantageMean = 0.0
    /// Mean response length in tokens.
    public var responseLengthMean = 0.0
    /// Fraction of responses that were truncated.
    public var responseLengthClipRatio = 0.0
    /// Responses in the batch, and those that took part in the loss (after overlong filtering and
    /// leaving out empty responses).
    public var responses = 0, responsesTrained = 0
    /// Optimizer steps taken (mini-batches over all epochs, less those skipped).
    public var optimizerSteps = 0
    /// Optimizer steps skipped because the loss or the gradient norm was not finite.
    public var nonFiniteSkipped = 0

    /// All zeros: what an update with no groups reports.
    public init() {}

    /// verl's metric names with their values, in a fixed order.
    public var scalars: [(tag: String, value: Double)] {
        [
            ("actor/pg_loss", pgLoss), ("actor/pg_clipfrac", pgClipfrac), ("actor/pg_clipfrac_lower", pgClipfracLower),
            ("actor/ppo_kl", ppoKL), ("actor/kl_loss", klLoss), ("actor/entropy", entropy),
            ("actor/grad_norm", gradNorm), ("actor/lr", learningRate),
            ("critic/score/mean", scoreMean), ("critic/rewards/mean", rewardMean),
            ("critic/advantages/mean", advantageMean),
            ("response_length/mean", responseLengthMean), ("response_length/clip_ratio", responseLengthClipRatio),
        ]
    }
}

/// GRPO, Dr. GRPO and DAPO's learner (docs/algorithms.md): group advantages, then `ppoEpochs` passes of
/// shuffled mini-batches, each a teacher-forced forward of prompt + response, the clipped (clip-higher)
/// surrogate with k3 KL to a frozen reference, global gradient clipping and an AdamW step.
public final class GRPOLearner {
    /// The policy being trained (its parameters are what the cluster broadcasts).
    public let policy: TransformerLM
    /// A frozen copy of the policy as it was at construction, when `beta > 0`.
    public let reference: TransformerLM?
    /// The hyperparameters given at creation.
    public let settings: GRPOSettings
    /// AdamW over the policy's parameters.
    public let optimizer: AdamW
    /// Updates done (the warm-up counts these).
    public internal(set) var iteration: Int
    /// Draws the mini-batch shuffles.
    public internal(set) var generator: RandomGenerator
    /// The policy's parameters, listed once.
    private let parameters: [(name: String, tensor: Tensor)]

    /// A learner that trains `policy` in place with `settings`, shuffling with a generator seeded by `seed`.
    public init(policy: TransformerLM, settings: GRPOSettings, seed: UInt64) {
        precondition(settings.ppoEpochs > 0 && settings.miniBatchSize > 0, "ppoEpochs and miniBatchSize must be positive")
        precondition((settings.microBatchSize ?? 1) > 0, "microBatchSize must be positive")
        precondition(settings.maxResponseLength > 0, "maxResponseLength must be positive")
        self.policy = policy
        self.settings = settings
        reference = settings.beta > 0 ? GRPOLearner.frozenCopy(of: policy) : nil
        parameters = policy.namedParameters()
        optimizer = AdamW(parameters, learningRate: settings.learningRate, weightDecay: settings.weightDecay)
        iteration = 0
        generator = RandomGenerator(seed: seed)
    }

    /// The parameters the cluster broadcasts: the policy's, by name (they share its storage).
    public func policyParameters() -> [(name: String, tensor: Tensor)] { parameters }

    /// A copy of the policy's weights by name, row-major, to send to another task.
    public func exportWeights() -> [(name: String, shape: [Int], values: [Float])] {
        parameters.map { (name: $0.name, shape: $0.tensor.shape, values: $0.tensor.data) }
    }

    /// One update on these groups:
    /// 1. rewards (+ the soft overlong punishment when set) to advantages per group;
    /// 2. the responses that take part (not empty; not truncated when overlong filtering is on) and,
    ///    when `beta > 0`, their reference log-probs;
    /// 3. for each of `ppoEpochs`: a seeded shuffle of the responses cut into mini-batches of
    ///    `miniBatchSize`; for each, a teacher-forced forward, the loss, backward, global gradient
    ///    clipping to `maxGradNorm` and an AdamW step at the warmed-up learning rate. With a
    ///    `microBatchSize`, the forward and backward go a micro-batch at a time, each token weighted
    ///    as in the whole mini-batch, the gradients adding up (``GradientAccumulation``); so do the
    ///    reference log-probs.
    ///
    /// No groups: nothing happens (the warm-up does not advance).
    public func update(_ groups: [ResponseGroup]) -> GRPOStatistics {
        guard !groups.isEmpty else { return GRPOStatistics() }
        iteration += 1
        var statistics = GRPOStatistics()
        optimizer.learningRate = settings.warmupSteps > 0
            ? WarmupConstantSchedule(peakRate: settings.learningRate, warmupSteps: settings.warmupSteps).learningRate(at: iteration)
            : settings.learningRate
        statistics.learningRate = optimizer.learningRate

        // Rewards, shaped rewards and advantages, group by group.
        var scores: [Float] = [], rewards: [Float] = [], groupSizes: [Int] = []
        var lengthSum = 0, truncatedCount = 0
        for group in groups {
            let g = group.responses.count
            precondition(g > 0, "group \(group.promptID) has no responses")
            precondition(group.behaviourLogProbs.count == g && group.rewards.count == g && group.truncated.count == g,
                         "group \(group.promptID): responses, log-probs, rewards and truncation flags differ in count")
            precondition(!group.prompt.isEmpty, "group \(group.promptID) has an empty prompt")
            groupSizes.append(g)
            for i in 0..<g {
                let length = group.responses[i].count
                precondition(group.behaviourLogProbs[i].count == length,
                             "group \(group.promptID) response \(i): \(group.behaviourLogProbs[i].count) log-probs for \(length) tokens")
                precondition(group.prompt.count + length <= policy.config.contextLength,
                             "group \(group.promptID) response \(i): prompt + response exceed the context length")
                scores.append(group.rewards[i])
                rewards.append(group.rewards[i] + (settings.softOverlong?.penalty(length: length) ?? 0))
                lengthSum += length
                if group.truncated[i] { truncatedCount += 1 }
            }
        }
        let advantages = GroupAdvantages.compute(rewards: rewards, groupSizes: groupSizes, scale: settings.advantageScale)
        statistics.responses = rewards.count
        statistics.scoreMean = mean(scores)
        statistics.rewardMean = mean(rewards)
        statistics.responseLengthMean = Double(lengthSum) / Double(rewards.count)
        statistics.responseLengthClipRatio = Double(truncatedCount) / Double(rewards.count)

        // The responses that take part in the loss.
        var items: [Item] = []
        var advantageTokenSum = 0.0
        var flat = 0
        for (g, group) in groups.enumerated() {
            for i in group.responses.indices {
                defer { flat += 1 }
                advantageTokenSum += Double(advantages[flat]) * Double(group.responses[i].count)
                if group.responses[i].isEmpty || (settings.overlongFiltering && group.truncated[i]) { continue }
                items.append(Item(group: g, response: i, advantage: advantages[flat]))
            }
        }
        statistics.advantageMean = lengthSum > 0 ? advantageTokenSum / Double(lengthSum) : 0
        statistics.responsesTrained = items.count
        guard !items.isEmpty else { return statistics }

        // Reference log-probs, once per update (the reference never changes), a micro-batch at a time.
        var referenceLogProbs: [[Float]]? = nil
        if let reference {
            var all: [[Float]] = []
            all.reserveCapacity(items.count)
            for range in GradientAccumulation.microBatches(count: items.count, size: settings.microBatchSize ?? settings.miniBatchSize) {
                let chunk = items[range]
                all += GRPOLearner.responseLogProbabilities(
                    model: reference, prompts: chunk.map { groups[$0.group].prompt },
                    responses: chunk.map { groups[$0.group].responses[$0.response] }, temperature: logProbTemperature)
            }
            referenceLogProbs = all
        }

        // ppoEpochs passes of shuffled mini-batches, each one optimizer step over its micro-batches.
        var order = Array(items.indices)
        var miniBatches = 0
        var sums = (pgLoss: 0.0, klLoss: 0.0, clipfrac: 0.0, clipfracLower: 0.0, ppoKL: 0.0, entropy: 0.0, gradNorm: 0.0)
        for _ in 0..<settings.ppoEpochs {
            generator.shuffle(&order)
            for start in stride(from: 0, to: order.count, by: settings.miniBatchSize) {
                let chosen = Array(order[start..<Swift.min(start + settings.miniBatchSize, order.count)])
                // The mini-batch's token weights; each micro-batch takes its slice.
                let lengths = chosen.map { groups[items[$0].group].responses[items[$0].response].count }
                let weights = GRPOLoss.tokenWeights(
                    lengths: lengths, aggregation: settings.aggregation, normalizingLength: settings.maxResponseLength)
                var tokenOffsets = [0]
                for length in lengths { tokenOffsets.append(tokenOffsets.last! + length) }

                optimizer.zeroGrad()
                var parts: [GRPOLossDiagnostics] = [], entropies: [(mean: Double, tokens: Int)] = []
                let finite = GradientAccumulation.accumulate(count: chosen.count, microBatchSize: settings.microBatchSize) { range in
                    let micro = chosen[range]
                    let microWeights = Array(weights[tokenOffsets[range.lowerBound]..<tokenOffsets[range.upperBound]])
                    let (loss, diagnostics, entropy) = microBatchLoss(
                        micro, items: items, groups: groups, referenceLogProbs: referenceLogProbs, weights: microWeights)
                    parts.append(diagnostics)
                    entropies.append(entropy)
                    return loss
                }

                let diagnostics = GRPOLossDiagnostics.combining(parts)
                miniBatches += 1
                sums.pgLoss += diagnostics.pgLoss
                sums.klLoss += diagnostics.klLoss
                sums.clipfrac += diagnostics.pgClipfrac
                sums.clipfracLower += diagnostics.pgClipfracLower
                sums.ppoKL += diagnostics.ppoKL
                sums.entropy += GradientAccumulation.combinedMean(entropies)

                guard let norm = GradientAccumulation.clippedStep(
                    optimizer, parameters, maxNorm: settings.maxGradNorm, lossFinite: finite)
                else {
                    statistics.nonFiniteSkipped += 1
                    continue
                }
                statistics.optimizerSteps += 1
                sums.gradNorm += Double(norm)
            }
        }
        let m = Double(miniBatches)
        statistics.pgLoss = sums.pgLoss / m
        statistics.klLoss = sums.klLoss / m
        statistics.pgClipfrac = sums.clipfrac / m
        statistics.pgClipfracLower = sums.clipfracLower / m
        statistics.ppoKL = sums.ppoKL / m
        statistics.entropy = sums.entropy / m
        statistics.gradNorm = statistics.optimizerSteps > 0 ? sums.gradNorm / Double(statistics.optimizerSteps) : 0
        return statistics
    }

    /// The loss of the items `chosen` (indices into `items`): a teacher-forced forward of the policy,
    /// the clipped surrogate (plus the KL and the entropy bonus when set) with each token weighted by
    /// `weights` (its share of the whole mini-batch's aggregate), its diagnostics, and the mean
    /// entropy over its tokens with their count.
    private func microBatchLoss(
        _ chosen: ArraySlice<Int>, items: [Item], groups: [ResponseGroup], referenceLogProbs: [[Float]]?, weights: [Float]
    ) -> (loss: Tensor, diagnostics: GRPOLossDiagnostics, entropy: (mean: Double, tokens: Int)) {
        let prompts = chosen.map { groups[items[$0].group].prompt }
        let responses = chosen.map { groups[items[$0].group].responses[items[$0].response] }
        var old: [Float] = [], tokenAdvantages: [Float] = [], ref: [Float] = []
        for k in chosen {
            let item = items[k]
            old += groups[item.group].behaviourLogProbs[item.response]
            tokenAdvantages += repeatElement(item.advantage, count: groups[item.group].responses[item.response].count)
            if let referenceLogProbs { ref += referenceLogProbs[k] }
        }

        let batch = TeacherForcedBatch(prompts: prompts, responses: responses)
        let forward = batch.logProbabilities(policy, temperature: logProbTemperature)
        let (pgPlusKL, diagnostics) = GRPOLoss.policyLoss(
            logProbs: forward.tokenLogProbs, oldLogProbs: old, refLogProbs: reference == nil ? nil : ref,
            advantages: tokenAdvantages, weights: weights, epsLow: Float(settings.epsLow),
            epsHigh: Float(settings.epsHigh), beta: Float(settings.beta))
        var loss = pgPlusKL
        if settings.entropyCoefficient != 0 {
            let entropy = (batch.tokenEntropies(forward.logSoftmax) * Tensor(weights)).sum()
            loss = loss - entropy * Float(settings.entropyCoefficient)
        }
        return (loss, diagnostics, (batch.meanEntropy(forward.logSoftmax), batch.positions.count))
    }

    /// Each response token's log-prob under `model` at `temperature` given its prompt, teacher-forced,
    /// without recording: `result[i][j]` is `log p(responses[i][j] | prompts[i], responses[i][..<j])`
    /// with `p = softmax(logits / temperature)`. The same quantity ``Sampling`` records as the
    /// behaviour log-prob at that temperature (to float rounding).
    public static func responseLogProbabilities(
        model: TransformerLM, prompts: [[Int32]], responses: [[Int32]], temperature: Float = 1
    ) -> [[Float]] {
        precondition(prompts.count == responses.count, "one prompt per response")
        guard !responses.isEmpty else { return [] }
        let batch = TeacherForcedBatch(prompts: prompts, responses: responses)
        let flat = withNoGrad { batch.logProbabilities(model, temperature: temperature).tokenLogProbs.data }
        var result: [[Float]] = []
        result.reserveCapacity(responses.count)
        var offset = 0
        for length in batch.lengths {
            result.append(Array(flat[offset..<(offset + length)]))
            offset += length
        }
        return result
    }

    /// The temperature of every log-prob the update takes: the sampling temperature (greedy
    /// sampling records temperature-1 log-probs, as ``Sampling`` does).
    private var logProbTemperature: Float { settings.temperature > 0 ? settings.temperature : 1 }

    /// A response that takes part in the loss: where it is, and its advantage.
    struct Item {
        var group: Int
        var response: Int
        var advantage: Float
    }

    /// A copy of `model` with identical weights whose parameters do not require gradients.
    static func frozenCopy(of model: TransformerLM) -> TransformerLM {
        let copy = TransformerLM(zeroed: model.config)
        for (target, source) in zip(copy.namedParameters(), model.namedParameters()) {
            precondition(target.name == source.name && target.tensor.shape == source.tensor.shape)
            target.tensor.data = source.tensor.data
            target.tensor.requiresGrad = false
        }
        return copy
    }

    private func mean(_ values: [Float]) -> Double {
        values.isEmpty ? 0 : values.reduce(0.0) { $0 + Double($1) } / Double(values.count)
    }
}

/// Prompt + response sequences right-padded into one `[B, T]` batch for a teacher-forced forward.
///
/// Row `b` holds `prompts[b] + responses[b]` then padding (token 0) up to `T`, the longest row. Causal
/// attention means padding after a sequence never affects it; padded and prompt positions are simply
/// not read. The logits at position `t` predict the token at `t + 1`, so response token `j` of row `b`
/// (at position `P_b + j`) is scored by the row `b·T + P_b + j - 1` of the flattened logits.
struct TeacherForcedBatch {
    /// Row-major `[batch, length]`.
    var tokens: [Int]
    var batch: Int
    var length: Int
    /// `[batch · length]`: the token each position predicts (0 where none is read).
    var targets: [Int]
    /// `[N]`: the flattened positions whose prediction is a response token, response after response.
    var positions: [Int]
    /// Each response's token count.
    var lengths: [Int]

    init(prompts: [[Int32]], responses: [[Int32]]) {
        precondition(prompts.count == responses.count && !prompts.isEmpty, "one prompt per response, at least one")
        batch = prompts.count
        length = zip(prompts, responses).map { $0.count + $1.count }.max()!
        tokens = [Int](repeating: 0, count: batch * length)
        targets = [Int](repeating: 0, count: batch * length)
        lengths = responses.map(\.count)
        positions = []
        positions.reserveCapacity(lengths.reduce(0, +))
        for b in 0..<batch {
            let prompt = prompts[b], response = responses[b]
            precondition(!prompt.isEmpty, "teacher forcing needs a prompt of at least one token")
            let row = b * length
            for (t, token) in prompt.enumerated() { tokens[row + t] = Int(token) }
            for (j, token) in response.enumerated() {
                let t = prompt.count + j
                tokens[row + t] = Int(token)
                targets[row + t - 1] = Int(token)
                positions.append(row + t - 1)
            }
        }
    }

    /// The forward pass: the per-position log-softmax of `logits / temperature` `[B·T, V]` and the
    /// response tokens' log-probs `[N]` (recorded unless inside ``withNoGrad(_:)``).
    func logProbabilities(_ model: TransformerLM, temperature: Float = 1) -> (logSoftmax: Tensor, tokenLogProbs: Tensor) {
        precondition(temperature > 0 && temperature.isFinite, "a teacher-forced temperature must be positive")
        let v = model.config.vocabulary
        var logits = model.forward(tokens: tokens, batch: batch, length: length).reshaped([batch * length, v])
        if temperature != 1 { logits = logits * (1 / temperature) }
        let logSoftmax = logits.logSoftmax()
        let picked = logSoftmax.gather(axis: 1, indices: targets).reshaped([batch * length])
        return (logSoftmax, picked.gather(axis: 0, indices: positions))
    }

    /// Each response token's predictive entropy `-Σ p log p`, `[N]`, differentiable.
    func tokenEntropies(_ logSoftmax: Tensor) -> Tensor {
        let rows = -(logSoftmax.exp() * logSoftmax).sum(axis: 1)
        return rows.gather(axis: 0, indices: positions)
    }

    /// The mean of the response tokens' predictive entropies (not recorded).
    func meanEntropy(_ logSoftmax: Tensor) -> Double {
        guard !positions.isEmpty else { return 0 }
        let v = logSoftmax.shape[1]
        var total = 0.0
        logSoftmax.data.withUnsafeBufferPointer { l in
            for position in positions {
                var h = 0.0
                for j in (position * v)..<((position + 1) * v) {
                    let lp = Double(l[j])
                    h -= Foundation.exp(lp) * lp
                }
                total += h
            }
        }
        return total / Double(positions.count)
    }
}
