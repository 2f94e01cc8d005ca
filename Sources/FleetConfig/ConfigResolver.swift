import Foundation

/// Builds a ``ResolvedConfig`` in the order defaults ← file ← `--set` overrides, checking every
/// key, type and range on the way.
public enum ConfigResolver {
    /// Resolves the config file at `path` (nil: defaults only) with `overrides` (`key=value` each).
    /// Throws ``ConfigError`` naming the file or override, the key and what was expected.
    public static func resolve(file path: String?, overrides: [String] = []) throws -> ResolvedConfig {
        let parsed = try overrides.map(ConfigOverride.init(parsing:))
        guard let path else { return try resolve(entries: [], source: "defaults", overrides: parsed) }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            let reason = FileManager.default.fileExists(atPath: path) ? "cannot be read as UTF-8 text" : "does not exist"
            throw ConfigError(.unreadableFile, source: path, message: "cannot read the config file: it \(reason)")
        }
        return try resolve(yaml: text, source: path, overrides: parsed)
    }

    /// Resolves config YAML `yaml` (its file named `source` in errors) with `overrides`.
    public static func resolve(
        yaml: String, source: String, overrides: [ConfigOverride] = []
    ) throws -> ResolvedConfig {
        try resolve(entries: ConfigYAML.entries(of: yaml, source: source), source: source, overrides: overrides)
    }

    /// A value on its way in, with where it came from for errors.
    private struct Setting {
        let key: String
        let value: ConfigValue
        let source: String
        var line: Int? = nil
        var column: Int? = nil
    }

    private static func resolve(
        entries: [ConfigEntry], source: String, overrides: [ConfigOverride]
    ) throws -> ResolvedConfig {
        for entry in entries { try requireKnown(entry.key, source: source, line: entry.keyLine, column: entry.keyColumn) }
        for override in overrides { try requireKnown(override.key, source: override.argument) }

        let settings =
            entries.map {
                Setting(key: $0.key, value: $0.value, source: source, line: $0.valueLine, column: $0.valueColumn)
            } + overrides.map { Setting(key: $0.key, value: $0.value, source: $0.argument) }

        // The algorithm and the environment choose the defaults, so they are settled first.
        var explicit: [String: Setting] = [:]
        for setting in settings { explicit[setting.key] = setting }
        let algorithm = try checked(explicit["algorithm"], default: "algorithm")
        let envID = try checked(explicit["env_id"], default: "env_id")
        guard case .string(let algorithmName) = algorithm, case .string(let envName) = envID else {
            preconditionFailure("the schema types algorithm and env_id as strings")
        }

        // So is what it trains on: an environment or a prompt task (language PPO's defaults differ from PPO's).
        let onTask: Bool
        if let setting = explicit["trains_on"] {
            onTask = try checked(setting, default: "trains_on") == .string("task")
        } else {
            onTask = RunConfig.trainsOnTask(
                algorithm: algorithmName, namesTask: explicit["task"] != nil, namesEnvironment: explicit["env_id"] != nil)
        }

        var values = ConfigDefaults.values(algorithm: algorithmName, family: EnvironmentFamily(envID: envName), onTask: onTask)
        var origins: [String: String] = [:]
        for setting in settings {
            values[setting.key] = try checked(setting, default: setting.key)
            origins[setting.key] = setting.source
        }
        try applyModelFolder(&values, origins: origins)
        let resolved = ResolvedConfig(values: values)
        try checkConsistency(resolved, origins: origins)
        return resolved
    }

    private static func requireKnown(_ key: String, source: String, line: Int? = nil, column: Int? = nil) throws {
        guard ConfigSchema.key(named: key) == nil else { return }
        var message = "unknown key '\(key)'"
        if let suggestion = ConfigSchema.suggestion(for: key) { message += "; did you mean '\(suggestion)'?" }
        throw ConfigError(.unknownKey, source: source, key: key, line: line, column: column, message: message)
    }

    /// The setting's value in its key's type, within its key's range; the key's schema default
    /// when there is no setting.
    private static func checked(_ setting: Setting?, default keyName: String) throws -> ConfigValue {
        guard let key = ConfigSchema.key(named: keyName) else { preconditionFailure("unknown key \(keyName)") }
        guard let setting else { return key.defaultValue }
        guard let value = key.type.accept(setting.value) else {
            throw ConfigError(
                .wrongType, source: setting.source, key: key.name, line: setting.line, column: setting.column,
                message: "'\(key.name)' expects \(key.type.expectation), got \(setting.value.described)")
        }
        guard key.constraint.allows(value) else {
            throw ConfigError(
                .outOfRange, source: setting.source, key: key.name, line: setting.line, column: setting.column,
                message: "'\(key.name)' must be \(key.constraint.expectation), got \(value.described)")
        }
        return value
    }

    /// PPO trains on an environment (`env_id`) or a prompt task (`task`), GRPO/DAPO on a prompt task,
    /// the other rollout algorithms on an environment; `trains_on` says which (the resolver infers it
    /// unless the config sets it). A config that names only the other kind's subject (a CartPole
    /// config with `--set algorithm=grpo`) is refused rather than trained on the default subject of
    /// its algorithm. A config naming both (a run's resolved `config.yaml`) is one that chose.
    private static func checkAlgorithmFitsSubject(_ config: ResolvedConfig, origins: [String: String]) throws {
        let algorithm = config.string("algorithm")
        let source = origins["algorithm"] ?? "defaults"
        let onEnvironment = config.string("trains_on") == "env"
        let fits = RunConfig.isRolloutAlgorithm(algorithm) ? (onEnvironment || algorithm == "ppo") : !onEnvironment
        if !fits {
            throw ConfigError(
                .inconsistent, source: origins["trains_on"] ?? source, key: "trains_on",
                message: "algorithm '\(algorithm)' cannot train on \(onEnvironment ? "an environment" : "a prompt task") "
                    + "(trains_on: \(config.string("trains_on"))): ppo trains on either, impala, trpo and reinforce on "
                    + "an environment, grpo, dr_grpo and dapo on a prompt task")
        }
        if onEnvironment, let taskSource = origins["task"], origins["env_id"] == nil {
            throw ConfigError(
                .inconsistent, source: source, key: "algorithm",
                message: "algorithm '\(algorithm)' trains on an environment, but \(taskSource) names the prompt task '"
                    + "\(config.string("task"))' and no env_id: prompt tasks train with grpo, dr_grpo, dapo or ppo")
        }
        if !onEnvironment, let envSource = origins["env_id"], origins["task"] == nil {
            throw ConfigError(
                .inconsistent, source: source, key: "algorithm",
                message: "algorithm '\(algorithm)' trains a language policy on a prompt task, but \(envSource) names "
                    + "the environment '\(config.string("env_id"))' and no task: environments train with ppo, impala, trpo or reinforce")
        }
    }

    /// Rules between keys: the batch divides into minibatches, the width into heads, and for PPO
    /// the environments into actors and the run holds at least one batch.
    private static func checkConsistency(_ config: ResolvedConfig, origins: [String: String]) throws {
        try checkAlgorithmFitsSubject(config, origins: origins)
        try checkRewards(config, origins: origins)
        let numEnvs = config.int("num_envs"), numSteps = config.int("num_steps")
        let numMinibatches = config.int("num_minibatches")
        let batch = numEnvs * numSteps
        if batch % numMinibatches != 0 {
            let source = origins["num_minibatches"] ?? origins["num_steps"] ?? origins["num_envs"] ?? "defaults"
            throw ConfigError(
                .inconsistent, source: source, key: "num_minibatches",
                message: "'num_minibatches' must divide num_envs * num_steps = \(numEnvs) * \(numSteps) = \(batch), "
                    + "got \(numMinibatches)")
        }
        let width = config.int("model.width"), heads = config.int("model.heads")
        if width % heads != 0 {
            let source = origins["model.heads"] ?? origins["model.width"] ?? "defaults"
            throw ConfigError(
                .inconsistent, source: source, key: "model.heads",
                message: "'model.heads' must divide model.width = \(width), got \(heads)")
        }
        try checkDatasetKeys(config, origins: origins)
        // The rest concerns environment steps: the rollout algorithms'.
        guard config.string("trains_on") == "env" else { return }
        let numActors = config.int("num_actors")
        if case .int(let envsPerActor) = config["envs_per_actor"] {
            if numEnvs % envsPerActor != 0 {
                let source = origins["envs_per_actor"] ?? origins["num_envs"] ?? "defaults"
                throw ConfigError(
                    .inconsistent, source: source, key: "envs_per_actor",
                    message: "'envs_per_actor' must divide num_envs = \(numEnvs) (an update takes num_envs / "
                        + "envs_per_actor whole batches), got \(envsPerActor)")
            }
        } else if numEnvs % numActors != 0 {
            let source = origins["num_actors"] ?? origins["num_envs"] ?? "defaults"
            throw ConfigError(
                .inconsistent, source: source, key: "num_actors",
                message: "'num_actors' must divide num_envs = \(numEnvs) (each actor steps an equal share of "
                    + "the environments), got \(numActors)")
        }
        let total = config.int("total_timesteps")
        if total < batch {
            let source = origins["total_timesteps"] ?? origins["num_steps"] ?? origins["num_envs"] ?? "defaults"
            throw ConfigError(
                .inconsistent, source: source, key: "total_timesteps",
                message: "'total_timesteps' must be at least one batch, num_envs * num_steps = \(batch), got \(total)")
        }
    }
}
