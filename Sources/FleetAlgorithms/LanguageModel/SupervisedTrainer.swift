import FleetTensor

/// Supervised fine-tuning of a ``TransformerLM`` on (prompt, demonstration) pairs: the warm start
/// that `fleet sft` gives a policy before RL.
///
/// Each pair is one sequence `prompt + demonstration`. The model reads it teacher-forced (inputs
/// are the sequence without its last token, targets the sequence shifted by one) and the loss is
/// the next-token cross-entropy averaged over the demonstration tokens of the whole batch only
/// (the answer and its eos; never the prompt). Sequences of different lengths are right-padded
/// with token 0 to the longest; padded positions are masked out of the loss, and causal attention
/// keeps them from influencing the real positions before them.
///
/// One ``step(prompts:demonstrations:)`` is one AdamW update: learning rate with linear warm-up
/// (``WarmupConstantSchedule``), gradients clipped to a global L2 norm, and the update skipped
/// (counted in ``skippedUpdates``) when the loss or the gradient norm is not finite.
public final class SupervisedTrainer {
    /// The token padded positions hold (masked; any id in the vocabulary would do).
    public static let padding = 0

    /// The model being trained (its parameters are updated in place).
    public let model: TransformerLM
    /// AdamW over every parameter of ``model``.
    public let optimizer: AdamW
    /// The learning rate per update (warm-up, then constant).
    public let schedule: WarmupConstantSchedule
    /// The global gradient-norm limit, or `nil` for none.
    public let maxGradientNorm: Double?
    /// Updates attempted so far (including skipped ones).
    public private(set) var updates = 0
    /// Updates skipped because the loss or the gradient norm was not finite.
    public private(set) var skippedUpdates = 0

    /// A trainer at `learningRate` after `warmupSteps` updates of linear warm-up, AdamW with
    /// decoupled `weightDecay`, clipping at `maxGradientNorm`.
    public init(model: TransformerLM, learningRate: Double, warmupSteps: Int = 0, weightDecay: Double = 0.01,
                maxGradientNorm: Double? = 1.0) {
        precondition(learningRate > 0, "learningRate must be positive")
        precondition(maxGradientNorm.map { $0 > 0 } ?? true, "maxGradientNorm must be positive")
        self.model = model
        optimizer = AdamW(model.namedParameters(), learningRate: learningRate, weightDecay: weightDecay)
        schedule = WarmupConstantSchedule(peakRate: learningRate, warmupSteps: warmupSteps)
        self.maxGradientNorm = maxGradientNorm
    }

    /// One update on these pairs (`prompts[i]` with `demonstrations[i]`); returns the batch's
    /// loss (mean cross-entropy per demonstration token, in nats) and token accuracy (the fraction
    /// of demonstration tokens that are the model's most probable next token), both before the update.
    ///
    /// Every prompt and demonstration must be non-empty, every token in the vocabulary, and the
    /// longest `prompt + demonstration` at most one more than the model's context.
    @discardableResult
    public func step(prompts: [[Int32]], demonstrations: [[Int32]]) -> (loss: Double, tokenAccuracy: Double) {
        updates += 1
        optimizer.learningRate = schedule.learningRate(at: updates)
        let batch = Self.batch(prompts: prompts, demonstrations: demonstrations, config: model.config)

        let rows = batch.sequences * batch.length, v = model.config.vocabulary
        let logits = model.forward(tokens: batch.inputs, batch: batch.sequences, length: batch.length)
            .reshaped([rows, v])
        let tokenLogProbs = logits.logSoftmax().gather(axis: 1, indices: batch.targets).reshaped([rows])
        let loss = -(tokenLogProbs * Tensor(batch.mask, shape: [rows])).sum() / Float(batch.tokenCount)
        let accuracy = Self.tokenAccuracy(logits: logits.data, targets: batch.targets, mask: batch.mask, vocabulary: v)

        optimizer.zeroGrad()
        let value = Double(loss.item)
        guard value.isFinite else {
            skippedUpdates += 1
            return (value, accuracy)
        }
        loss.backward()
        if let maxGradientNorm {
            guard clipGradientNorm(optimizer.parameters, maxNorm: maxGradientNorm).isFinite else {
                skippedUpdates += 1
                return (value, accuracy)
            }
        }
        optimizer.step()
        return (value, accuracy)
    }

    /// A teacher-forced batch: `[sequences, length]` inputs and targets, right-padded, and the
    /// loss mask (1 where the target is a demonstration token).
    struct Batch {
        var sequences: Int
        var length: Int
        var inputs: [Int]
        var targets: [Int]
        var mask: [Float]
        var tokenCount: Int
    }

    /// Lays out `prompts[i] + demonstrations[i]` as rows: input position `t` holds token `t`, its
    /// target token `t + 1`, which is in the loss when it belongs to the demonstration.
    static func batch(prompts: [[Int32]], demonstrations: [[Int32]], config: TransformerLM.Config) -> Batch {
        precondition(!prompts.isEmpty && prompts.count == demonstrations.count,
                     "step needs one demonstration per prompt (\(prompts.count) prompts, \(demonstrations.count) demonstrations)")
        precondition(prompts.allSatisfy { !$0.isEmpty } && demonstrations.allSatisfy { !$0.isEmpty },
                     "prompts and demonstrations must not be empty")
        let length = zip(prompts, demonstrations).map { $0.count + $1.count - 1 }.max()!
        precondition(length <= config.contextLength,
                     "a prompt + demonstration of \(length + 1) tokens does not fit the context of \(config.contextLength) (+1)")
        let sequences = prompts.count
        var batch = Batch(
            sequences: sequences, length: length,
            inputs: [Int](repeating: padding, count: sequences * length),
            targets: [Int](repeating: padding, count: sequences * length),
            mask: [Float](repeating: 0, count: sequences * length), tokenCount: 0)
        for i in 0..<sequences {
            let sequence = (prompts[i] + demonstrations[i]).map(Int.init)
            precondition(sequence.allSatisfy { $0 >= 0 && $0 < config.vocabulary },
                         "pair \(i) has a token outside the vocabulary 0..<\(config.vocabulary)")
            let base = i * length
            for t in 0..<(sequence.count - 1) {
                batch.inputs[base + t] = sequence[t]
                batch.targets[base + t] = sequence[t + 1]
                if t + 1 >= prompts[i].count { batch.mask[base + t] = 1 }
            }
            batch.tokenCount += demonstrations[i].count
        }
        return batch
    }

    /// The fraction of masked positions whose most probable token (the first on ties) is the target.
    static func tokenAccuracy(logits: [Float], targets: [Int], mask: [Float], vocabulary v: Int) -> Double {
        var correct = 0, total = 0
        logits.withUnsafeBufferPointer { l in
            for row in 0..<targets.count where mask[row] != 0 {
                let base = row * v
                var best = 0
                for j in 1..<v where l[base + j] > l[base + best] { best = j }
                if best == targets[row] { correct += 1 }
                total += 1
            }
        }
        return total > 0 ? Double(correct) / Double(total) : 0
    }
}
