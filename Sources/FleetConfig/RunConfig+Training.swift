import FleetAlgorithms
import FleetTensor

extension RunConfig {
    /// Environments each actor steps: its share of `num_envs`. However many actors generate it,
    /// an update's batch is the same `num_envs * num_steps` steps: the actor count is a choice of
    /// where steps are made, not of the algorithm.
    public var envsPerActor: Int { envsPerActorSetting ?? ppo.numEnvs / numActors }

    /// Whether actors may join and leave the run at any time (`envs_per_actor` set, PPO): every
    /// update then takes ``batchesPerUpdate`` batches from whichever actors sent them.
    public var isElastic: Bool { !isLanguage && envsPerActorSetting != nil }

    /// The batches one PPO update trains on: `num_envs / envs_per_actor`.
    public var batchesPerUpdate: Int { ppo.numEnvs / envsPerActor }

    /// The actor ids the run admits: `actor-0` to `actor-(num_actors - 1)`, or to
    /// `actor-(max_actors - 1)` in an elastic run.
    public var admissibleActorCount: Int { isElastic ? maxActors : numActors }

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

    /// The PPO learner's settings: the config's hyperparameters, annealed over ``learnerIterations``;
    /// `impala` is IMPALA's loss on V-trace's targets.
    public var ppoSettings: PPOSettings {
        var settings = ppo
        settings.totalIterations = learnerIterations
        if algorithm == "impala" {
            settings.policyLoss = .impala
            settings.advantageEstimator = .vtrace
        }
        return settings
    }
}
