import FleetAlgorithms

/// A batch the learner accepted: who sent it, the policy version it was made with, what it holds,
/// and its frame's size and arrival (for the queue's byte bound and the batch-age metric); its
/// bytes too when the learner captures.
package struct AdmittedBatch {
    /// What a batch holds, by algorithm.
    package enum Content {
        /// PPO: a rollout and the episodes it finished.
        case rollout(Rollout, episodeReturns: [Float], episodeLengths: [Int64])
        /// GRPO, Dr. GRPO, DAPO: whole groups of responses (those dynamic sampling kept).
        case groups([ResponseGroup])
    }

    package var sender: String
    package var policyVersion: UInt64
    package var content: Content
    package var frameBytes: Int
    package var arrival: ContinuousClock.Instant
    /// The frame as it arrived, kept only while the learner captures (``BatchCapture``).
    package var frame: [UInt8]? = nil
    /// The frame's envelope sequence (a Refusal names it, should the batch go stale).
    package var sequence: UInt64 = 0
    /// The environment steps or responses the frame held (dynamic sampling's dropped groups too).
    package var stepsReceived: Int

    package init(
        sender: String, policyVersion: UInt64, content: Content, frameBytes: Int, arrival: ContinuousClock.Instant,
        frame: [UInt8]? = nil, sequence: UInt64 = 0, stepsReceived: Int = 0
    ) {
        self.sequence = sequence
        self.stepsReceived = stepsReceived
        self.sender = sender
        self.policyVersion = policyVersion
        self.content = content
        self.frameBytes = frameBytes
        self.arrival = arrival
        self.frame = frame
    }

    /// The rollout of a PPO batch.
    package var rollout: Rollout? {
        if case .rollout(let rollout, _, _) = content { return rollout }
        return nil
    }

    /// The groups of a language batch (none for a rollout).
    package var groups: [ResponseGroup] {
        if case .groups(let groups) = content { return groups }
        return []
    }
}
