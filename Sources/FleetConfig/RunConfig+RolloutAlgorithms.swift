extension RunConfig {
    /// The algorithms that train on an environment's trajectory batches (``isLanguage`` is false).
    public static let rolloutAlgorithms: Set<String> = ["ppo", "impala", "trpo", "reinforce"]

    /// Whether `algorithm` trains on an environment's trajectory batches.
    public static func isRolloutAlgorithm(_ algorithm: String) -> Bool { rolloutAlgorithms.contains(algorithm) }
}
