import FleetEnvironments
import Synchronization

/// The environment families whose PPO defaults differ (docs/algorithms.md's defaults table).
public enum EnvironmentFamily: String, Hashable, Sendable, CaseIterable {
    /// Discrete actions (CartPole, Acrobot, MountainCar): CleanRL's `ppo.py`.
    case discrete
    /// Continuous actions (Pendulum): CleanRL's `ppo_continuous_action.py`.
    case continuous

    /// Environments with continuous actions, built in or Gymnasium's (served as `gymnasium:<id>`):
    /// classic control, Box2D and MuJoCo. Every other id takes the discrete defaults; a config for
    /// another continuous environment sets its own.
    static let continuousEnvironmentIDs: Set<String> = [
        Pendulum.id, "MountainCarContinuous-v0", "LunarLanderContinuous-v3", "BipedalWalker-v3",
        "BipedalWalkerHardcore-v3", "CarRacing-v3",
        "Ant-v5", "HalfCheetah-v5", "Hopper-v5", "Humanoid-v5", "HumanoidStandup-v5", "InvertedDoublePendulum-v5",
        "InvertedPendulum-v5", "Pusher-v5", "Reacher-v5", "Swimmer-v5", "Walker2d-v5",
        "Ant-v4", "HalfCheetah-v4", "Hopper-v4", "Humanoid-v4", "InvertedDoublePendulum-v4", "InvertedPendulum-v4",
        "Pusher-v4", "Reacher-v4", "Swimmer-v4", "Walker2d-v4",
    ]

    /// Continuous environments an executable registered (`EnvironmentFactory.register`).
    private static let registeredContinuous = Mutex<Set<String>>([])

    /// Makes `id` take the continuous family's defaults.
    public static func registerContinuous(_ id: String) { _ = registeredContinuous.withLock { $0.insert(id) } }

    /// The family of the environment `envID` (`gymnasium:<id>` as `<id>`).
    public init(envID: String) {
        let id = envID.hasPrefix("gymnasium:") ? String(envID.dropFirst("gymnasium:".count)) : envID
        let continuous = Self.continuousEnvironmentIDs.contains(id) || Self.registeredContinuous.withLock { $0.contains(id) }
        self = continuous ? .continuous : .discrete
    }
}

/// The defaults that depend on the algorithm and the environment family, in one table.
/// Keys not listed here take ``ConfigKey/defaultValue``.
public enum ConfigDefaults {
    /// One row of the table: a key and its default in each family.
    public struct Row: Sendable {
        /// The key's name, as in ``ConfigSchema/keys``.
        public let key: String
        /// The default for discrete-action environments.
        public let discrete: ConfigValue
        /// The default for continuous-action environments.
        public let continuous: ConfigValue

        /// A key whose default is the same in every family.
        public init(key: String, same value: ConfigValue) {
            self.init(key: key, discrete: value, continuous: value)
        }

        /// A key whose default differs by family.
        public init(key: String, discrete: ConfigValue, continuous: ConfigValue) {
            self.key = key
            self.discrete = discrete
            self.continuous = continuous
        }

        /// The default for `family`.
        public func value(for family: EnvironmentFamily) -> ConfigValue {
            switch family {
            case .discrete: discrete
            case .continuous: continuous
            }
        }
    }

    /// PPO, as docs/algorithms.md's table (CartPole-v1 column, continuous control column).
    public static let ppo: [Row] = [
        //  key                          discrete    continuous
        Row(key: "total_timesteps", discrete: 500_000, continuous: 1_000_000),
        Row(key: "learning_rate", discrete: 2.5e-4, continuous: 3e-4),
        Row(key: "num_envs", discrete: 4, continuous: 1),
        Row(key: "num_steps", discrete: 128, continuous: 2048),
        Row(key: "num_minibatches", discrete: 4, continuous: 32),
        Row(key: "update_epochs", discrete: 4, continuous: 10),
        Row(key: "gamma", discrete: 0.99, continuous: 0.99),
        Row(key: "gae_lambda", discrete: 0.95, continuous: 0.95),
        Row(key: "clip_coef", discrete: 0.2, continuous: 0.2),
        Row(key: "ent_coef", discrete: 0.01, continuous: 0.0),
        Row(key: "vf_coef", discrete: 0.5, continuous: 0.5),
        Row(key: "max_grad_norm", discrete: 0.5, continuous: 0.5),
        Row(key: "normalize_observations", discrete: false, continuous: true),
        Row(key: "normalize_rewards", discrete: false, continuous: true),
    ]

