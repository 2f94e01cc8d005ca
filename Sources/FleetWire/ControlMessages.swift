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

/// Learner -> actor, the answer to `Hello` (`fleet.v1.Welcome`).
public struct Welcome: Sendable, Hashable {
    /// The learner's current weights version.
    public var weightsVersion: UInt64
    /// The learner's incarnation.
    public var learnerIncarnation: UInt64

    /// Creates a welcome from the learner's current version and incarnation.
    public init(weightsVersion: UInt64, learnerIncarnation: UInt64) {
        self.weightsVersion = weightsVersion
        self.learnerIncarnation = learnerIncarnation
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
