import FleetTensor
import FleetEnvironments

/// Every key a run config knows, in the order the resolved `config.yaml` lists them.
///
/// Names follow CleanRL's `ppo.py` where one exists. The defaults here hold for every algorithm
/// and environment family; those that depend on the family are in ``ConfigDefaults``.
public enum ConfigSchema {
    /// Every key, with its type, default, constraint and doc line.
    public static let keys: [ConfigKey] = [
        // The run
        ConfigKey(
            "algorithm", .string, default: "ppo", .oneOf(["ppo", "grpo", "dr_grpo", "dapo"]),
            doc: "the learning algorithm: ppo on environments; grpo, dr_grpo or dapo on a prompt task"),
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
        // The language path (GRPO, Dr. GRPO, DAPO): verl's names where verl has one
        ConfigKey("task", .string, default: "addition-2", doc: "the prompt task: addition-N, reverse-N or sort-N"),
        ConfigKey("model.width", .int, default: 64, .positive, doc: "the transformer's embedding width"),
        ConfigKey("model.layers", .int, default: 2, .positive, doc: "transformer blocks"),
        ConfigKey("model.heads", .int, default: 4, .positive, doc: "attention heads (they divide the width)"),
        ConfigKey("model.context_length", .int, default: 32, .positive, doc: "the most tokens a sequence holds"),
        ConfigKey(
            "total_training_steps", .int, default: 200, .positive,
            doc: "learner updates of a grpo/dr_grpo/dapo run"),
        ConfigKey("train_batch_size", .int, default: 32, .positive, doc: "prompts (whole groups) per update"),
        ConfigKey("rollout_n", .int, default: 8, .positive, doc: "responses sampled per prompt (G)"),
        ConfigKey(
            "prompts_per_batch", .int, default: 8, .positive,
            doc: "prompts an actor samples and ships in one group batch"),
        ConfigKey(
            "ppo_mini_batch_size", .int, default: 32, .positive,
            doc: "prompts per optimizer step; their groups' responses form the mini-batch"),
        ConfigKey("ppo_epochs", .int, default: 1, .positive, doc: "passes over each batch (mu)"),
        ConfigKey("clip_ratio_low", .double, default: 0.2, .positive, doc: "the ratio's lower clip: r >= 1 - low"),
        ConfigKey("clip_ratio_high", .double, default: 0.2, .positive, doc: "the ratio's upper clip: r <= 1 + high"),
        ConfigKey("kl_loss_coef", .double, default: 0.04, .nonNegative, doc: "beta of the k3 KL to the reference"),
        ConfigKey(
            "loss_agg_mode", .string, default: "seq-mean-token-mean",
            .oneOf(["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]),
            doc: "how per-token losses are combined"),
        ConfigKey(
            "advantage_scale", .string, default: "group", .oneOf(["group", "batch", "none"]),
            doc: "divide group-centred rewards by the group's std, the batch's, or nothing (Dr. GRPO)"),
        ConfigKey("temperature", .double, default: 1.0, .positive, doc: "the actors' sampling temperature"),
        ConfigKey("top_p", .double, default: 1.0, .unitInterval, doc: "the actors' nucleus mass"),
        ConfigKey(
            "max_response_length", .optional(.int), default: nil, .positive,
            doc: "the most response tokens sampled; null: the task's answer length plus eos"),
        ConfigKey(
            "overlong_buffer_len", .int, default: 0, .nonNegative,
            doc: "DAPO's soft overlong punishment cache L_cache; 0: off"),
        ConfigKey(
            "format_bonus", .double, default: 0.0,
            doc: "added to a response's reward when it is well formed (ends with eos, only the answer's characters)"),
        ConfigKey("overlong_filtering", .bool, default: false, doc: "leave truncated responses out of the loss"),
        ConfigKey(
            "filter_groups", .bool, default: false,
            doc: "dynamic sampling: drop groups whose rewards are all equal at the learner's ingress"),
        ConfigKey("lr_warmup_steps", .int, default: 0, .nonNegative, doc: "linear learning-rate warm-up, in updates"),
        ConfigKey("weight_decay", .double, default: 0.01, .nonNegative, doc: "AdamW's decoupled weight decay"),
        ConfigKey(
            "init_checkpoint", .optional(.string), default: nil,
            doc: "a policy file (fleet sft's checkpoints/policy-final.fleet) to start from; null: random"),
        ConfigKey("sft_steps", .int, default: 300, .positive, doc: "fleet sft: optimizer steps on demonstrations"),
        ConfigKey("sft_learning_rate", .double, default: 3e-3, .positive, doc: "fleet sft: AdamW's learning rate"),
        ConfigKey("sft_batch_size", .int, default: 64, .positive, doc: "fleet sft: demonstrations per step"),
        ConfigKey("sft_warmup_steps", .int, default: 20, .nonNegative, doc: "fleet sft: linear learning-rate warm-up"),
        ConfigKey("eval_every", .int, default: 10, .positive, doc: "updates between held-out evaluations"),
        ConfigKey("eval_prompts", .int, default: 200, .positive, doc: "held-out prompts per evaluation"),
        ConfigKey("pass_k", .int, default: 4, .positive, doc: "samples per held-out prompt for pass@k"),
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
            "quarantine_after", .int, default: 100, .positive,
            doc: "bad batches (malformed, invalid, foreign, replayed) after which an actor is quarantined: "
                + "nothing it sends is taken for the rest of the run"),
        // Monitoring
        ConfigKey(
            "metrics_port", .optional(.int), default: nil, .port,
            doc: "the learner serves Prometheus metrics on http://metrics_address:PORT/metrics; 0: any free port; null: off"),
        ConfigKey(
            "metrics_address", .string, default: "127.0.0.1",
            doc: "the IPv4 address the metrics endpoint binds (0.0.0.0: every interface)"),
        // Capture
        ConfigKey(
            "capture", .bool, default: false,
            doc: "the learner writes every batch it trains on, in order, to captures/ (fleet replay reproduces the run)"),
        ConfigKey(
            "capture_dropped", .bool, default: false,
            doc: "with capture: also the batches the learner drops, and why, in files of their own"),
        ConfigKey(
            "capture_file_bytes", .int, default: 1_073_741_824, .positive,
            doc: "a capture file past this size is closed and the next one begun"),
        // Checkpoints
        ConfigKey(
            "checkpoint_every", .int, default: 50, .nonNegative,
            doc: "updates between checkpoints (also written when the run ends or is stopped); 0: only then"),
        ConfigKey(
            "checkpoint_keep", .int, default: 2, .atLeast(2),
            doc: "complete checkpoints kept in checkpoints/ (at least 2, to fall back on)"),
        ConfigKey(
            "endpoints.batches", .string, default: "inproc://fleet-batches",
            doc: "batch channel: the learner's PULL binds here, actors PUSH to it"),
        ConfigKey(
            "endpoints.weights", .string, default: "inproc://fleet-weights",
            doc: "weights channel: the learner's PUB binds here, actors SUB to it"),
        ConfigKey(
            "endpoints.control", .string, default: "inproc://fleet-control",
            doc: "control channel: the learner's ROUTER binds here, actors connect a DEALER"),
        // Security: CURVE on tcp endpoints, owner-only directories for ipc sockets
        ConfigKey(
            "curve.learner_secret_key_file", .optional(.string), default: nil,
            doc: "the learner's key pair file (fleet keygen --name learner: learner.key, mode 0600)"),
        ConfigKey(
            "curve.authorized_actors", .optional(.string), default: nil,
            doc: "the learner's allow-list: 'ACTOR-ID PUBLIC-KEY' lines; reread when it changes (and on SIGHUP)"),
        ConfigKey(
            "curve.learner_public_key_file", .optional(.string), default: nil,
            doc: "the learner's public key file (learner.pub), which actors check the learner by"),
        ConfigKey(
            "curve.actor_secret_key_file", .optional(.string), default: nil,
            doc: "an actor's key pair file; {actor_id} stands for its id, e.g. keys/{actor_id}.key"),
        ConfigKey(
            "insecure", .bool, default: false,
            doc: "allow tcp endpoints without CURVE keys and ipc sockets others can reach (warned at every start)"),
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
