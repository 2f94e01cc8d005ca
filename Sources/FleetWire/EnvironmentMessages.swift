/// A space of observations or actions on the wire (`fleet.v1.Space`): `Discrete(n)`, or a box
/// with bounds (infinite bounds allowed for float32). A box's `dtype` is its elements' on the wire:
/// `float32`, or `uint8` for pixels, whose bounds then travel as uint8 tensors too.
public enum WireSpace: Sendable, Hashable {
    /// The integers `0 ..< n`.
    case discrete(UInt64)
    /// Values of `shape`, element-wise within `low` and `high` (row-major, one bound per element),
    /// carried as `dtype` (`float32` or `uint8`).
    case box(shape: [Int], low: [Float], high: [Float], dtype: DType = .float32)

    /// Scalars per value: 1 for a discrete space.
    public var dimension: Int {
        switch self {
        case .discrete: 1
        case .box(let shape, _, _, _): shape.reduce(1, *)
        }
    }
}

/// Actor -> environment worker: describe your environments (`fleet.v1.EnvSpecRequest`).
public struct EnvSpecRequest: Sendable, Hashable {
    /// Creates the (empty) request.
    public init() {}
}

/// Environment worker -> actor: what it steps (`fleet.v1.EnvSpec`).
public struct EnvSpec: Sendable, Hashable {
    /// The environment's id as the worker knows it.
    public var envID: String
    /// Copies the worker steps together (N).
    public var numEnvs: UInt32
    /// The observations' box.
    public var observationSpace: WireSpace
    /// The actions' space.
    public var actionSpace: WireSpace
    /// The mean return over 100 episodes that counts as solved, if any.
    public var rewardThreshold: Double?
    /// The time limit in steps, 0 if none.
    public var maxEpisodeSteps: UInt32

    /// Creates a spec; nothing is checked until the frame is validated.
    public init(
        envID: String, numEnvs: UInt32, observationSpace: WireSpace, actionSpace: WireSpace,
        rewardThreshold: Double?, maxEpisodeSteps: UInt32
    ) {
        self.envID = envID
        self.numEnvs = numEnvs
        self.observationSpace = observationSpace
        self.actionSpace = actionSpace
        self.rewardThreshold = rewardThreshold
        self.maxEpisodeSteps = maxEpisodeSteps
    }
}

/// Actor -> environment worker: reset every copy, copy `i` with `seed + i`, or continuing its
/// stream when `seed` is nil (`fleet.v1.EnvReset`).
public struct EnvReset: Sendable, Hashable {
    /// The first copy's seed.
    public var seed: UInt64?

    /// Creates a reset.
    public init(seed: UInt64?) { self.seed = seed }
}

/// Actor -> environment worker: step every copy (`fleet.v1.EnvStep`).
public struct EnvStep: Sendable, Hashable {
    /// `[N]` int64 for a discrete space, `[N, act...]` float32 for a box.
    public var actions: WireTensor

    /// Creates a step.
    public init(actions: WireTensor) { self.actions = actions }
}

/// Environment worker -> actor: the copies after a reset or a step, with same-step autoreset
/// (`fleet.v1.EnvState`). A copy whose episode ended has been reset already: `observations`
/// holds the new episode's first observation, `finalObservations` the one the ending step made.
public struct EnvState: Sendable, Hashable {
    /// `[N, obs...]` float32, or uint8 for a box of pixels: what each copy acts on next.
    public var observations: WireTensor
    /// `[N]` float64.
    public var rewards: WireTensor
    /// `[N]` bool.
    public var terminated: WireTensor
    /// `[N]` bool.
    public var truncated: WireTensor
    /// `[K]` int64, increasing: the copies whose episode ended, exactly those.
    public var finalObservationEnvs: WireTensor
    /// `[K, obs...]`, of the observations' dtype.
    public var finalObservations: WireTensor
    /// `[K]` float64: the ended episodes' returns, in the order of `finalObservationEnvs`.
    public var episodeReturns: WireTensor
    /// `[K]` int64, each >= 1.
    public var episodeLengths: WireTensor

    /// Creates a state; nothing is checked until the frame is validated.
    public init(
        observations: WireTensor, rewards: WireTensor, terminated: WireTensor, truncated: WireTensor,
        finalObservationEnvs: WireTensor, finalObservations: WireTensor, episodeReturns: WireTensor,
        episodeLengths: WireTensor
    ) {
        self.observations = observations
        self.rewards = rewards
        self.terminated = terminated
        self.truncated = truncated
        self.finalObservationEnvs = finalObservationEnvs
        self.finalObservations = finalObservations
        self.episodeReturns = episodeReturns
        self.episodeLengths = episodeLengths
    }

    /// The copies (N).
    public var count: Int { rewards.count }
}
