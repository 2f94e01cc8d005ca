/// Language PPO's hyperparameters (docs/algorithms.md, "Language PPO"): verl's PPO with a critic plus
/// PPO-max's reward normalization. The policy's part (clip ranges, aggregation, epochs, mini-batches,
/// sampling) is GRPO's ``GRPOSettings``, without its group advantages.
public struct LanguagePPOSettings: Sendable, Equatable {
    /// The per-token KL to the reference that is subtracted from the reward (verl's `kl_penalty`).
    public enum KLPenalty: String, Sendable, CaseIterable {
        /// k1: `old - ref`.
        case kl
        /// k3: `exp(ref - old) - (ref - old) - 1`, clamped to [-10, 10] as verl's.
        case lowVarKL = "low_var_kl"
    }

    /// The policy's settings: learning rate and warm-up, clip ranges, `beta` (a k3 KL *loss*, 0 by
    /// default: the KL is in the reward), aggregation, epochs, mini-batch size, sampling temperature.
    /// `advantageScale`, `softOverlong`, `overlongFiltering` and `dynamicSampling` are not used.
    public var policy: GRPOSettings
    /// The critic's AdamW learning rate (constant; its weight decay and gradient clip are the policy's).
    public var criticLearningRate: Double
    /// Updates at the start of the run that train only the critic.
    public var criticWarmup: Int
    /// Value clipping: a new value stays within this of its value at sampling time.
    public var clipRangeValue: Double
    /// The reward's per-token KL estimator.
    public var klPenalty: KLPenalty
    /// `r_t -= klCoef * kl_t`; 0: no reference model.
    public var klCoef: Double
    /// The discount and GAE's lambda, per token.
    public var gamma: Double, lambda: Double
    /// Whether scores are normalized by their running mean and std and clipped to ``rewardClip``.
    public var normalizeRewards: Bool
    /// The normalized score's clip.
    public var rewardClip: Double

    /// Creates settings; by default verl's PPO with PPO-max's gamma 1, lambda 0.95 and reward normalization.
    public init(
        policy: GRPOSettings = GRPOSettings(beta: 0, aggregation: .tokenMean), criticLearningRate: Double = 1e-5,
        criticWarmup: Int = 0, clipRangeValue: Double = 0.5, klPenalty: KLPenalty = .kl, klCoef: Double = 0.001,
        gamma: Double = 1, lambda: Double = 0.95, normalizeRewards: Bool = true, rewardClip: Double = 5
    ) {
        self.policy = policy
        self.criticLearningRate = criticLearningRate
        self.criticWarmup = criticWarmup
        self.clipRangeValue = clipRangeValue
        self.klPenalty = klPenalty
        self.klCoef = klCoef
        self.gamma = gamma
        self.lambda = lambda
        self.normalizeRewards = normalizeRewards
        self.rewardClip = rewardClip
    }
}
