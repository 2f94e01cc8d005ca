extension RunConfig {
    /// Whether a config trains on a prompt task (`trains_on: task`), the one rule the resolver
    /// applies: grpo, dr_grpo and dapo always do; impala, trpo and reinforce never; ppo does when the
    /// config names a task (`task`, including `task: dataset`) and no environment (`env_id`):
    /// language PPO. A config naming both (a run's resolved `config.yaml`) says `trains_on` itself.
    public static func trainsOnTask(algorithm: String, namesTask: Bool, namesEnvironment: Bool) -> Bool {
        guard isRolloutAlgorithm(algorithm) else { return true }
        return algorithm == "ppo" && namesTask && !namesEnvironment
    }

    /// The algorithms that can train on an environment's trajectory batches (ppo also on a prompt task).
    public static let rolloutAlgorithms: Set<String> = ["ppo", "impala", "trpo", "reinforce"]

    /// Whether `algorithm` trains on an environment's trajectory batches.
    public static func isRolloutAlgorithm(_ algorithm: String) -> Bool { rolloutAlgorithms.contains(algorithm) }
}
