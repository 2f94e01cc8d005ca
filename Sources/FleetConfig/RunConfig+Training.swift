import FleetAlgorithms
import FleetTensor

extension RunConfig {
    /// Environments each actor steps: its share of `num_envs`. However many actors generate it,
    /// an update's batch is the same `num_envs * num_steps` steps: the actor count is a choice of
    /// where steps are made, not of the algorithm.
    public var envsPerActor: Int { ppo.numEnvs / numActors }

    /// Env steps one learner iteration trains on: one rollout of every actor, `num_envs * num_steps`.
    public var stepsPerIteration: Int { ppo.batchSize }

    /// What the whole run trains on: env steps for PPO, responses for a language run.
    public var plannedSteps: Int {
        isLanguage
            ? language.totalTrainingSteps * language.trainBatchSize * language.rolloutN
            : learnerIterations * stepsPerIteration
    }

    /// Learner iterations of the whole run: `total_timesteps / stepsPerIteration`, at least one.
    public var learnerIterations: Int { max(1, totalTimesteps / stepsPerIteration) }

    /// The PPO learner's settings: the config's hyperparameters, annealed over ``learnerIterations``.
    public var ppoSettings: PPOSettings {
        var settings = ppo
        settings.totalIterations = learnerIterations
        return settings
    }
}
