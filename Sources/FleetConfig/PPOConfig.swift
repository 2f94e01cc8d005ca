/// PPO's hyperparameters, as the learner reads them (CleanRL's semantics, REFERENCE.md).
public struct PPOConfig: Hashable, Sendable {
    /// Adam's learning rate (the initial one when annealed).
    public var learningRate: Double
    /// Anneal the learning rate linearly: at iteration u of U (1-based), `(1 - (u-1)/U) * learningRate`.
    public var annealLearningRate: Bool
    /// Environments of each update's batch, split evenly across the actors.
    public var numEnvs: Int
    /// Steps per environment per rollout.
    public var numSteps: Int
    /// Minibatches per epoch.
    public var numMinibatches: Int
    /// Epochs over each batch.
    public var updateEpochs: Int
    /// The discount factor, in `[0, 1]`.
    public var gamma: Double
    /// GAE's lambda, in `[0, 1]`.
    public var gaeLambda: Double
    /// Normalize advantages per minibatch (`norm_adv`).
    public var normalizeAdvantages: Bool
    /// The surrogate's clipping epsilon (`clip_coef`).
    public var clipCoef: Double
    /// Clip the value loss around the old values (`clip_vloss`).
    public var clipValueLoss: Bool
    /// The entropy bonus coefficient.
    public var entCoef: Double
    /// The value loss coefficient.
    public var vfCoef: Double
    /// Global L2 gradient-norm clip.
    public var maxGradNorm: Double
    /// Stop an update's epochs once approx_kl exceeds this; nil: never.
    public var targetKL: Double?
    /// Hidden layer widths of the actor and critic MLPs.
    public var hiddenSizes: [Int]
    /// Running mean/std observation normalization, clipped to 10.
    public var normalizeObservations: Bool
    /// Scale rewards by the running std of the discounted return, clipped to 10.
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
