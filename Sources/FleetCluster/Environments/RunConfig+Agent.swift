import FleetAlgorithms
import FleetConfig
import FleetTensor

extension RunConfig {
    /// A PPO agent of this config's architecture for `environment`, initialized from `seed`.
    /// The learner and every actor build the same spec; actors then take the learner's weights.
    public func makeAgent(for environment: any TrainingEnvironment, seed: UInt64) -> PPOAgent {
        var generator = RandomGenerator(seed: seed)
        return PPOAgent(
            observationSize: environment.observationSize, actionSpace: environment.actionSpace,
            hiddenSizes: ppo.hiddenSizes, normalizeObservations: ppo.normalizeObservations,
            using: &generator)
    }

    /// The learner of this config's rollout algorithm (`ppo`, `trpo` or `reinforce`), training
    /// `agent` in place.
    package func makeRolloutLearner(agent: PPOAgent) -> any RolloutLearner {
        switch algorithm {
        case "trpo": TRPOLearner(agent: agent, settings: ppoSettings, trpo: trpo, seed: seed)
        case "reinforce": ReinforceLearner(agent: agent, settings: ppoSettings, reinforce: reinforce, seed: seed)
        default: PPOLearner(agent: agent, settings: ppoSettings, seed: seed, threads: learnerThreads)
        }
    }
}
