import FleetAlgorithms

/// A run's configuration, typed: what the run is, where it goes, and the algorithm's part. Each
/// field a key fills holds the key's default (``ConfigSchema`` binds the keys to the fields).
public struct RunConfig: Hashable, Sendable {
    /// `ppo`, `impala`, `trpo`, `reinforce`, `grpo`, `dr_grpo` or `dapo` (`ppo` on an environment or a task: ``trainsOn``).
    public var algorithm = "ppo"

    /// What the algorithm trains on (`trains_on`): `env` or `task`, as the resolver decided it
    /// (``trainsOnTask(algorithm:namesTask:namesEnvironment:)``).
    public var trainsOn = "env"

    /// Whether the run trains a language model on a prompt task (GRPO, Dr. GRPO, DAPO, language
    /// PPO), not on an environment's rollouts.
    public var isLanguage: Bool { trainsOn == "task" }
    /// Whether the run is PPO on a prompt task, with a critic (``LanguagePPOLearner``).
    public var isLanguagePPO: Bool { isLanguage && algorithm == "ppo" }
    /// The environment (`env_id`): a built-in Gymnasium id such as `CartPole-v1`, or one served by
    /// Python workers: `gymnasium:<id>` or a `module:callable` that makes a Gymnasium environment.
    public var envID = "CartPole-v1"
    /// Keyword arguments for a served environment's constructor, as a JSON object (`env_kwargs`).
    public var envKwargs = "{}"
    /// Python worker processes that serve an actor's environments (`env_workers`).
    public var envWorkers = 1
    /// The Python that runs the workers (`env_python`); empty: `$FLEET_PYTHON`, else `python3`.
    public var envPython = ""
    /// The seed of every random generator in the run.
    public var seed: UInt64 = 1
    /// Reproducible results: fixed reduction orders, no racing updates.
    public var deterministic = true
    /// Threads of the learner's PPO update (`learner_threads`): with 2, the critic's half of each
    /// minibatch runs beside the actor's, with the same results.
    public var learnerThreads = 2
    /// Environment steps of the whole run (`total_timesteps`).
    public var totalTimesteps = 500_000
    /// The run directory chosen in the config; nil: the default name under `runs/`.
    public var runDirectory: String? = nil
    /// Actor processes or threads (`num_actors`); they split `ppo.numEnvs` between them.
    public var numActors = 1
    /// Environments each actor steps, when set (`envs_per_actor`): the run is elastic
    /// (``isElastic``). nil: `ppo.numEnvs / numActors`.
    public var envsPerActorSetting: Int? = nil
    /// The actor indices an elastic run admits: 0 to `maxActors - 1`.
    public var maxActors = 64
    /// Whether a run that ends short of its config (partial updates) still counts as a success.
    public var allowPartial = false
    /// Batches from policies more than this many versions old are rejected.
    public var maxPolicyLag = 1
    /// Silence after which the learner declares an actor lost and stops waiting for it.
    public var actorTimeout: Duration = .seconds(5)
    /// How long an actor waits on a learner that says nothing before it gives up and exits (as long
    /// as the learner's own `stall_timeout`).
    public var learnerTimeout: Duration = .seconds(120)
    /// How long from its start the learner waits for actors that have not joined yet.
    public var joinTimeout: Duration = .seconds(30)
    /// How long the learner goes without an accepted batch before it gives up.
    public var stallTimeout: Duration = .seconds(120)
    /// Bytes of admitted batches the learner holds before it stops reading more.
    public var ingressByteBudget = 268_435_456
    /// Bad batches after which an actor is quarantined for the rest of the run.
    public var quarantineAfter = 100
    /// The port the learner serves Prometheus metrics on (0: any free port); nil: no metrics endpoint.
    public var metricsPort: Int? = nil
    /// The IPv4 address the metrics endpoint binds.
    public var metricsAddress = "127.0.0.1"
    /// Where the learner binds its three channels and actors connect.
    public var endpoints = ChannelEndpoints()
    /// What the learner captures of the batches it consumes and drops.
    public var capture = CaptureConfig()
    /// Where a language run's rewards come from: the task's verifier, or a remote Python function.
    public var rewards = RewardConfig()
    /// CURVE keys, the actors' allow-list, and whether insecure endpoints are allowed.
    public var security = SecurityConfig()
    /// How often the learner checkpoints and how many checkpoints it keeps.
    public var checkpoints = CheckpointConfig()
    /// What the PPO agent's actor and critic read observations with (`encoder`): `mlp` (the
    /// observation flattened into the MLPs), or `nature_cnn` or `snet` for `[C, H, W]` pixels.
    public var encoder = "mlp"
    /// PPO's hyperparameters (read whatever the algorithm; used by ppo, trpo and reinforce).
    public var ppo = PPOSettings()
    /// TRPO's own settings (read whatever the algorithm; used by trpo).
    public var trpo = TRPOSettings()
    /// REINFORCE's own settings (read whatever the algorithm; used by reinforce).
    public var reinforce = ReinforceSettings()
    /// The language path's settings (read whatever the algorithm; used by grpo, dr_grpo, dapo, ppo on a task and sft).
    public var language = LanguageConfig()
    /// A dataset task's files, template, tokenizer and verifier (read when `task` is `dataset`).
    public var dataset = DatasetConfig()
    /// The resolved config this was read from (what `config.yaml` holds).
    public var resolved = ResolvedConfig(values: [:])

    /// Updates of the whole run: `totalTimesteps / ppo.batchSize`.
    public var numIterations: Int { totalTimesteps / ppo.batchSize }

    /// Every field at its default: the defaults of the schema's keys (``ConfigKey/defaultValue``).
    public static let defaults = RunConfig()

    private init() {}

    /// Reads every key of a resolved config into the field it is bound to (``ConfigSchema``).
    public init(_ config: ResolvedConfig) {
        self.init()
        for key in ConfigSchema.keys { key.fill(&self, config[key.name]) }
        resolved = config
    }

    /// Resolves the config file at `path` (nil: defaults only) with `key=value` overrides and reads it.
    public init(file path: String?, overrides: [String] = []) throws {
        self.init(try ConfigResolver.resolve(file: path, overrides: overrides))
    }
}
