/// The language path's settings (GRPO, Dr. GRPO, DAPO and `fleet sft`), as the learner and the
/// actors read them; verl's meanings.
public struct LanguageConfig: Hashable, Sendable {
    /// The prompt task's name (`addition-2`).
    public var task: String
    public var modelWidth: Int
    public var modelLayers: Int
    public var modelHeads: Int
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
    public var ppoEpochs: Int
    public var clipRatioLow: Double
    public var clipRatioHigh: Double
    public var klLossCoef: Double
    /// `token-mean`, `seq-mean-token-mean` or `seq-mean-token-sum-norm`.
    public var lossAggregation: String
    /// `group`, `batch` or `none`.
    public var advantageScale: String
    public var temperature: Double
    public var topP: Double
    /// nil: the task's answer length plus eos.
    public var maxResponseLength: Int?
    /// DAPO's L_cache; 0: no soft overlong punishment.
    public var overlongBufferLength: Int
    public var overlongFiltering: Bool
    /// Added to the reward of a well-formed response.
    public var formatBonus: Double
    /// Dynamic sampling at the learner's ingress.
    public var filterGroups: Bool
    public var learningRate: Double
    public var warmupSteps: Int
    public var weightDecay: Double
    public var maxGradNorm: Double
    /// A policy file to start from.
    public var initCheckpoint: String?
    public var sftSteps: Int
    public var sftLearningRate: Double
    public var sftBatchSize: Int
    public var sftWarmupSteps: Int
    public var evalEvery: Int
    public var evalPrompts: Int
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
