/// GRPO's hyperparameters, with verl's meanings (docs/algorithms.md). The memberwise defaults are
/// DeepSeekMath's GRPO; ``grpo(learningRate:maxResponseLength:)``, ``drGRPO(learningRate:maxResponseLength:)``
/// and ``dapo(learningRate:maxResponseLength:overlongCache:)`` give the three published settings, to
/// adjust field by field (a tiny model wants a learning rate far above the papers' 1e-6).
public struct GRPOSettings: Sendable, Equatable {
    // MARK: Optimizer

    /// AdamW's peak learning rate.
    public var learningRate: Double
    /// Linear warm-up over this many updates (calls of ``GRPOLearner/update(_:)``, as verl steps its
    /// scheduler once per training step): update `u` uses `learningRate · min(u, W) / W`. 0: none.
    public var warmupSteps: Int
    /// AdamW's decoupled weight decay.
    public var weightDecay: Double
    /// Global L2 gradient-norm clip before each optimizer step (verl's `grad_clip`).
    public var maxGradNorm: Double

    // MARK: Objective

    /// The ratio's lower clip range (`clip_ratio_low`): `r >= 1 - epsLow`.
    public var epsLow: Double
    /// The ratio's upper clip range (`clip_ratio_high`): `r <= 1 + epsHigh` (DAPO's clip-higher: 0.28).
    public var epsHigh: Double
    /// The k3 KL coefficient (verl's `kl_loss_coef`); above 0 the learner keeps a frozen reference copy.
    public var beta: Double
    /// How per-token losses are combined.
    public var aggregation: LossAggregation
    /// How group-centred rewards are scaled into advantages.
    public var advantageScale: AdvantageScale
    /// The entropy bonus coefficient (verl's `entropy_coeff`; 0 in every preset): the loss subtracts
    /// it times the entropy aggregated like the loss.
    public var entropyCoefficient: Double

    // MARK: Optimization loop

    /// Passes over each batch (mu, verl's `ppo_epochs`); each takes a fresh seeded shuffle of the
    /// responses (groups are split: advantages are computed first).
    public var ppoEpochs: Int
    /// Responses per optimizer step (verl's `ppo_mini_batch_size` in responses); the last mini-batch of
    /// an epoch may be smaller.
    public var miniBatchSize: Int
    /// Responses per forward and backward pass (verl's `ppo_micro_batch_size_per_gpu`): each
    /// mini-batch's gradient is accumulated over micro-batches of this many, and the reference
    /// log-probs are taken as many at a time, so that memory is bounded by the micro-batch. The
    /// parameters are those of one pass up to float rounding. `nil`: one pass per mini-batch.
    public var microBatchSize: Int?

    // MARK: Responses

    /// The generation budget: the most response tokens an actor samples, and `L` of
    /// `seq-mean-token-sum-norm`.
    public var maxResponseLength: Int
    /// DAPO's soft overlong punishment, added by the learner to each response's reward before the
    /// advantages (tasks must not add it too); `nil`: off.
    public var softOverlong: SoftOverlongPunishment?
    /// DAPO's overlong filtering: truncated responses count in their group's advantages but are left
    /// out of the loss.
    public var overlongFiltering: Bool
    /// DAPO's dynamic sampling, applied where batches are assembled (the learner's ingress, with
    /// ``DynamicSampling/keeps(groupRewards:)``); ``GRPOLearner`` itself trains on every group it is given.
    public var dynamicSampling: Bool

    // MARK: Sampling (the actors')

    /// Responses per prompt (G).
    public var groupSize: Int
    /// The actors' sampling temperature. Behaviour log-probs are recorded at it (``Sampling``) and
    /// the learner's log-probs (and the reference's, and the entropy) are taken at it too: the
    /// ratio compares like with like, and is 1 for an on-policy batch at any temperature.
    public var temperature: Float
    /// The actors' nucleus (top-p) mass; 1 samples from the whole vocabulary.
    public var topP: Float

