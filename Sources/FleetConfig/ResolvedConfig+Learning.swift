import FleetDigest
import FleetWire

extension ResolvedConfig {
    /// Keys that say where and how a run is deployed, not what it learns: its run directory, its
    /// channels' endpoints, how long it waits for actors, how much it buffers, what it captures, how
    /// often it checkpoints, where its reward server runs and how long a reward may take.
    public static let deploymentKeys: Set<String> = [
        "run_dir", "endpoints.batches", "endpoints.weights", "endpoints.control", "actor_timeout", "learner_timeout", "join_timeout",
        "stall_timeout", "ingress_byte_budget", "capture", "capture_dropped", "capture_file_bytes",
        "checkpoint_every", "checkpoint_keep", "metrics_port", "metrics_address",
        "reward_workers", "reward_timeout", "reward_endpoint", "max_actors", "allow_partial",
    ]

    /// TRPO's own keys (``RunConfig/trpo``), and REINFORCE's.
    static let trpoKeys: Set<String> = ["max_kl", "cg_iterations", "cg_damping", "vf_iterations"]
    static let reinforceKeys: Set<String> = ["reinforce_baseline"]
    /// Language PPO's own keys (its critic, KL penalty and reward clip), and `trains_on`.
    static let languagePPOKeys: Set<String> = [
        "trains_on", "critic.learning_rate", "critic_warmup", "cliprange_value", "kl_penalty", "kl_coef", "reward_clip",
    ]
    /// V-trace's clips and lambda (APPO's and IMPALA's), and the estimator that chooses it.
    static let vtraceKeys: Set<String> = ["vtrace_rho_clip", "vtrace_c_clip", "vtrace_lambda"]

    /// The SHA-256 (hex) of every key but the ``deploymentKeys``, in schema order: configs with the
    /// same learning hash train the same weights from the same batches. The dataset keys count only
    /// for `task: dataset` (any other task has them at their defaults), so the hash of every other
    /// config is what it was before they existed. Likewise `envs_per_actor` counts only when set,
    /// and then `num_actors` does not: an elastic run learns the same with any number of actors.
    /// TRPO's and REINFORCE's own keys count only for their algorithm, language PPO's (and
    /// `trains_on`) only for ppo on a prompt task, V-trace's only when it runs
    /// (`impala`, or `advantage_estimator: vtrace`), and `advantage_estimator` only when not `gae`.
    /// `encoder` counts only when it is not the default `mlp`; `model.path` and
    /// `ppo_micro_batch_size` only when set.
    public var learningSHA256: String {
        var sha = SHA256()
        var skipped = string("task") == "dataset" ? [] : Set(ConfigResolver.datasetKeys)
        if string("algorithm") != "trpo" { skipped.formUnion(Self.trpoKeys) }
        if string("algorithm") != "reinforce" { skipped.formUnion(Self.reinforceKeys) }
        if !(string("algorithm") == "ppo" && string("trains_on") == "task") { skipped.formUnion(Self.languagePPOKeys) }
        if string("advantage_estimator") == "gae" {
            skipped.insert("advantage_estimator")
            if string("algorithm") != "impala" { skipped.formUnion(Self.vtraceKeys) }
        }
        skipped.insert(self["envs_per_actor"] == .null ? "envs_per_actor" : "num_actors")
        if string("encoder") == "mlp" { skipped.insert("encoder") }
        if self["model.path"] == .null { skipped.insert("model.path") }
        if self["ppo_micro_batch_size"] == .null { skipped.insert("ppo_micro_batch_size") }
        for key in ConfigSchema.keys where !Self.deploymentKeys.contains(key.name) && !skipped.contains(key.name) {
            sha.update(Array("\(key.name): \(self[key.name].yaml)\n".utf8))
        }
        return sha.finalize().description
    }
}
