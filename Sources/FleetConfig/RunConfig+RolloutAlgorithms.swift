import FleetAlgorithms

extension RunConfig {
    /// The algorithms that train on an environment's trajectory batches (``isLanguage`` is false).
    public static let rolloutAlgorithms: Set<String> = ["ppo", "impala", "trpo", "reinforce"]

    /// Whether `algorithm` trains on an environment's trajectory batches.
    public static func isRolloutAlgorithm(_ algorithm: String) -> Bool { rolloutAlgorithms.contains(algorithm) }
}

/// `reinforce_baseline`: `value` or `none`.
extension ReinforceSettings.Baseline: ConfigConvertible {
    public static var configType: ConfigType { .string }
    public var configValue: ConfigValue { .string(rawValue) }
    public init(configValue: ConfigValue) {
        guard let baseline = Self(rawValue: String(configValue: configValue)) else {
            preconditionFailure("not a baseline: \(configValue)")
        }
        self = baseline
    }
}
