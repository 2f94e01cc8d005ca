import Foundation

/// A live learner's counters: what `fleet status ENDPOINT` prints, sent as JSON in the `Status`
/// answer to a `StatusRequest` on the control channel. Keys are snake_case; unknown values are
/// left out.
public struct LearnerStatus: Codable, Hashable, Sendable {
    /// One actor of the run, as the learner last heard it.
    public struct ActorStatus: Codable, Hashable, Sendable {
        /// `pending` (never heard), `live`, `lost` (silent for `actor_timeout`) or `quarantined`
        /// (it sent `quarantine_after` bad batches).
        public var state: String
        public var incarnation: UInt64?
        public var host: String?
        public var pid: UInt32?
        /// Starts heard (one Hello per process start).
        public var joins: Int
        /// Times it went silent for `actor_timeout`.
        public var losses: Int
        /// Starts after its first (`joins - 1`).
        public var restarts: Int = 0
        /// Bad batches (malformed, invalid, foreign, replayed) counted toward quarantine.
        public var badBatches: Int = 0
        /// The weights version its latest heartbeat reported.
        public var weightsVersion: UInt64?
        /// The learner's version minus ``weightsVersion``.
        public var versionsBehind: UInt64?
        public var batchesAccepted: Int
        /// Batches of it waiting at the learner.
        public var batchesQueued: Int
        /// Its rejected batches by reason.
        public var rejected: [String: Int]
        public var secondsSinceHeard: Double?

        package enum CodingKeys: String, CodingKey {
            case state, incarnation, host, pid, joins, losses, restarts, rejected
            case badBatches = "bad_batches"
            case weightsVersion = "weights_version"
            case versionsBehind = "versions_behind"
            case batchesAccepted = "batches_accepted"
            case batchesQueued = "batches_queued"
            case secondsSinceHeard = "seconds_since_heard"
        }
    }

    /// The batches admitted and not yet trained on.
    public struct Queue: Codable, Hashable, Sendable {
        public var batches: Int
        public var bytes: Int
        /// `ingress_byte_budget`: past it, the learner stops reading batches until an update frees room.
        public var byteBudget: Int
        public var oldestBatchSeconds: Double?

        package enum CodingKeys: String, CodingKey {
            case batches, bytes
            case byteBudget = "byte_budget"
            case oldestBatchSeconds = "oldest_batch_seconds"
        }
    }

    /// Weight-broadcast latency: publish until every live actor holds the version.
    public struct WeightSync: Codable, Hashable, Sendable {
        public var versionsMeasured: Int
        public var lastSeconds: Double?
        public var meanSeconds: Double?
        public var maxSeconds: Double?

        package enum CodingKeys: String, CodingKey {
            case versionsMeasured = "versions_measured"
            case lastSeconds = "last_seconds"
            case meanSeconds = "mean_seconds"
            case maxSeconds = "max_seconds"
        }
    }

    /// The newest checkpoint: its weights version, its age, how long writing it took (nil for one
    /// a resume started from), and `checkpoint_every`.
    public struct Checkpoint: Codable, Hashable, Sendable {
        public var version: UInt64
        public var ageSeconds: Double
        public var writeSeconds: Double?
        public var every: Int

        package enum CodingKeys: String, CodingKey {
            case version, every
            case ageSeconds = "age_seconds"
            case writeSeconds = "write_seconds"
        }
    }

    public var algorithm: String
    public var env: String
    public var learnerIncarnation: UInt64
    /// The weights version: updates done.
    public var policyVersion: UInt64
    public var iteration: Int
    public var iterations: Int
    public var envSteps: Int
    public var wallSeconds: Double
    public var sps: Double
    public var returnMean100: Double?
    public var maxPolicyLag: Int
    /// Batches trained on by their policy lag at the update ("0", "1", ...).
    public var policyLagHistogram: [String: Int]
    public var actors: [String: ActorStatus]
    public var queue: Queue
    /// Rejected batches by reason (`stale` counts those that went stale while queued too).
    public var rejected: [String: Int]
    /// Rejected batches by sender id, then reason.
    public var rejectedBySender: [String: [String: Int]]
    public var weightSync: WeightSync
    /// Actors quarantined for bad batches.
    public var quarantined: [String] = []
    /// Updates undone because their loss or a gradient was not finite.
    public var updatesAborted = 0
    /// The newest checkpoint; nil before the first (or without a run directory).
    public var checkpoint: Checkpoint?
    /// Where this learner process's wall time went so far: seconds by phase (ingress, idle, update,
    /// broadcast, checkpoint, capture, metrics, other; ``LearnerTimeAccount``).
    public var learnerTime: [String: Double]?
    /// The `broadcast` seconds of ``learnerTime`` over their sum.
    public var broadcastShare: Double?
    /// The CPU seconds the learner's thread spent in `broadcast` (encoding and publishing weights):
    /// what broadcasting costs, without the time the thread waited for a core, which
    /// ``broadcastShare``'s wall time includes on a busy machine.
    public var broadcastCPUSeconds: Double?

    package enum CodingKeys: String, CodingKey {
        case algorithm, env, iteration, iterations, sps, actors, queue, rejected, quarantined, checkpoint
        case updatesAborted = "updates_aborted"
        case learnerIncarnation = "learner_incarnation"
        case policyVersion = "policy_version"
        case envSteps = "env_steps"
        case wallSeconds = "wall_seconds"
        case returnMean100 = "return_mean100"
        case maxPolicyLag = "max_policy_lag"
        case policyLagHistogram = "policy_lag_histogram"
        case rejectedBySender = "rejected_by_sender"
        case weightSync = "weight_sync"
        case learnerTime = "learner_time"
        case broadcastShare = "broadcast_share"
        case broadcastCPUSeconds = "broadcast_cpu_seconds"
    }

    /// The status as JSON with sorted keys; `pretty` indents it for people.
    public func json(pretty: Bool = false) throws -> String {
        try ReportJSON.encode(self, pretty: pretty)
    }

    /// Reads a status document.
    public init(json: String) throws {
        self = try ReportJSON.decode(Self.self, from: json)
    }

    public init(
        algorithm: String, env: String, learnerIncarnation: UInt64, policyVersion: UInt64, iteration: Int,
        iterations: Int, envSteps: Int, wallSeconds: Double, sps: Double, returnMean100: Double?,
        maxPolicyLag: Int, policyLagHistogram: [String: Int], actors: [String: ActorStatus], queue: Queue,
        rejected: [String: Int], rejectedBySender: [String: [String: Int]], weightSync: WeightSync,
        checkpoint: Checkpoint? = nil
    ) {
        self.algorithm = algorithm
        self.env = env
        self.learnerIncarnation = learnerIncarnation
        self.policyVersion = policyVersion
        self.iteration = iteration
        self.iterations = iterations
        self.envSteps = envSteps
        self.wallSeconds = wallSeconds
        self.sps = sps
        self.returnMean100 = returnMean100
        self.maxPolicyLag = maxPolicyLag
        self.policyLagHistogram = policyLagHistogram
        self.actors = actors
        self.queue = queue
        self.rejected = rejected
        self.rejectedBySender = rejectedBySender
        self.weightSync = weightSync
        self.checkpoint = checkpoint
    }
}