    /// The language algorithms' differences from GRPO's defaults (the schema's): Dr. GRPO and DAPO
    /// as docs/algorithms.md defines them. The environment family plays no part here.
    public static let drGRPO: [Row] = [
        Row(key: "kl_loss_coef", same: 0.0),
        Row(key: "loss_agg_mode", same: "seq-mean-token-sum-norm"),
        Row(key: "advantage_scale", same: "none"),
    ]
    /// DAPO: no KL term, clip-higher 0.28, token-mean aggregation and dynamic sampling (`filter_groups`).
    public static let dapo: [Row] = [
        Row(key: "kl_loss_coef", same: 0.0),
        Row(key: "clip_ratio_high", same: 0.28),
        Row(key: "loss_agg_mode", same: "token-mean"),
        Row(key: "filter_groups", same: true),
    ]

    /// PPO on a prompt task (language PPO) instead of PPO's rows: PPO-max's gamma 1 and lambda 0.95,
    /// reward normalization on, the KL to the reference in the reward (`kl_coef`) rather than in the
    /// loss, verl's token-mean aggregation, and one response per prompt (no groups needed).
    public static let languagePPO: [Row] = [
        Row(key: "gamma", same: 1.0),
        Row(key: "gae_lambda", same: 0.95),
        Row(key: "normalize_rewards", same: true),
        Row(key: "kl_loss_coef", same: 0.0),
        Row(key: "loss_agg_mode", same: "token-mean"),
        Row(key: "rollout_n", same: 1),
    ]

    /// TRPO's differences from PPO's rows: the value function's Adam learning rate 1e-3 (Spinning
    /// Up's `vf_lr`), not annealed.
    public static let trpo: [Row] = [
        Row(key: "learning_rate", same: 1e-3),
        Row(key: "anneal_lr", same: false),
    ]
    /// REINFORCE's differences from PPO's rows: one Adam step per batch wants a larger learning
    /// rate; the loss is the reference's `-mean(log pi (G - b))`, without advantage normalization.
    public static let reinforce: [Row] = [
        Row(key: "learning_rate", same: 1e-3),
        Row(key: "norm_adv", same: false),
    ]

    /// The rows of `algorithm` (empty for an algorithm without family-dependent defaults), on a
    /// prompt task when `onTask` (language PPO's rows for ppo); a later row of the same key wins.
    public static func rows(for algorithm: String, onTask: Bool = false) -> [Row] {
        if onTask && algorithm == "ppo" { return languagePPO }
        return switch algorithm {
        case "ppo", "impala": ppo
        case "trpo": ppo + trpo
        case "reinforce": ppo + reinforce
        case "dr_grpo": drGRPO
        case "dapo": dapo
        default: []
        }
    }

    /// Every key's default for `algorithm` on an environment of `family`, or on a prompt task when
    /// `onTask` (then `trains_on` is `task`).
    public static func values(algorithm: String, family: EnvironmentFamily, onTask: Bool = false) -> [String: ConfigValue] {
        var values = Dictionary(uniqueKeysWithValues: ConfigSchema.keys.map { ($0.name, $0.defaultValue) })
        for row in rows(for: algorithm, onTask: onTask) { values[row.key] = row.value(for: family) }
        values["trains_on"] = .string(onTask ? "task" : "env")
        return values
    }
}
