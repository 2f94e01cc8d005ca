/// The language path's settings (GRPO, Dr. GRPO, DAPO and `fleet sft`), as the learner and the
/// actors read them; verl's meanings.
public struct LanguageConfig: Hashable, Sendable {
    /// The prompt task's name (`addition-2`).
    public var task: String
    /// The transformer's embedding width (`model.width`).
    public var modelWidth: Int
    /// Transformer blocks (`model.layers`).
    public var modelLayers: Int
    /// Attention heads (`model.heads`).
    public var modelHeads: Int
    /// The most tokens a sequence holds, prompt and response (`model.context_length`).
    public var contextLength: Int
    /// Learner updates of the run.
    public var totalTrainingSteps: Int
    /// Prompts (whole groups) per update.
    public var trainBatchSize: Int
    /// Responses per prompt (G).
    public var rolloutN: Int
    /// Prompts per group batch an actor ships.
    public var promptsPerBatch: Int
    /// Prompts per optimizer step.
    public var miniBatchSize: Int
    /// Passes over each batch (`ppo_epochs`, mu).
    public var ppoEpochs: Int
    /// The ratio's lower clip range: `r >= 1 - clipRatioLow` (`clip_ratio_low`).
    public var clipRatioLow: Double
    /// The ratio's upper clip range: `r <= 1 + clipRatioHigh` (`clip_ratio_high`).
    public var clipRatioHigh: Double
    /// Beta of the k3 KL to the reference (`kl_loss_coef`); 0: no reference.
    public var klLossCoef: Double
    /// `token-mean`, `seq-mean-token-mean` or `seq-mean-token-sum-norm`.
    public var lossAggregation: String
    /// `group`, `batch` or `none`.
    public var advantageScale: String
    /// The actors' sampling temperature.
    public var temperature: Double
    /// The actors' nucleus mass, in `(0, 1]`.
    public var topP: Double
    /// nil: the task's answer length plus eos.
    public var maxResponseLength: Int?
    /// DAPO's L_cache; 0: no soft overlong punishment.
    public var overlongBufferLength: Int
    /// Leave truncated responses out of the loss (`overlong_filtering`).
    public var overlongFiltering: Bool
    /// Added to the reward of a well-formed response.
    public var formatBonus: Double
    /// Dynamic sampling at the learner's ingress.
    public var filterGroups: Bool
    /// AdamW's peak learning rate (`learning_rate`).
    public var learningRate: Double
    /// Linear learning-rate warm-up, in updates (`lr_warmup_steps`).
    public var warmupSteps: Int
    /// AdamW's decoupled weight decay.
    public var weightDecay: Double
    /// Global L2 gradient-norm clip before each optimizer step.
    public var maxGradNorm: Double
    /// A policy file to start from.
    public var initCheckpoint: String?
    /// `fleet sft`: optimizer steps on demonstrations.
    public var sftSteps: Int
    /// `fleet sft`: AdamW's learning rate.
    public var sftLearningRate: Double
    /// `fleet sft`: demonstrations per step.
    public var sftBatchSize: Int
    /// `fleet sft`: linear learning-rate warm-up, in steps.
    public var sftWarmupSteps: Int
    /// Updates between held-out evaluations.
    public var evalEvery: Int
    /// Held-out prompts per evaluation.
    public var evalPrompts: Int
    /// Samples per held-out prompt, for pass@k.
    public var passK: Int

    /// The language part of a resolved config.
    public init(_ config: ResolvedConfig) {
        task = config.string("task")
        modelWidth = config.int("model.width")
        modelLayers = config.int("model.layers")
        modelHeads = config.int("model.heads")
        contextLength = config.int("model.context_length")
        totalTrainingSteps = config.int("total_training_steps")
        trainBatchSize = config.int("train_batch_size")
        rolloutN = config.int("rollout_n")
        promptsPerBatch = config.int("prompts_per_batch")
        miniBatchSize = config.int("ppo_mini_batch_size")
        ppoEpochs = config.int("ppo_epochs")
        clipRatioLow = config.double("clip_ratio_low")
        clipRatioHigh = config.double("clip_ratio_high")
        klLossCoef = config.double("kl_loss_coef")
        lossAggregation = config.string("loss_agg_mode")
        advantageScale = config.string("advantage_scale")
        temperature = config.double("temperature")
        topP = config.double("top_p")
        maxResponseLength = config.optionalInt("max_response_length")
        overlongBufferLength = config.int("overlong_buffer_len")
        overlongFiltering = config.bool("overlong_filtering")
        formatBonus = config.double("format_bonus")
        filterGroups = config.bool("filter_groups")
        learningRate = config.double("learning_rate")
        warmupSteps = config.int("lr_warmup_steps")
        weightDecay = config.double("weight_decay")
        maxGradNorm = config.double("max_grad_norm")
        initCheckpoint = config.optionalString("init_checkpoint")
        sftSteps = config.int("sft_steps")
        sftLearningRate = config.double("sft_learning_rate")
        sftBatchSize = config.int("sft_batch_size")
        sftWarmupSteps = config.int("sft_warmup_steps")
        evalEvery = config.int("eval_every")
        evalPrompts = config.int("eval_prompts")
        passK = config.int("pass_k")
    }
}
