/// Actor -> learner, the first message on the control channel (`fleet.v1.Hello`).
public struct Hello: Sendable, Hashable {
    /// The hash of the environment or task spec the actor runs.
    public var specHash: [UInt8]
    /// The number of environments the actor steps.
    public var numEnvs: UInt32
    /// The actor's host name.
    public var host: String
    /// The actor's process id.
    public var pid: UInt32

    /// Creates a hello; nothing is checked until the frame is validated.
    public init(specHash: [UInt8], numEnvs: UInt32, host: String, pid: UInt32) {
        self.specHash = specHash
        self.numEnvs = numEnvs
        self.host = host
        self.pid = pid
    }
}

/// Learner -> actor, the answer to `Hello` (`fleet.v1.Welcome`): the learner's state and the run's
/// shape, everything an actor needs to make batches the learner takes.
public struct Welcome: Sendable, Hashable {
    /// The learner's current weights version.
    public var weightsVersion: UInt64
    /// The learner's incarnation.
    public var learnerIncarnation: UInt64
    /// The `Hello.specHash` of this run's actors.
    public var specHash: [UInt8]
    /// The environment id, or the prompt task's spec.
    public var subject: String
    /// The policy's canonical spec text (its SHA-256 is `Weights.modelSpecHash`).
    public var policySpec: String
    /// Environments per actor (PPO), or prompts per batch (GRPO, DAPO).
    public var numEnvs: UInt32
    /// Steps per trajectory batch; 0 on a prompt task.
    public var numSteps: UInt32
    /// The pacing bound.
    public var maxPolicyLag: UInt32
    /// Responses per prompt; 0 on an environment.
    public var groupSize: UInt32
    /// The observations' space (environments only).
    public var observationSpace: WireSpace?
    /// The actions' space (environments only).
    public var actionSpace: WireSpace?

    /// Creates a welcome from the learner's current version and incarnation, and the run's shape.
    public init(
        weightsVersion: UInt64, learnerIncarnation: UInt64, specHash: [UInt8] = [], subject: String = "",
        policySpec: String = "", numEnvs: UInt32 = 0, numSteps: UInt32 = 0, maxPolicyLag: UInt32 = 0,
        groupSize: UInt32 = 0, observationSpace: WireSpace? = nil, actionSpace: WireSpace? = nil
    ) {
        self.weightsVersion = weightsVersion
        self.learnerIncarnation = learnerIncarnation
        self.specHash = specHash
        self.subject = subject
        self.policySpec = policySpec
        self.numEnvs = numEnvs
        self.numSteps = numSteps
        self.maxPolicyLag = maxPolicyLag
        self.groupSize = groupSize
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
    }
}

/// Learner -> actor: a frame of yours was refused (`fleet.v1.Refusal`). Told for the first refusal
/// of each reason and again at the 10th, 100th, ... .
public struct Refusal: Sendable, Hashable {
    /// The rejection label, e.g. `stale`.
    public var reason: String
    /// What was wrong.
    public var detail: String
    /// The refused frame's envelope sequence (0 when it did not decode).
    public var sequence: UInt64
    /// Refusals of this reason so far from this sender.
    public var count: UInt64

    /// Creates a refusal notice.
    public init(reason: String, detail: String, sequence: UInt64, count: UInt64) {
        self.reason = reason
        self.detail = detail
        self.sequence = sequence
        self.count = count
    }
}

/// Actor -> learner, periodically (`fleet.v1.Heartbeat`).
public struct Heartbeat: Sendable, Hashable {
    /// The weights version the actor holds.
    public var weightsVersion: UInt64
    /// Batches sent in this incarnation.
    public var batchesSent: UInt64

    /// Creates a heartbeat; `batchesSent` counts from the start of the actor's incarnation.
    public init(weightsVersion: UInt64, batchesSent: UInt64) {
        self.weightsVersion = weightsVersion
        self.batchesSent = batchesSent
    }
}

/// Actor -> learner: send me the current weights (`fleet.v1.SnapshotRequest`).
public struct SnapshotRequest: Sendable, Hashable {
    /// The version the actor holds.
    public var haveVersion: UInt64

    /// Creates a request for the current weights; `haveVersion` is the version held, 0 for none.
    public init(haveVersion: UInt64) {
        self.haveVersion = haveVersion
    }
}

/// Learner -> actor on a prompt task: how many group batches the actor may have sent since the
/// learner's latest Welcome, each sampled with weights `minVersion` or newer (`fleet.v1.Credit`).
/// A later Credit replaces an earlier one.
public struct Credit: Sendable, Hashable {
    /// The running total of batches granted to the actor since the learner's latest Welcome.
    public var batchesTotal: UInt64
    /// The oldest weights version a batch sent on this credit may be sampled with.
    public var minVersion: UInt64

    /// Creates a grant of `batchesTotal` batches in all, sampled with `minVersion` or newer.
    public init(batchesTotal: UInt64, minVersion: UInt64) {
        self.batchesTotal = batchesTotal
        self.minVersion = minVersion
    }
}

/// Either side: stop (`fleet.v1.Shutdown`).
public struct Shutdown: Sendable, Hashable {
    /// Why, for the log.
    public var reason: String

    /// Creates a shutdown; `reason` is free text for the log.
    public init(reason: String) {
        self.reason = reason
    }
}

/// Anyone -> learner on the control channel: send me your counters (`fleet.v1.StatusRequest`,
/// what `fleet status` sends). It has no fields.
public struct StatusRequest: Sendable, Hashable {
    /// Creates the (empty) request.
    public init() {}
}

/// Learner -> the asker of a `StatusRequest` (`fleet.v1.Status`).
public struct Status: Sendable, Hashable {
    /// The learner's live counters as one JSON object, the document `fleet status` prints.
    /// Decoding refuses bytes that are not valid UTF-8; the JSON itself is not parsed here.
    public var json: String

    /// Creates a status reply; `json` is sent as is, without being parsed.
    public init(json: String) {
        self.json = json
    }
}
