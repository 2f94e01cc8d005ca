import FleetAlgorithms

/// A batch the learner accepted: who sent it, the policy version it was made with, what it holds,
/// and its frame's size and arrival (for the queue's byte bound and the batch-age metric); its
/// bytes too when the learner captures.
struct AdmittedBatch {
    /// What a batch holds, by algorithm.
    enum Content {
        /// PPO: a rollout and the episodes it finished.
        case rollout(Rollout, episodeReturns: [Float], episodeLengths: [Int64])
        /// GRPO, Dr. GRPO, DAPO: whole groups of responses (those dynamic sampling kept).
        case groups([ResponseGroup])
    }

    var sender: String
    var policyVersion: UInt64
    var content: Content
    var frameBytes: Int
    var arrival: ContinuousClock.Instant
    /// The frame as it arrived, kept only while the learner captures (``BatchCapture``).
    var frame: [UInt8]? = nil

    /// The rollout of a PPO batch.
    var rollout: Rollout? {
        if case .rollout(let rollout, _, _) = content { return rollout }
        return nil
    }

    /// The groups of a language batch (none for a rollout).
    var groups: [ResponseGroup] {
        if case .groups(let groups) = content { return groups }
        return []
    }
}
