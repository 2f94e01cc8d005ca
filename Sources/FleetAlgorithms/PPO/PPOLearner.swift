import FleetTensor

/// What one PPO update reports, under CleanRL's metric meanings (losses, approx_kl and
/// old_approx_kl from the last minibatch; clipfrac averaged over every minibatch).
public struct PPOStatistics: Sendable {
    public var learningRate, policyLoss, valueLoss, entropy, oldApproxKL, approxKL, clipFraction, explainedVariance: Double
    /// < updateEpochs when target_kl stopped early.
    public var epochsRun: Int
    /// Updates skipped because a loss or gradient was not finite.
    public var gradientNormNonFinite: Int

    public init(learningRate: Double = 0, policyLoss: Double = 0, valueLoss: Double = 0, entropy: Double = 0,
                oldApproxKL: Double = 0, approxKL: Double = 0, clipFraction: Double = 0,
                explainedVariance: Double = 0, epochsRun: Int = 0, gradientNormNonFinite: Int = 0) {
        self.learningRate = learningRate
        self.policyLoss = policyLoss
        self.valueLoss = valueLoss
        self.entropy = entropy
        self.oldApproxKL = oldApproxKL
        self.approxKL = approxKL
        self.clipFraction = clipFraction
        self.explainedVariance = explainedVariance
        self.epochsRun = epochsRun
        self.gradientNormNonFinite = gradientNormNonFinite
    }
}

/// PPO's learner (CleanRL's `ppo.py` update, REFERENCE.md).
public final class PPOLearner {
    public let agent: PPOAgent
    public let settings: PPOSettings
    /// Updates done.
    public private(set) var iteration: Int
    /// Adam over the agent's trainable parameters, eps 1e-5.
    public let optimizer: Adam
    /// Draws the minibatch permutations.
    public private(set) var generator: RandomGenerator
    /// Per-stream reward scaling, kept across updates.
    public private(set) var rewardScaler: RewardScaler

    public init(agent: PPOAgent, settings: PPOSettings, seed: UInt64) {
        self.agent = agent
        self.settings = settings
        iteration = 0
        optimizer = Adam(agent.trainableParameters, learningRate: settings.learningRate, eps: 1e-5)
        generator = RandomGenerator(seed: seed)
        rewardScaler = RewardScaler(gamma: settings.gamma)
    }

    /// One PPO iteration on these rollouts (concatenated along the env axis; all with the same T):
    /// normalizer update from the observations, reward scaling (per stream, continuous control),
    /// values, GAE (REFERENCE.md, bootstrap from final observations on truncation unless
    /// cleanrl_compat), then update_epochs x num_minibatches minibatch steps with Adam (eps 1e-5),
    /// LR annealed linearly by iteration.
    public func update(_ rollouts: [Rollout]) -> PPOStatistics {
        fatalError("not built yet")
    }
}
