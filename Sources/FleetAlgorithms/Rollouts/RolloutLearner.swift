/// A learner that trains a ``PPOAgent`` on trajectory batches: PPO (with APPO and IMPALA), TRPO or
/// REINFORCE. The learner loop hosts any of them the same way: an update on rollouts, the agent
/// whose actor is broadcast, and the whole state for checkpoints.
public protocol RolloutLearner: AnyObject {
    /// The agent trained in place; its ``PPOAgent/policyParameters()`` are what actors act with.
    var agent: PPOAgent { get }
    /// Updates done.
    var iteration: Int { get }
    /// One update on these rollouts (concatenated along the env axis; all with the same T).
    func train(on rollouts: [Rollout]) -> RolloutStatistics
    /// A copy of the learner's whole state: what resuming needs to continue bit-exactly.
    func exportState() -> PPOLearnerState
    /// Restores a state exported by a learner of the same algorithm and architecture; on error
    /// the learner is untouched.
    func restoreState(_ state: PPOLearnerState) throws(PPOLearnerStateError)
}

/// What one update of a ``RolloutLearner`` reports: its scalars under their metric tags, in the
/// order they are logged, and how many steps were skipped because a loss or gradient was not finite.
public struct RolloutStatistics: Sendable {
    /// `(tag, value)` pairs, e.g. `("losses/value_loss", 0.3)`.
    public var scalars: [(tag: String, value: Double)]
    /// Optimizer (or policy) steps skipped because a loss or gradient was not finite.
    public var nonFiniteSteps: Int

    /// Creates statistics.
    public init(scalars: [(tag: String, value: Double)] = [], nonFiniteSteps: Int = 0) {
        self.scalars = scalars
        self.nonFiniteSteps = nonFiniteSteps
    }

    /// The value logged under `tag`, if any.
    public func value(_ tag: String) -> Double? { scalars.first { $0.tag == tag }?.value }
}

/// The tags rollout learners report under: CleanRL's names, and TRPO's own (``MetricTag`` in FleetCluster
/// takes the shared ones from here; their meanings are documented there).
public enum RolloutMetric {
    public static let learningRate = "charts/learning_rate"
    public static let valueLoss = "losses/value_loss"
    public static let policyLoss = "losses/policy_loss"
    public static let entropy = "losses/entropy"
    public static let oldApproxKL = "losses/old_approx_kl"
    public static let approxKL = "losses/approx_kl"
    public static let clipFraction = "losses/clipfrac"
    public static let explainedVariance = "losses/explained_variance"
    /// TRPO: the mean KL(pi_old || pi) the accepted step reached (0 when no step was accepted).
    public static let trpoKL = "trpo/kl"
    /// TRPO: line-search tries evaluated (1: the full step was accepted; 0 when none was).
    public static let trpoLineSearchSteps = "trpo/line_search_steps"
    /// TRPO: the surrogate's improvement by the accepted step (0 when none was).
    public static let trpoSurrogateImprovement = "trpo/surrogate_improvement"
    /// TRPO: the improvement the linear model predicted for the full step.
    public static let trpoExpectedImprovement = "trpo/expected_improvement"
}

extension PPOLearner: RolloutLearner {
    /// One PPO iteration (``update(_:)``) as rollout statistics: CleanRL's scalars, in CleanRL's order.
    public func train(on rollouts: [Rollout]) -> RolloutStatistics {
        let statistics = update(rollouts)
        return RolloutStatistics(
            scalars: [
                (RolloutMetric.learningRate, statistics.learningRate),
                (RolloutMetric.valueLoss, statistics.valueLoss),
                (RolloutMetric.policyLoss, statistics.policyLoss),
                (RolloutMetric.entropy, statistics.entropy),
                (RolloutMetric.oldApproxKL, statistics.oldApproxKL),
                (RolloutMetric.approxKL, statistics.approxKL),
                (RolloutMetric.clipFraction, statistics.clipFraction),
                (RolloutMetric.explainedVariance, statistics.explainedVariance),
            ],
            nonFiniteSteps: statistics.gradientNormNonFinite)
    }
}
