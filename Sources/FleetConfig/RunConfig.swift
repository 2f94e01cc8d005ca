/// A run's configuration, typed: what the run is, where it goes, and the algorithm's part.
public struct RunConfig: Hashable, Sendable {
    /// `ppo`, `grpo`, `dr_grpo` or `dapo`.
    public var algorithm: String

    /// Whether the algorithm trains a language model on a prompt task (GRPO, Dr. GRPO, DAPO).
    public var isLanguage: Bool { algorithm != "ppo" }
    /// The Gymnasium id of the environment (`env_id`), e.g. `CartPole-v1`.
    public var envID: String
    /// The seed of every random generator in the run.
    public var seed: UInt64
    /// Reproducible results: fixed reduction orders, no racing updates.
    public var deterministic: Bool
    /// Environment steps of the whole run (`total_timesteps`).
    public var totalTimesteps: Int
    /// The run directory chosen in the config; nil: the default name under `runs/`.
    public var runDirectory: String?
    /// Actor processes or threads (`num_actors`); they split `ppo.numEnvs` between them.
    public var numActors: Int
    /// Batches from policies more than this many versions old are rejected.
    public var maxPolicyLag: Int
    /// Silence after which the learner declares an actor lost and stops waiting for it.
    public var actorTimeout: Duration
    /// How long from its start the learner waits for actors that have not joined yet.
    public var joinTimeout: Duration
    /// How long the learner goes without an accepted batch before it gives up.
    public var stallTimeout: Duration
    /// Bytes of admitted batches the learner holds before it stops reading more.
    public var ingressByteBudget: Int
    /// Bad batches after which an actor is quarantined for the rest of the run.
    public var quarantineAfter: Int
    /// The port the learner serves Prometheus metrics on (0: any free port); nil: no metrics endpoint.
    public var metricsPort: Int?
    /// The IPv4 address the metrics endpoint binds.
    public var metricsAddress: String
    /// Where the learner binds its three channels and actors connect.
    public var endpoints: ChannelEndpoints
    /// What the learner captures of the batches it consumes and drops.
    public var capture: CaptureConfig
    /// CURVE keys, the actors' allow-list, and whether insecure endpoints are allowed.
    public var security: SecurityConfig
    /// How often the learner checkpoints and how many checkpoints it keeps.
    public var checkpoints: CheckpointConfig
    /// PPO's hyperparameters (read whatever the algorithm; used by ppo).
    public var ppo: PPOConfig
    /// The language path's settings (read whatever the algorithm; used by grpo, dr_grpo, dapo and sft).
    public var language: LanguageConfig
    /// The resolved config this was read from (what `config.yaml` holds).
    public var resolved: ResolvedConfig

    /// Updates of the whole run: `totalTimesteps / ppo.batchSize`.
    public var numIterations: Int { totalTimesteps / ppo.batchSize }

    /// Reads every part of a resolved config; the timeouts are capped at 1e9 seconds.
    public init(_ config: ResolvedConfig) {
        algorithm = config.string("algorithm")
        envID = config.string("env_id")
        seed = UInt64(config.int("seed"))
        deterministic = config.bool("deterministic")
        totalTimesteps = config.int("total_timesteps")
        runDirectory = config.optionalString("run_dir")
        numActors = config.int("num_actors")
        maxPolicyLag = config.int("max_policy_lag")
        actorTimeout = .seconds(min(config.double("actor_timeout"), 1e9))
        joinTimeout = .seconds(min(config.double("join_timeout"), 1e9))
        stallTimeout = .seconds(min(config.double("stall_timeout"), 1e9))
        ingressByteBudget = config.int("ingress_byte_budget")
        quarantineAfter = config.int("quarantine_after")
        metricsPort = config.optionalInt("metrics_port")
        metricsAddress = config.string("metrics_address")
        endpoints = ChannelEndpoints(
            batches: config.string("endpoints.batches"), weights: config.string("endpoints.weights"),
            control: config.string("endpoints.control"))
        capture = CaptureConfig(config)
        security = SecurityConfig(config)
        checkpoints = CheckpointConfig(config)
        ppo = PPOConfig(config)
        language = LanguageConfig(config)
        resolved = config
    }

    /// Resolves the config file at `path` (nil: defaults only) with `key=value` overrides and reads it.
    public init(file path: String?, overrides: [String] = []) throws {
        self.init(try ConfigResolver.resolve(file: path, overrides: overrides))
    }
}
