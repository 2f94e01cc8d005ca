/// Every key a run config knows, in the order the resolved `config.yaml` lists them.
///
/// Names follow CleanRL's `ppo.py` where one exists. The defaults here hold for every algorithm
/// and environment family; those that depend on the family are in ``ConfigDefaults``.
public enum ConfigSchema {
    public static let keys: [ConfigKey] = [
        // The run
        ConfigKey("algorithm", .string, default: "ppo", .oneOf(["ppo"]), doc: "the learning algorithm"),
        ConfigKey("env_id", .string, default: "CartPole-v1", doc: "Gymnasium id of the environment"),
        ConfigKey("seed", .int, default: 1, .nonNegative, doc: "seed of every random generator in the run"),
        ConfigKey(
            "deterministic", .bool, default: true,
            doc: "reproducible results: fixed reduction orders, no racing updates"),
        ConfigKey("total_timesteps", .int, default: 500_000, .positive, doc: "environment steps of the whole run"),
        ConfigKey(
            "run_dir", .optional(.string), default: nil,
            doc: "the run directory; null: runs/<env>__<algo>__<seed>__<unix-time>"),
        ConfigKey(
            "cleanrl_compat", .bool, default: false,
            doc: "reproduce CleanRL exactly: treat truncation as termination (no bootstrap)"),
        // PPO
        ConfigKey("learning_rate", .double, default: 2.5e-4, .positive, doc: "Adam's learning rate"),
        ConfigKey("anneal_lr", .bool, default: true, doc: "anneal the learning rate linearly to 0"),
        ConfigKey(
            "num_envs", .int, default: 4, .positive,
            doc: "parallel environments of each update's batch, split evenly across the actors"),
        ConfigKey("num_steps", .int, default: 128, .positive, doc: "steps per environment per rollout"),
        ConfigKey("num_minibatches", .int, default: 4, .positive, doc: "minibatches per epoch"),
        ConfigKey("update_epochs", .int, default: 4, .positive, doc: "epochs over each batch"),
        ConfigKey("gamma", .double, default: 0.99, .unitInterval, doc: "discount factor"),
        ConfigKey("gae_lambda", .double, default: 0.95, .unitInterval, doc: "GAE's lambda"),
        ConfigKey("norm_adv", .bool, default: true, doc: "normalize advantages per minibatch"),
        ConfigKey("clip_coef", .double, default: 0.2, .positive, doc: "surrogate clipping epsilon"),
        ConfigKey("clip_vloss", .bool, default: true, doc: "clip the value loss around the old values"),
        ConfigKey("ent_coef", .double, default: 0.01, .nonNegative, doc: "entropy bonus coefficient"),
        ConfigKey("vf_coef", .double, default: 0.5, .nonNegative, doc: "value loss coefficient"),
        ConfigKey("max_grad_norm", .double, default: 0.5, .positive, doc: "global L2 gradient clipping norm"),
        ConfigKey(
            "target_kl", .optional(.double), default: nil, .positive,
            doc: "stop the epochs early above this approx_kl; null: off"),
        // Networks and normalization
        ConfigKey(
            "hidden_sizes", .list(.int), default: [64, 64], .nonEmptyPositive,
            doc: "hidden layer widths of the actor and critic MLPs"),
        ConfigKey(
            "normalize_observations", .bool, default: false,
            doc: "running mean/std observation normalization, clipped to 10"),
        ConfigKey(
            "normalize_rewards", .bool, default: false,
            doc: "scale rewards by the running std of the discounted return, clipped to 10"),
        // The cluster
        ConfigKey("num_actors", .int, default: 1, .positive, doc: "actor processes (or threads) stepping environments"),
        ConfigKey(
            "max_policy_lag", .int, default: 1, .nonNegative,
            doc: "reject batches from policies more than this many versions old"),
        ConfigKey(
            "actor_timeout", .double, default: 5.0, .positive,
            doc: "seconds of silence (heartbeats come every second) after which an actor is lost and "
                + "updates stop waiting for it"),
        ConfigKey(
            "join_timeout", .double, default: 30.0, .positive,
            doc: "seconds from the learner's start during which updates wait for actors not yet joined"),
        ConfigKey(
            "stall_timeout", .double, default: 120.0, .positive,
            doc: "seconds without an accepted batch after which the learner gives up"),
        ConfigKey(
            "ingress_byte_budget", .int, default: 268_435_456, .positive,
            doc: "bytes of admitted batches the learner holds before it stops reading more"),
        ConfigKey(
            "endpoints.batches", .string, default: "inproc://fleet-batches",
            doc: "batch channel: the learner's PULL binds here, actors PUSH to it"),
        ConfigKey(
            "endpoints.weights", .string, default: "inproc://fleet-weights",
            doc: "weights channel: the learner's PUB binds here, actors SUB to it"),
        ConfigKey(
            "endpoints.control", .string, default: "inproc://fleet-control",
            doc: "control channel: the learner's ROUTER binds here, actors connect a DEALER"),
    ]

    /// The key named `name`, if the schema has one.
    public static func key(named name: String) -> ConfigKey? { byName[name] }

    private static let byName: [String: ConfigKey] = Dictionary(
        uniqueKeysWithValues: keys.map { ($0.name, $0) })

    /// The known key closest to `name` by edit distance, if one is close enough to be a likely typo.
    public static func suggestion(for name: String) -> String? {
        let scored = keys.map { (name: $0.name, distance: editDistance(name, $0.name)) }
        guard let best = scored.min(by: { $0.distance < $1.distance }) else { return nil }
        return best.distance <= max(2, name.count / 3) ? best.name : nil
    }
}
