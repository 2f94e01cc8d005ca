/// One scalar of a logging step: a tag (`charts/SPS`, `losses/value_loss`) and its value.
public struct MetricScalar: Hashable, Sendable {
    public let tag: String
    public let value: Double

    public init(_ tag: String, _ value: Double) {
        self.tag = tag
        self.value = value
    }
}

/// The tags Fleet logs: CleanRL's names for PPO, Fleet's for the pipeline.
public enum MetricTag {
    public static let episodicReturn = "charts/episodic_return"
    public static let episodicLength = "charts/episodic_length"
    /// The mean return of the last 100 finished episodes.
    public static let returnMean100 = "charts/return_mean100"
    public static let learningRate = "charts/learning_rate"
    public static let stepsPerSecond = "charts/SPS"
    public static let valueLoss = "losses/value_loss"
    public static let policyLoss = "losses/policy_loss"
    public static let entropy = "losses/entropy"
    public static let oldApproxKL = "losses/old_approx_kl"
    public static let approxKL = "losses/approx_kl"
    public static let clipFraction = "losses/clipfrac"
    public static let explainedVariance = "losses/explained_variance"
    public static let policyVersion = "pipeline/policy_version"
    public static let policyLag = "pipeline/policy_lag"
    public static let queueDepth = "pipeline/queue_depth"
    public static let weightSyncSeconds = "pipeline/weight_sync_seconds"

    /// The tag counting batches rejected for `reason` (`pipeline/rejected/stale`).
    public static func rejected(_ reason: String) -> String { "pipeline/rejected/\(reason)" }
}
