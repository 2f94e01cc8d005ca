import Foundation

/// `summary.json`: what a run did, written at its end (and on Ctrl-C). Unknown values are
/// written as `null`, never left out; keys are snake_case and sorted.
public struct RunSummary: Codable, Hashable, Sendable {
    /// Actor processes started, restarts after a failure, and times an actor was declared lost
    /// (silent for `actor_timeout`; nil in summaries that predate the count).
    public struct Actors: Codable, Hashable, Sendable {
        public var started: Int
        public var restarts: Int
        public var lost: Int?

        public init(started: Int = 0, restarts: Int = 0, lost: Int? = nil) {
            self.started = started
            self.restarts = restarts
            self.lost = lost
        }

        /// Every key, `lost` as `null` when unknown.
        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(started, forKey: .started)
            try container.encode(restarts, forKey: .restarts)
            try container.encode(lost, forKey: .lost)
        }
    }

    /// How the run ended: it did every update, no batch came for `stall_timeout`, or a stop was
    /// requested (Ctrl-C, SIGTERM).
    public enum Ending: String, Codable, Hashable, Sendable {
        case finished, stalled, interrupted
    }

    /// The evaluation of the run's policy: episodes and returns for an environment; held-out
    /// accuracy at the start and the end for a prompt task. What does not apply is left out.
    public struct Evaluation: Codable, Hashable, Sendable {
        public var episodes: Int?
        public var returnMean: Double?
        public var returnStd: Double?
        /// Evaluation used the deterministic (greedy or mean) action.
        public var deterministic: Bool?
        /// Greedy accuracy on the held-out prompts before the first update and after the last.
        public var accuracyStart: Double?
        public var accuracyEnd: Double?
        /// Held-out prompts evaluated.
        public var prompts: Int?
        /// pass@k at the end, with its k.
        public var passAtK: Double?
        public var k: Int?

        public init(episodes: Int, returnMean: Double, returnStd: Double, deterministic: Bool) {
            self.episodes = episodes
            self.returnMean = returnMean
            self.returnStd = returnStd
            self.deterministic = deterministic
        }

        public init(accuracyStart: Double?, accuracyEnd: Double?, prompts: Int, passAtK: Double?, k: Int) {
            self.accuracyStart = accuracyStart
            self.accuracyEnd = accuracyEnd
            self.prompts = prompts
            self.passAtK = passAtK
            self.k = k
        }

        package enum CodingKeys: String, CodingKey {
            case episodes, deterministic, prompts, k
            case returnMean = "return_mean"
            case returnStd = "return_std"
            case accuracyStart = "accuracy_start"
            case accuracyEnd = "accuracy_end"
            case passAtK = "pass_at_k"
        }
    }

    public var algorithm: String
    /// The environment id, or the prompt task's name.
    public var env: String
    public var seed: UInt64
    public var envSteps: Int
    public var wallSeconds: Double
    public var sps: Double
    /// Finished episodes.
    public var episodes: Int
    /// The mean return of the last 100 finished episodes.
    public var finalReturnMean100: Double?
    public var rewardThreshold: Double?
    /// The first env step at which the mean return of the last 100 episodes reached the threshold.
    public var solvedAtStep: Int?
    public var solvedWallSeconds: Double?
    public var policyVersion: Int?
    /// SHA-256 of the final weights, hex.
    public var weightsSHA256: String?
    public var actors: Actors
    /// Environment steps (or responses) in the batches that reached the learner, trained on or not;
    /// nil when no learner ran.
    public var stepsReceived: Int?
    /// ``envSteps`` over ``stepsReceived``: the share of the actors' work that was trained on (a
    /// batch still queued at the end, or split between updates, counts as not trained on).
    public var trainedShare: Double?
    /// Updates the config asks for, and those done.
    public var updatesPlanned: Int?
    public var updates: Int?
    /// What the config asks the run to train on (env steps, or responses), and how far ``envSteps``
    /// fell short of it.
    public var stepsPlanned: Int?
    public var stepsShort: Int?
    /// Updates trained on fewer steps than a full batch (an actor was lost and the update went on
    /// without its batch).
    public var partialUpdates: Int?
    /// How the run ended; nil when no learner ran.
    public var ended: Ending?
    /// Whether the run did everything its config asks: every update, each on a full batch.
    public var complete: Bool?
    /// Rejected batches by reason (`stale`, `invalid`, ...).
    public var rejected: [String: Int]
    public var eval: Evaluation?
    /// Where the learner's wall time went: seconds by phase (``LearnerTimeAccount/Phase``: ingress,
    /// idle, update, broadcast, checkpoint, capture, metrics, other), adding up to this learner
    /// process's wall time (a resumed run's earlier sessions are not in it). Nil when no learner ran.
    public var learnerTime: [String: Double]?
    /// The `broadcast` seconds of ``learnerTime`` over their sum: the share of the learner's time
    /// spent encoding and publishing weights.
    public var broadcastShare: Double?
    /// The CPU seconds the learner's thread spent in `broadcast` (encoding and publishing weights):
    /// what broadcasting costs, without the time the thread waited for a core, which
    /// ``broadcastShare``'s wall time includes on a busy machine.
    public var broadcastCPUSeconds: Double?
    /// The BLAS kernels the learner computed with, and who chose them (``BLASKernels/description``):
    /// the same kernels give the same bits.
    public var blasKernels: String?

    public init(
        algorithm: String, env: String, seed: UInt64, envSteps: Int = 0, wallSeconds: Double = 0,
        sps: Double = 0, episodes: Int = 0, finalReturnMean100: Double? = nil, rewardThreshold: Double? = nil,
        solvedAtStep: Int? = nil, solvedWallSeconds: Double? = nil, policyVersion: Int? = nil,
        weightsSHA256: String? = nil, actors: Actors = Actors(), rejected: [String: Int] = [:],
        eval: Evaluation? = nil
    ) {
        self.algorithm = algorithm
        self.env = env
        self.seed = seed
        self.envSteps = envSteps
        self.wallSeconds = wallSeconds
        self.sps = sps
        self.episodes = episodes
        self.finalReturnMean100 = finalReturnMean100
        self.rewardThreshold = rewardThreshold
        self.solvedAtStep = solvedAtStep
        self.solvedWallSeconds = solvedWallSeconds
        self.policyVersion = policyVersion
        self.weightsSHA256 = weightsSHA256
        self.actors = actors
        self.rejected = rejected
        self.eval = eval
    }

    package enum CodingKeys: String, CodingKey {
        case algorithm, env, seed, sps, episodes, actors, rejected, eval
        case envSteps = "env_steps"
        case wallSeconds = "wall_seconds"
        case finalReturnMean100 = "final_return_mean100"
        case rewardThreshold = "reward_threshold"
        case solvedAtStep = "solved_at_step"
        case solvedWallSeconds = "solved_wall_seconds"
        case policyVersion = "policy_version"
        case weightsSHA256 = "weights_sha256"
        case learnerTime = "learner_time"
        case broadcastShare = "broadcast_share"
        case broadcastCPUSeconds = "broadcast_cpu_seconds"
        case blasKernels = "blas_kernels"
        case stepsReceived = "steps_received"
        case trainedShare = "trained_share"
        case updatesPlanned = "updates_planned"
        case updates
        case stepsPlanned = "steps_planned"
        case stepsShort = "steps_short"
        case partialUpdates = "partial_updates"
        case ended, complete
    }

    /// Encodes every key, `null` for unknown values (a number that is not finite is unknown too).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(algorithm, forKey: .algorithm)
        try container.encode(env, forKey: .env)
        try container.encode(seed, forKey: .seed)
        try container.encode(envSteps, forKey: .envSteps)
        try container.encode(finiteOrNil(wallSeconds), forKey: .wallSeconds)
        try container.encode(finiteOrNil(sps), forKey: .sps)
        try container.encode(episodes, forKey: .episodes)
        try container.encode(finalReturnMean100.flatMap(finiteOrNil), forKey: .finalReturnMean100)
        try container.encode(rewardThreshold.flatMap(finiteOrNil), forKey: .rewardThreshold)
        try container.encode(solvedAtStep, forKey: .solvedAtStep)
        try container.encode(solvedWallSeconds.flatMap(finiteOrNil), forKey: .solvedWallSeconds)
        try container.encode(policyVersion, forKey: .policyVersion)
        try container.encode(weightsSHA256, forKey: .weightsSHA256)
        try container.encode(actors, forKey: .actors)
        try container.encode(stepsReceived, forKey: .stepsReceived)
        try container.encode(trainedShare.flatMap(finiteOrNil), forKey: .trainedShare)
        try container.encode(updatesPlanned, forKey: .updatesPlanned)
        try container.encode(updates, forKey: .updates)
        try container.encode(stepsPlanned, forKey: .stepsPlanned)
        try container.encode(stepsShort, forKey: .stepsShort)
        try container.encode(partialUpdates, forKey: .partialUpdates)
        try container.encode(ended, forKey: .ended)
        try container.encode(complete, forKey: .complete)
        try container.encode(rejected, forKey: .rejected)
        try container.encode(eval, forKey: .eval)
        try container.encode(learnerTime, forKey: .learnerTime)
        try container.encode(broadcastShare.flatMap(finiteOrNil), forKey: .broadcastShare)
        try container.encode(broadcastCPUSeconds.flatMap(finiteOrNil), forKey: .broadcastCPUSeconds)
        try container.encode(blasKernels, forKey: .blasKernels)
    }

    /// The summary as pretty-printed JSON with sorted keys and a final newline.
    public func jsonData() throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(self) + Data("\n".utf8)
    }
}

private func finiteOrNil(_ value: Double) -> Double? { value.isFinite ? value : nil }
