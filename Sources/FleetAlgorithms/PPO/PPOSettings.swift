import FleetTensor

/// PPO's hyperparameters with CleanRL's meaning (docs/algorithms.md). The defaults are CleanRL's
/// `ppo.py` for CartPole-v1 (500k steps of 4 envs x 128 steps: 976 iterations).
public struct PPOSettings: Hashable, Sendable {
    /// Adam's learning rate (the initial one when annealed).
    public var learningRate: Double
    /// At iteration u of U (1-based) use `(1 - (u-1)/U) * learningRate`.
    public var annealLearningRate: Bool
    /// U, for the annealing.
    public var totalIterations: Int
    /// Environments of each update's batch (split evenly across the actors of a cluster).
    public var numEnvs: Int
    /// Steps per environment per rollout.
    public var numSteps: Int
    /// Minibatches per epoch: each holds `batch / numMinibatches` steps (at least 1), the last possibly fewer.
    public var numMinibatches: Int
    /// Passes over the batch per update, each with a fresh permutation.
    public var updateEpochs: Int
    /// The discount factor, for GAE and reward scaling.
    public var gamma: Double
    /// GAE's lambda.
    public var gaeLambda: Double
    /// Treat truncation as termination (no bootstrap from the final observation), as CleanRL does.
    public var cleanrlCompat: Bool
    /// Normalize advantages within each minibatch: `(A - mean) / (unbiased std + 1e-8)`.
    public var normalizeAdvantages: Bool
    /// The ratio clip range: `r` in `[1 - clipCoef, 1 + clipCoef]`; also the value clip when `clipValueLoss`.
    public var clipCoef: Double
    /// Clip the new values to within `clipCoef` of the old ones in the value loss, as CleanRL's `clip_vloss`.
    public var clipValueLoss: Bool
    /// The entropy bonus coefficient.
    public var entCoef: Double
    /// The value loss coefficient.
    public var vfCoef: Double
    /// Global L2 gradient-norm clip before each optimizer step.
    public var maxGradNorm: Double
    /// Stop an update's epochs after one whose approx_kl exceeds this; nil: never.
    public var targetKL: Double?
    /// Hidden layer widths of the actor and critic MLPs.
    public var hiddenSizes: [Int]
    /// How advantages and value targets are estimated: GAE, or V-trace for batches sampled by an
    /// older policy (APPO with the clipped surrogate, IMPALA with ``PolicyLoss/impala``).
    public var advantageEstimator: AdvantageEstimator
    /// V-trace's `rho_bar`: the clip of the importance weights `pi/mu` in the targets and advantages.
    public var vtraceRhoClip: Double
    /// V-trace's `c_bar`: the clip of the trace coefficients.
    public var vtraceCClip: Double
    /// V-trace's lambda: the trace coefficients are `lambda * min(c_bar, pi/mu)`.
    public var vtraceLambda: Double
    /// The loss an update minimizes: PPO's clipped surrogate over epochs of minibatches, or IMPALA's.
    public var policyLoss: PolicyLoss
    /// Running mean/std observation normalization with clip 10 (continuous control).
    public var normalizeObservations: Bool
    /// Divide rewards by the running std of the discounted return, clip 10 (continuous control).
    public var normalizeRewards: Bool

    /// Creates settings, by default CleanRL's CartPole-v1 ones. Nothing is checked here.
    public init(
        learningRate: Double = 2.5e-4, annealLearningRate: Bool = true, totalIterations: Int = 976,
        numMinibatches: Int = 4, updateEpochs: Int = 4,
        gamma: Double = 0.99, gaeLambda: Double = 0.95, cleanrlCompat: Bool = false,
        normalizeAdvantages: Bool = true, clipCoef: Double = 0.2, clipValueLoss: Bool = true,
        entCoef: Double = 0.01, vfCoef: Double = 0.5, maxGradNorm: Double = 0.5, targetKL: Double? = nil,
        hiddenSizes: [Int] = [64, 64], normalizeObservations: Bool = false, normalizeRewards: Bool = false,
        numEnvs: Int = 4, numSteps: Int = 128,
        advantageEstimator: AdvantageEstimator = .gae, vtraceRhoClip: Double = 1, vtraceCClip: Double = 1,
        vtraceLambda: Double = 1, policyLoss: PolicyLoss = .clippedSurrogate
    ) {
        self.advantageEstimator = advantageEstimator
        self.vtraceRhoClip = vtraceRhoClip
        self.vtraceCClip = vtraceCClip
        self.vtraceLambda = vtraceLambda
        self.policyLoss = policyLoss
        self.numEnvs = numEnvs
        self.numSteps = numSteps
        self.learningRate = learningRate
        self.annealLearningRate = annealLearningRate
        self.totalIterations = totalIterations
        self.numMinibatches = numMinibatches
        self.updateEpochs = updateEpochs
        self.gamma = gamma
        self.gaeLambda = gaeLambda
        self.cleanrlCompat = cleanrlCompat
        self.normalizeAdvantages = normalizeAdvantages
        self.clipCoef = clipCoef
        self.clipValueLoss = clipValueLoss
        self.entCoef = entCoef
        self.vfCoef = vfCoef
        self.maxGradNorm = maxGradNorm
        self.targetKL = targetKL
        self.hiddenSizes = hiddenSizes
        self.normalizeObservations = normalizeObservations
        self.normalizeRewards = normalizeRewards
    }

    /// The learning rate of update `iteration` (1-based): annealed linearly to 0 over
    /// `totalIterations` when `annealLearningRate`, else `learningRate`.
    public func learningRate(at iteration: Int) -> Double {
        guard annealLearningRate else { return learningRate }
        return LinearAnnealSchedule(initialRate: learningRate, totalIterations: totalIterations).learningRate(at: iteration)
    }

    /// CleanRL's `ppo_continuous_action.py` defaults (1M steps of 1 env x 2048 steps: 488 iterations).
    public static var continuousControl: PPOSettings {
        PPOSettings(
            learningRate: 3e-4, totalIterations: 488, numMinibatches: 32, updateEpochs: 10,
            entCoef: 0, normalizeObservations: true, normalizeRewards: true, numEnvs: 1, numSteps: 2048)
    }

    /// How advantages and value targets are estimated.
    public enum AdvantageEstimator: String, Hashable, Sendable, CaseIterable {
        /// Generalized advantage estimation (``GAE``): the batch is taken as on-policy.
        case gae
        /// ``VTrace``: importance weights of the current policy against the behaviour policy.
        case vtrace
    }

    /// The loss of an update.
    public enum PolicyLoss: String, Hashable, Sendable, CaseIterable {
        /// PPO's clipped surrogate and (clipped) value loss, `updateEpochs x numMinibatches` steps.
        case clippedSurrogate
        /// IMPALA's: `-mean(A log pi)` with V-trace's advantages, `0.5 mean((v - V)^2)`, the entropy
        /// bonus; one step on the whole batch.
        case impala
    }

    /// Transitions per update: `numEnvs * numSteps`.
    public var batchSize: Int { numEnvs * numSteps }
    /// Transitions per minibatch: `batchSize / numMinibatches`.
    public var minibatchSize: Int { batchSize / numMinibatches }
}
