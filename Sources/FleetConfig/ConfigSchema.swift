import FleetTensor
import FleetEnvironments

/// Every key a run config knows, in the order the resolved `config.yaml` lists them, each bound to
/// the ``RunConfig`` field it fills (whose value in ``RunConfig/defaults`` is its default).
///
/// Names follow CleanRL's `ppo.py` (verl's on the language path) where one exists. The defaults
/// hold for every algorithm and environment family; those that depend on them are in
/// ``ConfigDefaults``. Adding a key: a field with its default, and one row here.
public enum ConfigSchema {
    /// Every key, by section, in the order the resolved `config.yaml` lists them.
    public static let sections: [ConfigSection] = [
        ConfigSection(
            "The run",
            [
                ConfigKey("algorithm", \.algorithm, .oneOf(["ppo", "impala", "trpo", "reinforce", "grpo", "dr_grpo", "dapo"]),
                    doc: "the learning algorithm: ppo, impala, trpo or reinforce on environments; grpo, dr_grpo or dapo on a prompt task; "
                        + "ppo on a prompt task too (language PPO, trains_on: task)"),
                ConfigKey("trains_on", \.trainsOn, .oneOf(["env", "task"]),
                    doc: "what the algorithm trains on: env (env_id) or task (a language policy on task); set by the "
                        + "algorithm, and for ppo: task when the config names a task and no env_id"),
                ConfigKey("env_id", \.envID,
                    doc: "the environment: a built-in Gymnasium id (CartPole-v1, ...), gymnasium:<id> for any "
                        + "Gymnasium environment, or module:callable for your own (both served by python -m fleet_env)"),
                ConfigKey("env_kwargs", \.envKwargs, .jsonObject,
                    doc: "keyword arguments for a served environment's constructor (a mapping)"),
                ConfigKey("env_workers", \.envWorkers, .positive,
                    doc: "Python processes serving each actor's environments (they split its copies)"),
                ConfigKey("env_python", \.envPython,
                    doc: "the Python with fleet_env installed that serves environments and reward functions; empty: "
                        + "$FLEET_PYTHON, else python3"),
                ConfigKey("seed", \.seed, .nonNegative, doc: "seed of every random generator in the run"),
                ConfigKey("deterministic", \.deterministic,
                    doc: "reproducible results: fixed reduction orders, no racing updates"),
                ConfigKey("learner_threads", \.learnerThreads, .between(1, 2),
                    doc: "threads of the PPO update: 2 runs the critic's half of each minibatch beside the actor's "
                        + "(the same results; 1 leaves the second core to actors)"),
                ConfigKey("total_timesteps", \.totalTimesteps, .positive, doc: "environment steps of the whole run"),
                ConfigKey("run_dir", \.runDirectory,
                    doc: "the run directory; null: runs/<env>__<algo>__<seed>__<unix-time>"),
                ConfigKey("cleanrl_compat", \.ppo.cleanrlCompat,
                    doc: "reproduce CleanRL exactly: treat truncation as termination (no bootstrap)"),
            ]),
        ConfigSection(
            "PPO",
            [
                ConfigKey("learning_rate", \.ppo.learningRate, also: [\.language.learningRate], .positive, doc: "Adam's learning rate"),
                ConfigKey("anneal_lr", \.ppo.annealLearningRate, doc: "anneal the learning rate linearly to 0"),
                ConfigKey("num_envs", \.ppo.numEnvs, .positive,
                    doc: "parallel environments of each update's batch, split evenly across the actors"),
                ConfigKey("num_steps", \.ppo.numSteps, .positive, doc: "steps per environment per rollout"),
                ConfigKey("num_minibatches", \.ppo.numMinibatches, .positive, doc: "minibatches per epoch"),
                ConfigKey("update_epochs", \.ppo.updateEpochs, .positive, doc: "epochs over each batch"),
                ConfigKey("gamma", \.ppo.gamma, .unitInterval, doc: "discount factor"),
                ConfigKey("gae_lambda", \.ppo.gaeLambda, .unitInterval, doc: "GAE's lambda"),
                ConfigKey("norm_adv", \.ppo.normalizeAdvantages, doc: "normalize advantages per minibatch"),
                ConfigKey("clip_coef", \.ppo.clipCoef, .positive, doc: "surrogate clipping epsilon"),
                ConfigKey("clip_vloss", \.ppo.clipValueLoss, doc: "clip the value loss around the old values"),
                ConfigKey("ent_coef", \.ppo.entCoef, .nonNegative, doc: "entropy bonus coefficient"),
                ConfigKey("vf_coef", \.ppo.vfCoef, .nonNegative, doc: "value loss coefficient"),
                ConfigKey("max_grad_norm", \.ppo.maxGradNorm, also: [\.language.maxGradNorm], .positive, doc: "global L2 gradient clipping norm"),
                ConfigKey("target_kl", \.ppo.targetKL, .positive,
                    doc: "stop the epochs early above this approx_kl; null: off"),
                ConfigKey("advantage_estimator", \.ppo.advantageEstimator, .oneOf(["gae", "vtrace"]),
                    doc: "gae, or vtrace: V-trace targets corrected for the policy lag (APPO with ppo; impala always uses vtrace)"),
                ConfigKey("vtrace_rho_clip", \.ppo.vtraceRhoClip, .positive,
                    doc: "V-trace's rho_bar: the clip of the importance weights pi/mu"),
                ConfigKey("vtrace_c_clip", \.ppo.vtraceCClip, .positive,
                    doc: "V-trace's c_bar: the clip of the trace coefficients"),
                ConfigKey("vtrace_lambda", \.ppo.vtraceLambda, .unitInterval,
                    doc: "V-trace's lambda: trace coefficients lambda * min(c_bar, pi/mu)"),
            ]),
        ConfigSection(
            "TRPO and REINFORCE (the rest of their settings are PPO's keys)",
            [
                ConfigKey("max_kl", \.trpo.maxKL, .positive,
                    doc: "TRPO's trust region: the largest mean KL(pi_old || pi) a policy step may reach"),
                ConfigKey("cg_iterations", \.trpo.cgIterations, .positive,
                    doc: "TRPO: conjugate-gradient iterations for the natural-gradient direction"),
                ConfigKey("cg_damping", \.trpo.cgDamping, .nonNegative,
                    doc: "TRPO: added to the Fisher matrix's diagonal in conjugate gradient"),
                ConfigKey("vf_iterations", \.trpo.vfIterations, .positive,
                    doc: "TRPO: epochs of minibatch Adam steps (learning_rate, num_minibatches) on the value function per update"),
                ConfigKey("reinforce_baseline", \.reinforce.baseline, .oneOf(["value", "none"]),
                    doc: "REINFORCE: subtract a learned value (fitted by MSE, bootstraps truncations) or none (plain Monte Carlo)"),
            ]),
        ConfigSection(
            "Networks and normalization",
            [
                ConfigKey("encoder", \.encoder, .oneOf(["mlp", "nature_cnn", "snet"]),
                    doc: "what the actor and critic read observations with: mlp (flattened), or for [C, H, W] pixels "
                        + "nature_cnn or snet (ppo only; one encoder each, the MLPs on its features)"),
                ConfigKey("hidden_sizes", \.ppo.hiddenSizes, .nonEmptyPositive,
                    doc: "hidden layer widths of the actor and critic MLPs"),
                ConfigKey("normalize_observations", \.ppo.normalizeObservations,
                    doc: "running mean/std observation normalization, clipped to 10"),
                ConfigKey("normalize_rewards", \.ppo.normalizeRewards,
                    doc: "scale rewards by the running std of the discounted return, clipped to 10"),
            ]),
        ConfigSection(
            "The language path (GRPO, Dr. GRPO, DAPO): verl's names where verl has one",
            [
                ConfigKey("task", \.language.task,
                    doc: "the prompt task: addition-N, reverse-N or sort-N, or dataset (your JSON Lines file: dataset.*)"),
                ConfigKey("model.path", \.language.modelPath,
                    doc: "a Hugging Face GPT-2 folder (config.json, model.safetensors, tokenizer files): the policy's "
                        + "architecture, initial weights and tokenizer; the run writes the trained policy to model/ in its "
                        + "run directory in the same format; null: a random policy of model.width, ..."),
                ConfigKey("model.width", \.language.modelWidth, .positive, doc: "the transformer's embedding width"),
                ConfigKey("model.layers", \.language.modelLayers, .positive, doc: "transformer blocks"),
                ConfigKey("model.heads", \.language.modelHeads, .positive, doc: "attention heads (they divide the width)"),
                ConfigKey("model.context_length", \.language.contextLength, .positive, doc: "the most tokens a sequence holds"),
                ConfigKey("total_training_steps", \.language.totalTrainingSteps, .positive,
                    doc: "learner updates of a grpo/dr_grpo/dapo run"),
                ConfigKey("train_batch_size", \.language.trainBatchSize, .positive, doc: "prompts (whole groups) per update"),
                ConfigKey("rollout_n", \.language.rolloutN, .positive, doc: "responses sampled per prompt (G)"),
                ConfigKey("prompts_per_batch", \.language.promptsPerBatch, .positive,
                    doc: "prompts an actor samples and ships in one group batch"),
                ConfigKey("ppo_mini_batch_size", \.language.miniBatchSize, .positive,
                    doc: "prompts per optimizer step; their groups' responses form the mini-batch"),
                ConfigKey("ppo_micro_batch_size", \.language.microBatchSize, .positive,
                    doc: "responses per forward and backward pass: each mini-batch's gradient is accumulated over "
                        + "micro-batches of this many (and the reference log-probs taken as many at a time), which "
                        + "bounds the learner's memory; null: a whole mini-batch at once"),
                ConfigKey("ppo_epochs", \.language.ppoEpochs, .positive, doc: "passes over each batch (mu)"),
                ConfigKey("clip_ratio_low", \.language.clipRatioLow, .positive, doc: "the ratio's lower clip: r >= 1 - low"),
                ConfigKey("clip_ratio_high", \.language.clipRatioHigh, .positive, doc: "the ratio's upper clip: r <= 1 + high"),
                ConfigKey("kl_loss_coef", \.language.klLossCoef, .nonNegative, doc: "beta of the k3 KL to the reference"),
                ConfigKey("loss_agg_mode", \.language.lossAggregation,
                    .oneOf(["token-mean", "seq-mean-token-mean", "seq-mean-token-sum-norm"]),
                    doc: "how per-token losses are combined"),
                ConfigKey("advantage_scale", \.language.advantageScale, .oneOf(["group", "batch", "none"]),
                    doc: "divide group-centred rewards by the group's std, the batch's, or nothing (Dr. GRPO)"),
                ConfigKey("temperature", \.language.temperature, .positive, doc: "the actors' sampling temperature"),
                ConfigKey("top_p", \.language.topP, .unitInterval, doc: "the actors' nucleus mass"),
                ConfigKey("max_response_length", \.language.maxResponseLength, .positive,
                    doc: "the most response tokens sampled; null: the task's answer length plus eos"),
                ConfigKey("overlong_buffer_len", \.language.overlongBufferLength, .nonNegative,
                    doc: "DAPO's soft overlong punishment cache L_cache; 0: off"),
                ConfigKey("format_bonus", \.language.formatBonus,
                    doc: "added to a response's reward when it is well formed (ends with eos, only the answer's characters)"),
                ConfigKey("overlong_filtering", \.language.overlongFiltering, doc: "leave truncated responses out of the loss"),
                ConfigKey("filter_groups", \.language.filterGroups,
                    doc: "dynamic sampling: drop groups whose rewards are all equal at the learner's ingress"),
                ConfigKey("lr_warmup_steps", \.language.warmupSteps, .nonNegative, doc: "linear learning-rate warm-up, in updates"),
                ConfigKey("weight_decay", \.language.weightDecay, .nonNegative, doc: "AdamW's decoupled weight decay"),
                ConfigKey("init_checkpoint", \.language.initCheckpoint,
                    doc: "a policy file (fleet sft's checkpoints/policy-final.fleet) to start from; null: random"),
                ConfigKey("sft_steps", \.language.sftSteps, .positive, doc: "fleet sft: optimizer steps on demonstrations"),
                ConfigKey("sft_learning_rate", \.language.sftLearningRate, .positive, doc: "fleet sft: AdamW's learning rate"),
                ConfigKey("sft_batch_size", \.language.sftBatchSize, .positive, doc: "fleet sft: demonstrations per step"),
                ConfigKey("sft_warmup_steps", \.language.sftWarmupSteps, .nonNegative, doc: "fleet sft: linear learning-rate warm-up"),
                ConfigKey("eval_every", \.language.evalEvery, .positive, doc: "updates between held-out evaluations"),
                ConfigKey("eval_prompts", \.language.evalPrompts, .positive, doc: "held-out prompts per evaluation"),
                ConfigKey("pass_k", \.language.passK, .positive, doc: "samples per held-out prompt for pass@k"),
            ]),
        ConfigSection(
            "Datasets (task: dataset; docs/datasets.md)",
            [
                ConfigKey("dataset.train", \.dataset.train,
                    doc: "the training file: JSON Lines, one {\"prompt\", \"answer\"} object a line (id and other fields optional)"),
                ConfigKey("dataset.held_out", \.dataset.heldOut,
                    doc: "the held-out file evaluation uses; null: hold out dataset.held_out_fraction of the training file"),
                ConfigKey("dataset.held_out_fraction", \.dataset.heldOutFraction, .unitInterval,
                    doc: "without a held-out file: the fraction held out, keyed by each line's id (or text), at least one line"),
                ConfigKey("prompt_template", \.dataset.promptTemplate,
                    doc: "the text the model reads, with one {prompt} the line's prompt replaces (the answer is not templated)"),
                ConfigKey("tokenizer", \.dataset.tokenizer, .oneOf(["byte", "character"]),
                    doc: "byte (any UTF-8, 259 ids) or character (the built-in tasks' 45 ids); built-in tasks keep character; "
                        + "with model.path, every task takes the folder's tokenizer"),
                ConfigKey("verifier", \.dataset.verifier, .oneOf(AnswerVerifiers.names),
                    doc: "how a response is checked against the answer: exact, numeric, boxed, hash_answer, regex or choice"),
                ConfigKey("verifier_tolerance", \.dataset.verifierTolerance, .nonNegative,
                    doc: "numeric, boxed and hash_answer: the largest absolute difference between equal numbers"),
                ConfigKey("verifier_pattern", \.dataset.verifierPattern,
                    doc: "regex: the pattern whose first capture group (or whole match) must equal the answer"),
            ]),
        ConfigSection(
            "The cluster",
            [
                ConfigKey("num_actors", \.numActors, .positive,
                    doc: "actor processes (or threads) stepping environments; in an elastic run (envs_per_actor set), "
                        + "only how many fleet launch and fleet train start"),
                ConfigKey("envs_per_actor", \.envsPerActorSetting, .positive,
                    doc: "PPO: environments each actor steps; set, the run is elastic: every update takes "
                        + "num_envs / envs_per_actor batches from whichever actors sent them, and actors may join and "
                        + "leave at any time; null: num_envs / num_actors, and each update waits for one batch of every actor"),
                ConfigKey("max_actors", \.maxActors, .positive,
                    doc: "an elastic run admits actors with --index 0 to max_actors - 1"),
                ConfigKey("allow_partial", \.allowPartial,
                    doc: "a run that ends short of its config (updates on partial batches after actors were lost) "
                        + "still exits 0; false: it exits 3 (summary.json says what was lost)"),
                ConfigKey("max_policy_lag", \.maxPolicyLag, .nonNegative,
                    doc: "reject batches from policies more than this many versions old"),
                ConfigKey("actor_timeout", \.actorTimeout, .positive,
                    doc: "seconds of silence (heartbeats come every second) after which an actor is lost and "
                        + "updates stop waiting for it"),
                ConfigKey("learner_timeout", \.learnerTimeout, .positive,
                    doc: "seconds an actor waits on a learner that says nothing (gone, or not admitting it) "
                        + "before it says so and exits non-zero; time spent acting does not count"),
                ConfigKey("join_timeout", \.joinTimeout, .positive,
                    doc: "seconds from the learner's start during which updates wait for actors not yet joined"),
                ConfigKey("stall_timeout", \.stallTimeout, .positive,
                    doc: "seconds without an accepted batch after which the learner gives up"),
                ConfigKey("ingress_byte_budget", \.ingressByteBudget, .positive,
                    doc: "bytes of admitted batches the learner holds before it stops reading more"),
                ConfigKey("quarantine_after", \.quarantineAfter, .positive,
                    doc: "bad batches (malformed, invalid, foreign, replayed) after which an actor is quarantined: "
                        + "nothing it sends is taken for the rest of the run"),
            ]),
        ConfigSection(
            "Monitoring",
            [
                ConfigKey("metrics_port", \.metricsPort, .port,
                    doc: "the learner serves Prometheus metrics on http://metrics_address:PORT/metrics; 0: any free port; null: off"),
                ConfigKey("metrics_address", \.metricsAddress,
                    doc: "the IPv4 address the metrics endpoint binds (0.0.0.0: every interface)"),
            ]),
        ConfigSection(
            "Remote rewards: a Python function scores a language run's responses (docs/rewards.md)",
            [
                ConfigKey("reward_function", \.rewards.function, .pythonCallable,
                    doc: "the Python function that scores responses, called as fn(prompts, completions, answers, metadata) "
                        + "-> list[float] by the learner through python -m fleet_env reward; null: the task's verifier"),
                ConfigKey("reward_workers", \.rewards.workers, .positive,
                    doc: "worker processes of the reward server the learner starts, each calling the function"),
                ConfigKey("reward_timeout", \.rewards.timeout, .positive,
                    doc: "seconds one call of the reward function may take; past it the batch is refused (reward_timeout)"),
                ConfigKey("reward_endpoint", \.rewards.endpoint,
                    doc: "a reward server already running (python -m fleet_env reward --endpoint ...); null: the learner "
                        + "starts one with env_python"),
            ]),
        ConfigSection(
            "Capture",
            [
                ConfigKey("capture", \.capture.enabled,
                    doc: "the learner writes every batch it trains on, in order, to captures/ (fleet replay reproduces the run)"),
                ConfigKey("capture_dropped", \.capture.dropped,
                    doc: "with capture: also the batches the learner drops, and why, in files of their own"),
                ConfigKey("capture_file_bytes", \.capture.fileBytes, .positive,
                    doc: "a capture file past this size is closed and the next one begun"),
            ]),
        ConfigSection(
            "Checkpoints",
            [
                ConfigKey("checkpoint_every", \.checkpoints.every, .nonNegative,
                    doc: "updates between checkpoints (also written when the run ends or is stopped); 0: only then"),
                ConfigKey("checkpoint_keep", \.checkpoints.keep, .atLeast(2),
                    doc: "complete checkpoints kept in checkpoints/ (at least 2, to fall back on)"),
                ConfigKey("endpoints.batches", \.endpoints.batches,
                    doc: "batch channel: the learner's PULL binds here, actors PUSH to it"),
                ConfigKey("endpoints.weights", \.endpoints.weights,
                    doc: "weights channel: the learner's PUB binds here, actors SUB to it"),
                ConfigKey("endpoints.control", \.endpoints.control,
                    doc: "control channel: the learner's ROUTER binds here, actors connect a DEALER"),
            ]),
        ConfigSection(
            "Security: CURVE on tcp endpoints, owner-only directories for ipc sockets",
            [
                ConfigKey("curve.learner_secret_key_file", \.security.learnerSecretKeyFile,
                    doc: "the learner's key pair file (fleet keygen --name learner: learner.key, mode 0600)"),
                ConfigKey("curve.authorized_actors", \.security.authorizedActors,
                    doc: "the learner's allow-list: 'ACTOR-ID PUBLIC-KEY' lines; reread when it changes (and on SIGHUP)"),
                ConfigKey("curve.learner_public_key_file", \.security.learnerPublicKeyFile,
                    doc: "the learner's public key file (learner.pub), which actors check the learner by"),
                ConfigKey("curve.actor_secret_key_file", \.security.actorSecretKeyFile,
                    doc: "an actor's key pair file; {actor_id} stands for its id, e.g. keys/{actor_id}.key"),
                ConfigKey("insecure", \.security.insecure,
                    doc: "allow tcp endpoints without CURVE keys and ipc sockets others can reach (warned at every start)"),
            ]),
        ConfigSection(
            "Language PPO (ppo on a prompt task, trains_on: task): the critic, the KL penalty in the reward, PPO-max's "
                + "reward normalization; gamma, gae_lambda, normalize_rewards and the language path's keys also apply",
            [
                ConfigKey("critic.learning_rate", \.language.criticLearningRate, .positive,
                    doc: "the critic's AdamW learning rate (its own model: the policy's weights and a value head)"),
                ConfigKey("critic_warmup", \.language.criticWarmup, .nonNegative,
                    doc: "the first critic_warmup updates train only the critic (the policy stays as it is)"),
                ConfigKey("cliprange_value", \.language.clipRangeValue, .positive,
                    doc: "value clipping: the new value stays within this of the value at sampling time"),
                ConfigKey("kl_penalty", \.language.klPenalty, .oneOf(["kl", "low_var_kl"]),
                    doc: "the per-token KL to the reference subtracted from the reward: kl (k1, old - ref) or low_var_kl (k3)"),
                ConfigKey("kl_coef", \.language.klCoef, .nonNegative,
                    doc: "the KL penalty's coefficient: r_t -= kl_coef * kl_t; 0: no reference model"),
                ConfigKey("reward_clip", \.language.rewardClip, .positive,
                    doc: "with normalize_rewards: the normalized score is clipped to [-reward_clip, reward_clip]"),
            ]),
    ]

    /// Every key, with its type, default, constraint and doc line.
    public static let keys: [ConfigKey] = sections.flatMap(\.keys)

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

/// Keys that belong together, under a title (a section of the config reference, `docs/config.md`).
public struct ConfigSection: Sendable {
    /// What the keys are about.
    public let title: String
    /// The keys, in order.
    public let keys: [ConfigKey]

    /// A section titled `title` holding `keys`.
    public init(_ title: String, _ keys: [ConfigKey]) {
        self.title = title
        self.keys = keys
    }
}
