import FleetTensor

/// Rollouts ready for an update of any rollout learner (PPO, TRPO, REINFORCE): observation
/// statistics updated from the raw observations first, every observation normalized with them,
/// per-stream reward scaling (continuing across updates), and the current critic's values of the
/// observations, of the final observations of truncated steps and of the observations after the
/// last step.
struct PreparedRollouts {
    var batch: RolloutBatch
    /// `V(s_t)`, T x N.
    var values: [Float]
    /// `V(final observation)` where a step was truncated, 0 elsewhere; T x N.
    var finalValues: [Float]
    /// `V(observation after the last step)`, one per environment.
    var bootstrapValues: [Float]

    /// Prepares `rollouts` for `agent`, scaling rewards with `rewardScaler` when `normalizeRewards`.
    /// The values come from the critic's pass without the graph (``PPOAgent/values(_:rows:buffers:)``,
    /// the graph's arithmetic), in `buffers`.
    init(
        _ rollouts: [Rollout], agent: PPOAgent, rewardScaler: inout RewardScaler, normalizeRewards: Bool,
        buffers: MLPActingBuffers
    ) {
        for rollout in rollouts {
            agent.updateObservationStatistics(rollout.observations, rows: rollout.stepCount)
        }
        var rewards = rollouts.map(\.rewards)
        if normalizeRewards {
            for i in rollouts.indices { rewardScaler.scale(&rewards[i], of: rollouts[i]) }
        }
        var batch = RolloutBatch(rollouts, rewards: rewards)
        agent.normalize(&batch.observations)
        agent.normalize(&batch.nextObservations)
        agent.normalize(&batch.finalObservations)
        let size = batch.observationSize
        func criticValues(_ observations: [Float], _ rows: Int) -> [Float] {
            precondition(observations.count == rows * size)
            return observations.withUnsafeBufferPointer { agent.values($0, rows: rows, buffers: buffers) }
        }
        values = criticValues(batch.observations, batch.count)
        bootstrapValues = criticValues(batch.nextObservations, batch.numEnvs)
        finalValues = [Float](repeating: 0, count: batch.count)
        if !batch.finalSteps.isEmpty {
            let v = criticValues(batch.finalObservations, batch.finalSteps.count)
            for (k, step) in batch.finalSteps.enumerated() { finalValues[step] = v[k] }
        }
        self.batch = batch
    }

    /// The batch's observations as a `[T*N, obs]` tensor.
    var observationTensor: Tensor { Tensor(batch.observations, shape: [batch.count, batch.observationSize]) }
}
