import FleetTensor

/// TRPO's and REINFORCE's learner states, in PPO's form (``PPOLearnerState``): the agent's
/// parameters, the optimizer, the update counter, a generator, the observation normalizer and the
/// reward-scaling streams.
extension PPOLearnerState {
    /// The state of a rollout learner made of these parts.
    init(agent: PPOAgent, optimizer: Adam, iteration: Int, generator: RandomGenerator, rewardScaler: RewardScaler) {
        self.init(
            parameters: agent.trainableParameters.map { .init(name: $0.name, shape: $0.tensor.shape, values: $0.tensor.data) },
            optimizer: optimizer.exportState(), iteration: iteration, generatorState: generator.state,
            observationStatistics: agent.observationStatistics, rewardStreams: rewardScaler.streams)
    }

    /// Checks the state against `agent` and `optimizer`, then writes its parameters, optimizer
    /// state and normalizer into them; on error nothing changes. The caller takes the counter, the
    /// generator and the reward streams.
    func apply(to agent: PPOAgent, optimizer: Adam) throws(PPOLearnerStateError) {
        let own = agent.trainableParameters
        guard own.count == parameters.count else { throw .parameterMismatch(name: "count") }
        for (mine, saved) in zip(own, parameters) {
            guard mine.name == saved.name, mine.tensor.shape == saved.shape, saved.values.count == mine.tensor.count else {
                throw .parameterMismatch(name: saved.name)
            }
        }
        guard iteration >= 0 else { throw .invalid("negative iteration") }
        guard generatorState.count == 4, generatorState.contains(where: { $0 != 0 }) else { throw .invalid("generator state") }
        guard (observationStatistics == nil) == (agent.observationStatistics == nil),
              observationStatistics.map({ $0.size == agent.observationSize }) ?? true else {
            throw .invalid("observation statistics")
        }
        do { try optimizer.importState(self.optimizer) } catch { throw .optimizer(error) }
        for (mine, saved) in zip(own, parameters) { mine.tensor.data = saved.values }
        if let observationStatistics { agent.restoreObservationStatistics(observationStatistics) }
    }
}
