/// PPO's hyperparameters, as the learner reads them (CleanRL's semantics, REFERENCE.md).
public struct PPOConfig: Hashable, Sendable {
    public var learningRate: Double
    /// Anneal the learning rate linearly: at iteration u of U (1-based), `(1 - (u-1)/U) * learningRate`.
    public var annealLearningRate: Bool
    public var numEnvs: Int
    public var numSteps: Int
    public var numMinibatches: Int
    public var updateEpochs: Int
    public var gamma: Double
    public var gaeLambda: Double
    public var normalizeAdvantages: Bool
    public var clipCoef: Double
    public var clipValueLoss: Bool
    public var entCoef: Double
    public var vfCoef: Double
    public var maxGradNorm: Double
    /// Stop an update's epochs once approx_kl exceeds this; nil: never.
    public var targetKL: Double?
    /// Hidden layer widths of the actor and critic MLPs.
    public var hiddenSizes: [Int]
    public var normalizeObservations: Bool
    public var normalizeRewards: Bool
    /// Treat truncation as termination, as CleanRL does.
    public var cleanrlCompat: Bool

    /// Transitions per update: `numEnvs * numSteps`.
    public var batchSize: Int { numEnvs * numSteps }
    /// Transitions per minibatch: `batchSize / numMinibatches`.
    public var minibatchSize: Int { batchSize / numMinibatches }

    /// The PPO part of a resolved config.
    public init(_ config: ResolvedConfig) {
        learningRate = config.double("learning_rate")
        annealLearningRate = config.bool("anneal_lr")
        numEnvs = config.int("num_envs")
        numSteps = config.int("num_steps")
        numMinibatches = config.int("num_minibatches")
        updateEpochs = config.int("update_epochs")
        gamma = config.double("gamma")
        gaeLambda = config.double("gae_lambda")
        normalizeAdvantages = config.bool("norm_adv")
        clipCoef = config.double("clip_coef")
        clipValueLoss = config.bool("clip_vloss")
        entCoef = config.double("ent_coef")
        vfCoef = config.double("vf_coef")
        maxGradNorm = config.double("max_grad_norm")
        targetKL = config.optionalDouble("target_kl")
        hiddenSizes = config.ints("hidden_sizes")
        normalizeObservations = config.bool("normalize_observations")
        normalizeRewards = config.bool("normalize_rewards")
        cleanrlCompat = config.bool("cleanrl_compat")
    }
}
