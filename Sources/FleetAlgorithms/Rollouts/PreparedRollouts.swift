import FleetTensor

/// Rollouts ready for a TRPO or REINFORCE update, as PPO's update prepares its own: observation
/// statistics updated from the raw observations first, every observation normalized with them,
/// per-stream reward scaling, and the current critic's values of the observations, of the final
/// observations of truncated steps and of the observations after the last step.
struct PreparedRollouts {
    var batch: RolloutBatch
    /// `V(s_t)`, T x N.
    var values: [Float]
    /// `V(final observation)` where a step was truncated, 0 elsewhere; T x N.
    var finalValues: [Float]
    /// `V(observation after the last step)`, one per environment.
    var bootstrapValues: [Float]

    /// Prepares `rollouts` for `agent`, scaling rewards with `rewardScaler` when `normalizeRewards`.
    init(_ rollouts: [Rollout], agent: PPOAgent, rewardScaler: inout RewardScaler, normalizeRewards: Bool) {
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
        func criticValues(_ observations: [Float], rows: Int) -> [Float] {
            withNoGrad { agent.critic(Tensor(observations, shape: [rows, size])).data }
        }
        values = criticValues(batch.observations, rows: batch.count)
        bootstrapValues = criticValues(batch.nextObservations, rows: batch.numEnvs)
        finalValues = [Float](repeating: 0, count: batch.count)
        if !batch.finalSteps.isEmpty {
            let v = criticValues(batch.finalObservations, rows: batch.finalSteps.count)
            for (k, step) in batch.finalSteps.enumerated() { finalValues[step] = v[k] }
        }
        self.batch = batch
    }

    /// The batch's observations as a `[T*N, obs]` tensor.
    var observationTensor: Tensor { Tensor(batch.observations, shape: [batch.count, batch.observationSize]) }
}
