/// What one step of an environment reports besides the observation.
public struct StepOutcome: Sendable, Equatable {
    /// The reward for the step (Gymnasium's Python float).
    public var reward: Double
    /// The episode reached a terminal state: nothing follows, do not bootstrap.
    public var terminated: Bool
    /// The episode was cut by the time limit: the final observation may be bootstrapped from.
    /// Both flags can be set when the last allowed step is also terminal.
    public var truncated: Bool

    /// An outcome with the given reward and end flags.
    public init(reward: Double, terminated: Bool, truncated: Bool) {
        self.reward = reward
        self.terminated = terminated
        self.truncated = truncated
    }

    /// Whether the episode ended (terminated or truncated).
    public var ended: Bool { terminated || truncated }
}

/// One step's full result, with the observation as an array (convenient, allocates).
public struct StepResult: Sendable, Equatable {
    /// The observation after the step.
    public var observation: [Float]
    /// The reward for the step.
    public var reward: Double
    /// The episode reached a terminal state.
    public var terminated: Bool
    /// The episode was cut by the time limit.
    public var truncated: Bool
}

/// A Gymnasium-like environment: observations are `Float` vectors of a fixed length, the time
/// limit is part of the environment (reported as truncation), and each environment owns its
/// seeded generator.
///
/// The requirements write observations into a caller's buffer so a hot loop allocates nothing;
/// `reset(seed:)` and `step(_:)` in the extensions return arrays for everything else.
/// Actions come through `DiscreteEnvironment` or `ContinuousEnvironment`.
public protocol Environment: Sendable {
    /// Gymnasium's id, e.g. `"CartPole-v1"`.
    static var id: String { get }
    /// The space of observations.
    var observationSpace: BoxSpace { get }
    /// The space of actions.
    var actionSpace: ActionSpace { get }
    /// The mean return over 100 episodes at which the task counts as solved, if it has one.
    var rewardThreshold: Double? { get }
    /// The time limit: the step that reaches it is reported as truncated.
    var maxEpisodeSteps: Int { get }
    /// Steps taken since the last reset.
    var elapsedSteps: Int { get set }
    /// Starts an episode and writes its first observation into `observation`
    /// (`observationSpace.count` elements). A seed re-seeds the environment's generator;
    /// `nil` continues its stream.
    mutating func reset(seed: UInt64?, observation: UnsafeMutableBufferPointer<Float>)
}

/// An environment whose actions are the integers `0 ..< n`.
public protocol DiscreteEnvironment: Environment {
    /// Takes `action` (which must lie in the action space), writes the next observation into
    /// `observation` and reports the reward and whether the episode ended.
    mutating func step(_ action: Int, observation: UnsafeMutableBufferPointer<Float>) -> StepOutcome
}

/// An environment whose actions are real vectors.
public protocol ContinuousEnvironment: Environment {
    /// Takes `action` (`actionSpace.dimension` elements; out-of-range values are clipped as
    /// the environment documents), writes the next observation into `observation` and reports
    /// the reward and whether the episode ended.
    mutating func step(
        _ action: UnsafeBufferPointer<Float>, observation: UnsafeMutableBufferPointer<Float>
    ) -> StepOutcome
}

extension Environment {
    /// Scalars per observation.
    public var observationDimension: Int { observationSpace.count }

    /// Starts an episode and returns its first observation.
    public mutating func reset(seed: UInt64? = nil) -> [Float] {
        var observation = [Float](repeating: 0, count: observationDimension)
        observation.withUnsafeMutableBufferPointer { reset(seed: seed, observation: $0) }
        return observation
    }
}

extension DiscreteEnvironment {
    /// Takes `action` and returns the whole result.
    public mutating func step(_ action: Int) -> StepResult {
        var observation = [Float](repeating: 0, count: observationDimension)
        let outcome = observation.withUnsafeMutableBufferPointer { step(action, observation: $0) }
        return StepResult(
            observation: observation, reward: outcome.reward,
            terminated: outcome.terminated, truncated: outcome.truncated)
    }
}

extension ContinuousEnvironment {
    /// Takes `action` and returns the whole result.
    public mutating func step(_ action: [Float]) -> StepResult {
        var observation = [Float](repeating: 0, count: observationDimension)
        let outcome = action.withUnsafeBufferPointer { action in
            observation.withUnsafeMutableBufferPointer { step(action, observation: $0) }
        }
        return StepResult(
            observation: observation, reward: outcome.reward,
            terminated: outcome.terminated, truncated: outcome.truncated)
    }
}
