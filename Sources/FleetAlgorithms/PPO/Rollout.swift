/// The actions of a rollout: one index per step, or `dimension` floats per step.
public enum PolicyActions: Sendable, Equatable {
    /// `[T*N]` action indices.
    case discrete([Int])
    /// `[T*N*dimension]` samples of the Gaussian policy, unclipped (clipped only when sent to the env).
    case continuous([Float], dimension: Int)

    /// The number of steps the actions cover.
    public var stepCount: Int {
        switch self {
        case .discrete(let actions): actions.count
        case .continuous(let actions, let dimension): dimension > 0 ? actions.count / dimension : 0
        }
    }
}

/// One rollout: T steps of N environments, row-major `[t * N + n]` — a trajectory batch's content
/// as plain arrays.
public struct Rollout: Sendable {
    /// Who produced it (actor id), for per-stream reward scaling.
    public var streamID: String
    /// The policy version the actor acted with.
    public var policyVersion: UInt64
    /// T.
    public var numSteps: Int
    /// N.
    public var numEnvs: Int
    /// The length of one observation vector.
    public var observationSize: Int
    /// `[T*N*obs]`, raw (not normalized): the observation each step acted on.
    public var observations: [Float]
    /// Discrete `[T*N]` or continuous `[T*N*A]` (the unclipped samples).
    public var actions: PolicyActions
    /// `[T*N]`, raw.
    public var rewards: [Float]
    /// `[T*N]`.
    public var terminated: [Bool]
    /// `[T*N]`.
    public var truncated: [Bool]
    /// `[T*N]`: log-probabilities of `actions` under the acting policy.
    public var behaviourLogProbs: [Float]
    /// `[K]` flat indices `t*N+n` of the truncated steps.
    public var finalObservationSteps: [Int]
    /// `[K*obs]`: the final observation of each truncated step, in the order of `finalObservationSteps`.
    public var finalObservations: [Float]
    /// `[N*obs]`: the observation after step T-1.
    public var nextObservations: [Float]

    /// Creates a rollout from its arrays as given; their sizes are not checked here.
    public init(
        streamID: String, policyVersion: UInt64, numSteps: Int, numEnvs: Int, observationSize: Int,
        observations: [Float], actions: PolicyActions, rewards: [Float], terminated: [Bool],
        truncated: [Bool], behaviourLogProbs: [Float], finalObservationSteps: [Int],
        finalObservations: [Float], nextObservations: [Float]
    ) {
        self.streamID = streamID
        self.policyVersion = policyVersion
        self.numSteps = numSteps
        self.numEnvs = numEnvs
        self.observationSize = observationSize
        self.observations = observations
        self.actions = actions
        self.rewards = rewards
        self.terminated = terminated
        self.truncated = truncated
        self.behaviourLogProbs = behaviourLogProbs
        self.finalObservationSteps = finalObservationSteps
        self.finalObservations = finalObservations
        self.nextObservations = nextObservations
    }

    /// T * N.
    public var stepCount: Int { numSteps * numEnvs }
}
