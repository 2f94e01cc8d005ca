extension MetricTag {
    /// Calls of the remote reward function so far (`reward_function`), one per admitted batch.
    public static let remoteRewardCalls = "remote_reward/calls"
    /// Those that failed (their batches refused as reward_timeout, reward_failed, ...).
    public static let remoteRewardFailures = "remote_reward/failures"
    /// Restarts of the reward server the learner started.
    public static let remoteRewardRestarts = "remote_reward/server_restarts"
    /// Replies dropped because they answered a request the learner had given up on.
    public static let remoteRewardStaleReplies = "remote_reward/stale_replies"
    /// The mean seconds of a call, waiting included.
    public static let remoteRewardSecondsMean = "remote_reward/seconds_mean"
}
