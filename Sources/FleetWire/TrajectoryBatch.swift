/// T steps of N environments, stepped with one policy version (`fleet.v1.TrajectoryBatch`).
///
/// Arrays are laid out [T, N, ...]. Validation requires: `observations` float32 (or uint8)
/// [T, N, obs...]; `actions` int64 [T, N] (indices >= 0) or float32 [T, N, act]; `rewards`,
/// `behaviourLogProbs` float32 [T, N]; `terminated`, `truncated` bool [T, N];
/// `finalObservationSteps` int64 [K], strictly increasing flat indices t * N + n in [0, T * N),
/// exactly the truncated steps; `finalObservations` [K, obs...] and `nextObservations`
/// [N, obs...] of the observations' dtype; `episodeReturns` float32 [E] and `episodeLengths`
/// int64 [E] with lengths >= 1. Every float is finite.
///
/// On decode, the four optional tensors (`final_observation_steps`, `final_observations`,
/// `episode_returns`, `episode_lengths`) may be absent: they then read as empty tensors of the
/// right dtype ([0] or [0, obs...]). The other tensors are required (`missing_field`).
public struct TrajectoryBatch: Sendable, Hashable {
    /// The weights version the actor acted with.
    public var policyVersion: UInt64
    /// T.
    public var numSteps: UInt32
    /// N.
    public var numEnvs: UInt32
    /// [T, N, obs...]: the observation each action was chosen on.
    public var observations: WireTensor
    /// [T, N] int64 (discrete) or [T, N, act] float32 (continuous).
    public var actions: WireTensor
    /// [T, N] float32.
    public var rewards: WireTensor
    /// [T, N] bool: the episode ended in a terminal state.
    public var terminated: WireTensor
    /// [T, N] bool: the episode was cut by a time limit.
    public var truncated: WireTensor
    /// [T, N] float32: log pi_behaviour(action | observation).
    public var behaviourLogProbs: WireTensor
    /// [K] int64: flat indices t * N + n of the truncated steps.
    public var finalObservationSteps: WireTensor
    /// [K, obs...]: the true last observation of each truncated step.
    public var finalObservations: WireTensor
    /// [N, obs...]: the observation after step T-1.
    public var nextObservations: WireTensor
    /// [E] float32: returns of the episodes that finished in this batch.
    public var episodeReturns: WireTensor
    /// [E] int64: their lengths.
    public var episodeLengths: WireTensor

    /// Creates a batch from its tensors as given; the layout above is checked by `validate()`, not here.
    /// The optional tensors default to empty ones; a `nil` `finalObservations` becomes
    /// ``emptyFinalObservations(like:)`` of `observations`.
    public init(
        policyVersion: UInt64, numSteps: UInt32, numEnvs: UInt32,
        observations: WireTensor, actions: WireTensor, rewards: WireTensor,
        terminated: WireTensor, truncated: WireTensor, behaviourLogProbs: WireTensor,
        finalObservationSteps: WireTensor = .empty(.int64),
        finalObservations: WireTensor? = nil,
        nextObservations: WireTensor,
        episodeReturns: WireTensor = .empty(.float32),
        episodeLengths: WireTensor = .empty(.int64)
    ) {
        self.policyVersion = policyVersion
        self.numSteps = numSteps
        self.numEnvs = numEnvs
        self.observations = observations
        self.actions = actions
        self.rewards = rewards
        self.terminated = terminated
        self.truncated = truncated
        self.behaviourLogProbs = behaviourLogProbs
        self.finalObservationSteps = finalObservationSteps
        self.finalObservations =
            finalObservations
            ?? TrajectoryBatch.emptyFinalObservations(like: observations)
        self.nextObservations = nextObservations
        self.episodeReturns = episodeReturns
        self.episodeLengths = episodeLengths
    }

    /// An empty [0, obs...] tensor of the observations' dtype: what an absent
    /// `final_observations` reads as.
    public static func emptyFinalObservations(like observations: WireTensor) -> WireTensor {
        .empty(observations.dtype, trailing: Array(observations.shape.dropFirst(2)))
    }
}
