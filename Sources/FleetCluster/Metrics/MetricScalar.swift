import FleetAlgorithms

/// One scalar of a logging step: a tag (`charts/SPS`, `losses/value_loss`) and its value.
public struct MetricScalar: Hashable, Sendable {
    /// The tag, slash-separated as TensorBoard groups it; see ``MetricTag``.
    public let tag: String
    /// The value; not necessarily finite.
    public let value: Double

    /// Creates a scalar.
    public init(_ tag: String, _ value: Double) {
        self.tag = tag
        self.value = value
    }
}

/// The tags Fleet logs: CleanRL's names for PPO, Fleet's for the pipeline.
public enum MetricTag {
    /// The mean return of the episodes that finished in an update's batches (logged only when some did).
    public static let episodicReturn = "charts/episodic_return"
    /// The mean length, in steps, of those episodes.
    public static let episodicLength = "charts/episodic_length"
    /// The mean return of the last 100 finished episodes.
    public static let returnMean100 = "charts/return_mean100"
    /// The learning rate of the update.
    public static let learningRate = RolloutMetric.learningRate
    /// Steps trained (environment steps, or responses for GRPO/DAPO) per second of wall time since the start.
    public static let stepsPerSecond = "charts/SPS"
    /// PPO's value loss on the update's last minibatch.
    public static let valueLoss = RolloutMetric.valueLoss
    /// PPO's clipped surrogate loss on the update's last minibatch.
    public static let policyLoss = RolloutMetric.policyLoss
    /// The mean policy entropy on the update's last minibatch.
    public static let entropy = RolloutMetric.entropy
    /// `mean(-log ratio)` on the update's last minibatch (CleanRL's `old_approx_kl`).
    public static let oldApproxKL = RolloutMetric.oldApproxKL
    /// `mean((ratio - 1) - log ratio)` on the update's last minibatch (CleanRL's `approx_kl`).
    public static let approxKL = RolloutMetric.approxKL
    /// The fraction of samples with `|ratio - 1| > clip_coef`, averaged over the update's minibatches.
    public static let clipFraction = RolloutMetric.clipFraction
    /// `1 - Var(returns - values) / Var(returns)` of the values computed before the update; NaN when
    /// the returns do not vary.
    public static let explainedVariance = RolloutMetric.explainedVariance
    /// The weights version after the update.
    public static let policyVersion = "pipeline/policy_version"
    /// The mean policy lag of an update's batches, and the largest.
    public static let policyLag = "pipeline/policy_lag"
    /// The largest policy lag of the update's batches.
    public static let policyLagMax = "pipeline/policy_lag_max"
    /// Batches, and their frame bytes, admitted and waiting after an update.
    public static let queueDepth = "pipeline/queue_depth"
    /// The frame bytes of those waiting batches.
    public static let queueBytes = "pipeline/queue_bytes"
    /// The mean time an update's batches waited at the learner, in seconds.
    public static let batchAgeSeconds = "pipeline/batch_age_seconds"
    /// Actors heard from within `actor_timeout`.
    public static let actorsLive = "pipeline/actors_live"
    /// Weight-broadcast latency (publish until every live actor holds the version), the mean of
    /// the versions completed since the previous update, in seconds.
    public static let weightSyncSeconds = "pipeline/weight_sync_seconds"

    /// verl's mean reward (score) of an update's responses, logged by GRPO and DAPO.
    public static let scoreMean = "critic/score/mean"
    /// Held-out greedy accuracy of a language policy (fraction of prompts answered exactly), and
    /// pass@k (some of k sampled responses is right).
    public static let evalAccuracy = "eval/accuracy"
    /// Held-out pass@k.
    public static let evalPassAtK = "eval/pass_at_k"
    /// Dynamic sampling's counts, since the start: groups that came in, kept, and dropped because
    /// every response was right or every response wrong.
    public static let groupsGenerated = "dynamic_sampling/generated"
    /// Groups kept (their rewards differ).
    public static let groupsKept = "dynamic_sampling/kept"
    /// Groups dropped because every response was right.
    public static let groupsDroppedAllCorrect = "dynamic_sampling/dropped_all_correct"
    /// Groups dropped because every response was wrong.
    public static let groupsDroppedAllWrong = "dynamic_sampling/dropped_all_wrong"
    /// `fleet sft`'s cross-entropy on the demonstration tokens, and the fraction it predicts right.
    public static let sftLoss = "sft/loss"
    /// The fraction of demonstration tokens `fleet sft` predicts right.
    public static let sftTokenAccuracy = "sft/token_accuracy"

    /// The tag counting batches rejected for `reason` (`pipeline/rejected/stale`).
    public static func rejected(_ reason: String) -> String { "pipeline/rejected/\(reason)" }
}
