import FleetTensor

/// REINFORCE's loss pieces (docs/algorithms.md), as small named functions.
enum ReinforceLoss {
    /// `-mean(log pi(a_t|s_t) · A_t)`, `A_t = G_t - b(s_t)` (or `G_t` without a baseline): no
    /// ratio, no clipping.
    static func policyLoss(logProbs: Tensor, advantages: Tensor) -> Tensor {
        -(logProbs * advantages).mean()
    }
}

/// REINFORCE with a learned baseline (Williams 1992; docs/algorithms.md): one gradient step per
/// batch on `-mean(log pi · (G - V)) - ent_coef · entropy + vf_coef · ½ mean((V - G)²)`, with `G`
/// the discounted reward-to-go (``RewardToGo``) and `V` the critic, fitted by that MSE in the same
/// step. With `reinforce_baseline: none` nothing is subtracted and the critic is not trained.
public final class ReinforceLearner: RolloutLearner {
    public let agent: PPOAgent
    /// Learning rate (annealed), gamma, advantage normalization, entropy and value coefficients,
    /// gradient clipping.
    public let settings: PPOSettings
    public let reinforce: ReinforceSettings
    public private(set) var iteration = 0
    /// Adam over every trainable parameter, eps 1e-5.
    public let optimizer: Adam
    /// Unused by the update (it draws nothing); kept so the state has PPO's form.
    public private(set) var generator: RandomGenerator
    public private(set) var rewardScaler: RewardScaler
    /// Scratch for the critic's passes without the graph.
    private let valueBuffers = MLPActingBuffers()

    /// A learner training `agent` in place.
    public init(agent: PPOAgent, settings: PPOSettings, reinforce: ReinforceSettings, seed: UInt64) {
        self.agent = agent
        self.settings = settings
        self.reinforce = reinforce
        optimizer = Adam(agent.trainableParameters, learningRate: settings.learningRate, eps: 1e-5)
        generator = RandomGenerator(seed: seed)
        rewardScaler = RewardScaler(gamma: settings.gamma)
    }

    public func train(on rollouts: [Rollout]) -> RolloutStatistics {
        iteration += 1
        optimizer.learningRate = settings.learningRate(at: iteration)

        // The reward-to-go, bootstrapped from the critic only when it is the baseline.
        let prepared = PreparedRollouts(
            rollouts, agent: agent, rewardScaler: &rewardScaler, normalizeRewards: settings.normalizeRewards,
            buffers: valueBuffers)
        let batch = prepared.batch
        let learnedBaseline = reinforce.baseline == .value
        let returns = RewardToGo.compute(
            rewards: batch.rewards, terminated: batch.terminated, truncated: batch.truncated,
            finalValues: learnedBaseline ? prepared.finalValues : [Float](repeating: 0, count: batch.count),
            bootstrapValues: learnedBaseline ? prepared.bootstrapValues : [Float](repeating: 0, count: batch.numEnvs),
            gamma: Float(settings.gamma), cleanrlCompat: settings.cleanrlCompat)
        var advantages = learnedBaseline ? zip(returns, prepared.values).map { $0 - $1 } : returns
        if settings.normalizeAdvantages { advantages = PPOLoss.normalizeAdvantages(advantages) }

        // One gradient step on the whole batch.
        let observations = prepared.observationTensor
        optimizer.zeroGrad()
        let pi = agent.distribution(observations)
        let pgLoss = ReinforceLoss.policyLoss(logProbs: pi.logProb(batch.actions), advantages: Tensor(advantages, shape: [batch.count]))
        let entropy = pi.entropy().mean()
        var objective = pgLoss - entropy * Float(settings.entCoef)
        var valueLoss = 0.0
        if learnedBaseline {
            let error = agent.value(observations) - Tensor(returns, shape: [batch.count])
            let loss = (error * error).mean() * 0.5
            valueLoss = Double(loss.item)
            objective = objective + loss * Float(settings.vfCoef)
        }
        var statistics = RolloutStatistics()
        if objective.item.isFinite {
            objective.backward()
            if clipGradientNorm(optimizer.parameters, maxNorm: settings.maxGradNorm).isFinite {
                optimizer.step()
            } else {
                statistics.nonFiniteSteps = 1
            }
        } else {
            statistics.nonFiniteSteps = 1
        }
        optimizer.zeroGrad()
        statistics.scalars = [
            (RolloutMetric.learningRate, optimizer.learningRate),
            (RolloutMetric.valueLoss, valueLoss),
            (RolloutMetric.policyLoss, Double(pgLoss.item)),
            (RolloutMetric.entropy, Double(entropy.item)),
            (RolloutMetric.explainedVariance,
             learnedBaseline ? PPOLoss.explainedVariance(predicted: prepared.values, targets: returns) : .nan),
        ]
        return statistics
    }

    public func exportState() -> PPOLearnerState {
        PPOLearnerState(agent: agent, optimizer: optimizer, iteration: iteration, generator: generator, rewardScaler: rewardScaler)
    }

    public func restoreState(_ state: PPOLearnerState) throws(PPOLearnerStateError) {
        try state.apply(to: agent, optimizer: optimizer)
        iteration = state.iteration
        generator = RandomGenerator(state: state.generatorState)
        rewardScaler = RewardScaler(gamma: settings.gamma, streams: state.rewardStreams)
    }
}
