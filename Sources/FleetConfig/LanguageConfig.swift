import FleetAlgorithms

/// The language path's settings (GRPO, Dr. GRPO, DAPO and `fleet sft`), as the learner and the
/// actors read them; verl's meanings.
public struct LanguageConfig: Hashable, Sendable {
    /// The prompt task's name (`addition-2`).
    public var task: String = "addition-2"
    /// A Hugging Face GPT-2 folder the policy's architecture, initial weights and tokenizer come
    /// from (`model.path`); nil: a random policy of `model.width`, `model.layers`, ... .
    public var modelPath: String? = nil
    /// The transformer's embedding width (`model.width`).
    public var modelWidth: Int = 64
    /// Transformer blocks (`model.layers`).
    public var modelLayers: Int = 2
    /// Attention heads (`model.heads`).
    public var modelHeads: Int = 4
    /// The most tokens a sequence holds, prompt and response (`model.context_length`).
    public var contextLength: Int = 32
    /// Learner updates of the run.
    public var totalTrainingSteps: Int = 200
    /// Prompts (whole groups) per update.
    public var trainBatchSize: Int = 32
    /// Responses per prompt (G).
    public var rolloutN: Int = 8
    /// Prompts per group batch an actor ships.
    public var promptsPerBatch: Int = 8
    /// Prompts per optimizer step.
    public var miniBatchSize: Int = 32
    /// Responses per forward and backward pass of the learner (`ppo_micro_batch_size`); nil: a
    /// whole mini-batch at once.
    public var microBatchSize: Int? = nil
    /// Passes over each batch (`ppo_epochs`, mu).
    public var ppoEpochs: Int = 1
    /// The ratio's lower clip range: `r >= 1 - clipRatioLow` (`clip_ratio_low`).
    public var clipRatioLow: Double = 0.2
    /// The ratio's upper clip range: `r <= 1 + clipRatioHigh` (`clip_ratio_high`).
    public var clipRatioHigh: Double = 0.2
    /// Beta of the k3 KL to the reference (`kl_loss_coef`); 0: no reference.
    public var klLossCoef: Double = 0.04
    /// `token-mean`, `seq-mean-token-mean` or `seq-mean-token-sum-norm`.
    public var lossAggregation: String = "seq-mean-token-mean"
    /// `group`, `batch` or `none`.
    public var advantageScale: String = "group"
    /// The actors' sampling temperature.
    public var temperature: Double = 1.0
    /// The actors' nucleus mass, in `(0, 1]`.
    public var topP: Double = 1.0
    /// nil: the task's answer length plus eos.
    public var maxResponseLength: Int? = nil
    /// DAPO's L_cache; 0: no soft overlong punishment.
    public var overlongBufferLength: Int = 0
    /// Leave truncated responses out of the loss (`overlong_filtering`).
    public var overlongFiltering: Bool = false
    /// Added to the reward of a well-formed response.
    public var formatBonus: Double = 0.0
    /// Dynamic sampling at the learner's ingress.
    public var filterGroups: Bool = false
    /// AdamW's peak learning rate (`learning_rate`).
    public var learningRate = PPOSettings().learningRate
    /// Linear learning-rate warm-up, in updates (`lr_warmup_steps`).
    public var warmupSteps: Int = 0
    /// AdamW's decoupled weight decay.
    public var weightDecay: Double = 0.01
    /// Global L2 gradient-norm clip before each optimizer step.
    public var maxGradNorm = PPOSettings().maxGradNorm
    /// A policy file to start from.
    public var initCheckpoint: String? = nil
    /// `fleet sft`: optimizer steps on demonstrations.
    public var sftSteps: Int = 300
    /// `fleet sft`: AdamW's learning rate.
    public var sftLearningRate: Double = 3e-3
    /// `fleet sft`: demonstrations per step.
    public var sftBatchSize: Int = 64
    /// `fleet sft`: linear learning-rate warm-up, in steps.
    public var sftWarmupSteps: Int = 20
    /// Updates between held-out evaluations.
    public var evalEvery: Int = 10
    /// Held-out prompts per evaluation.
    public var evalPrompts: Int = 200
    /// Samples per held-out prompt, for pass@k.
    public var passK: Int = 4

    /// Language PPO: the critic's AdamW learning rate (`critic.learning_rate`).
    public var criticLearningRate: Double = 1e-3
    /// Language PPO: updates at the start that train only the critic (`critic_warmup`).
    public var criticWarmup: Int = 0
    /// Language PPO: the value clip range around the sampling-time value (`cliprange_value`).
    public var clipRangeValue: Double = 0.5
    /// Language PPO: `kl` (k1) or `low_var_kl` (k3), the per-token penalty in the reward (`kl_penalty`).
    public var klPenalty: String = "kl"
    /// Language PPO: the KL penalty's coefficient (`kl_coef`).
    public var klCoef: Double = 0.001
    /// Language PPO: the normalized score's clip (`reward_clip`).
    public var rewardClip: Double = 5

    /// Every field at its default (`learning_rate` and `max_grad_norm` are the keys PPO reads too:
    /// their defaults are PPO's).
    public init() {}
}