    /// Creates settings, by default DeepSeekMath's GRPO. Nothing is checked here; ``GRPOLearner`` traps
    /// on non-positive `ppoEpochs`, `miniBatchSize`, `microBatchSize` or `maxResponseLength`.
    public init(
        learningRate: Double = 1e-6, warmupSteps: Int = 0, weightDecay: Double = 0.01, maxGradNorm: Double = 1.0,
        epsLow: Double = 0.2, epsHigh: Double = 0.2, beta: Double = 0.04,
        aggregation: LossAggregation = .seqMeanTokenMean, advantageScale: AdvantageScale = .group,
        entropyCoefficient: Double = 0, ppoEpochs: Int = 1, miniBatchSize: Int = 1024, microBatchSize: Int? = nil,
        maxResponseLength: Int = 1024, softOverlong: SoftOverlongPunishment? = nil, overlongFiltering: Bool = false,
        dynamicSampling: Bool = false, groupSize: Int = 64, temperature: Float = 1, topP: Float = 1
    ) {
        self.learningRate = learningRate
        self.warmupSteps = warmupSteps
        self.weightDecay = weightDecay
        self.maxGradNorm = maxGradNorm
        self.epsLow = epsLow
        self.epsHigh = epsHigh
        self.beta = beta
        self.aggregation = aggregation
        self.advantageScale = advantageScale
        self.entropyCoefficient = entropyCoefficient
        self.ppoEpochs = ppoEpochs
        self.miniBatchSize = miniBatchSize
        self.microBatchSize = microBatchSize
        self.maxResponseLength = maxResponseLength
        self.softOverlong = softOverlong
        self.overlongFiltering = overlongFiltering
        self.dynamicSampling = dynamicSampling
        self.groupSize = groupSize
        self.temperature = temperature
        self.topP = topP
    }

    /// DeepSeekMath's GRPO: eps 0.2 both ways, beta 0.04, group-std advantages,
    /// `seq-mean-token-mean`, G 64, lr 1e-6, one update per batch.
    public static func grpo(learningRate: Double = 1e-6, maxResponseLength: Int = 1024) -> GRPOSettings {
        GRPOSettings(learningRate: learningRate, maxResponseLength: maxResponseLength)
    }

    /// Dr. GRPO: GRPO with no std scaling (`scale = none`), `seq-mean-token-sum-norm` over the
    /// generation budget, and no KL (beta 0).
    public static func drGRPO(learningRate: Double = 1e-6, maxResponseLength: Int = 1024) -> GRPOSettings {
        GRPOSettings(learningRate: learningRate, beta: 0, aggregation: .seqMeanTokenSumNorm, advantageScale: .none,
                     maxResponseLength: maxResponseLength)
    }

    /// DAPO: clip-higher (eps_low 0.2, eps_high 0.28), no KL, `token-mean`, group-std advantages, soft
    /// overlong punishment with `L_max = maxResponseLength` and `L_cache = overlongCache`, dynamic
    /// sampling, G 16, AdamW lr 1e-6 with 20 warm-up steps, mini-batches of 512 responses (the paper's
    /// 512 prompts x 16 responses make 16 updates per rollout), `L_max` 20480 and `L_cache` 4096 by
    /// default. The +1/-1 rewards are the task's business.
    public static func dapo(learningRate: Double = 1e-6, maxResponseLength: Int = 20480, overlongCache: Int = 4096) -> GRPOSettings {
        GRPOSettings(
            learningRate: learningRate, warmupSteps: 20, epsLow: 0.2, epsHigh: 0.28, beta: 0, aggregation: .tokenMean,
            advantageScale: .group, miniBatchSize: 512, maxResponseLength: maxResponseLength,
            softOverlong: SoftOverlongPunishment(maxLength: maxResponseLength, cache: overlongCache),
            dynamicSampling: true, groupSize: 16)
    }
}
