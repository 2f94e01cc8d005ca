import FleetAlgorithms
import FleetEnvironments

/// A vector of environments as the actor loop drives it, whatever the environment type:
/// sizes, the action kind, and one step of every copy with the policy's actions. The buffers
/// are those of `VectorEnvironment` (same-step auto-reset).
public protocol TrainingEnvironment {
    /// Gymnasium's id.
    var id: String { get }
    /// Copies stepped together (N).
    var count: Int { get }
    /// Scalars per observation.
    var observationSize: Int { get }
    /// The observations' box.
    var observationSpace: BoxSpace { get }
    /// What the policy must output.
    var actionSpace: ActionSpace { get }
    /// The mean return over 100 episodes that counts as solved, if any.
    var rewardThreshold: Double? { get }
    /// The observation each copy acts on next, `[count * observationSize]`.
    var observations: [Float] { get }
    /// The observation each copy's last step produced, before any auto-reset.
    var finalObservations: [Float] { get }
    /// The last step's rewards, terminated and truncated flags, one per copy.
    var rewards: [Float] { get }
    var terminated: [Bool] { get }
    var truncated: [Bool] { get }
    /// The episodes the last step finished.
    var finishedEpisodes: [FinishedEpisode] { get }
    /// Steps every copy with its action; the actions must match `actionSpace`. Throws when the
    /// environments cannot go on (a served environment's worker failed).
    mutating func step(_ actions: PolicyActions) throws
    /// The buffers above read together, in one call: what an actor loop reads after every step.
    var buffers: TrainingEnvironmentBuffers { get }
}

/// A ``TrainingEnvironment``'s buffers after a step, read together (they share the environment's
/// storage until it steps again).
public struct TrainingEnvironmentBuffers {
    /// The observation each copy acts on next, `[count * observationSize]`.
    public var observations: [Float]
    /// The observation each copy's last step produced, before any auto-reset.
    public var finalObservations: [Float]
    /// The last step's rewards, terminated and truncated flags, one per copy.
    public var rewards: [Float], terminated: [Bool], truncated: [Bool]
    /// The episodes the last step finished.
    public var finishedEpisodes: [FinishedEpisode]
}

extension TrainingEnvironment {
    /// The buffers, each through its own property.
    public var buffers: TrainingEnvironmentBuffers {
        TrainingEnvironmentBuffers(
            observations: observations, finalObservations: finalObservations, rewards: rewards,
            terminated: terminated, truncated: truncated, finishedEpisodes: finishedEpisodes)
    }
}

/// The buffers, read through the wrapped vector environment.
package protocol _VectorBacked: TrainingEnvironment {
    associatedtype Env: Environment
    var vector: VectorEnvironment<Env> { get }
}

extension _VectorBacked {
    /// The wrapped environment type's Gymnasium id.
    public var id: String { Env.id }
    /// The number of copies in the wrapped vector.
    public var count: Int { vector.count }
    /// The wrapped environment's observation length.
    public var observationSize: Int { vector.observationDimension }
    /// The wrapped environment's observation box.
    public var observationSpace: BoxSpace { vector.environments[0].observationSpace }
    /// The first copy's threshold (every copy is of the same type).
    public var rewardThreshold: Double? { vector.environments[0].rewardThreshold }
    /// The wrapped vector's observation buffer, `[count * observationSize]`.
    public var observations: [Float] { vector.observations }
    /// The wrapped vector's final observations, before auto-reset.
    public var finalObservations: [Float] { vector.finalObservations }
    /// The wrapped vector's last rewards.
    public var rewards: [Float] { vector.rewards }
    /// The wrapped vector's last terminated flags.
    public var terminated: [Bool] { vector.terminated }
    /// The wrapped vector's last truncated flags.
    public var truncated: [Bool] { vector.truncated }
    /// The episodes the wrapped vector's last step finished.
    public var finishedEpisodes: [FinishedEpisode] { vector.finishedEpisodes }
    /// The wrapped vector's buffers, read through one copy of the vector (each property above makes
    /// its own, which costs more than the step of a small environment).
    public var buffers: TrainingEnvironmentBuffers {
        let vector = vector
        return TrainingEnvironmentBuffers(
            observations: vector.observations, finalObservations: vector.finalObservations, rewards: vector.rewards,
            terminated: vector.terminated, truncated: vector.truncated, finishedEpisodes: vector.finishedEpisodes)
    }
}

/// Environments with actions `0 ..< n`.
public struct DiscreteTrainingEnvironment<Env: DiscreteEnvironment>: _VectorBacked {
    package var vector: VectorEnvironment<Env>

    /// Wraps `vector` as it is (``VectorEnvironment`` resets its copies when made).
    public init(_ vector: VectorEnvironment<Env>) { self.vector = vector }

    /// The environment's discrete action space.
    public var actionSpace: ActionSpace {
        guard case .discrete = vector.environments[0].actionSpace else {
            preconditionFailure("\(Env.id) is discrete but its action space is not")
        }
        return vector.environments[0].actionSpace
    }

    /// Steps every copy with its action index; traps on continuous actions.
    public mutating func step(_ actions: PolicyActions) {
        guard case .discrete(let indices) = actions else {
            preconditionFailure("\(Env.id) takes discrete actions")
        }
        vector.step(indices)
    }
}

/// Environments with real-vector actions (the environment clips them as it documents).
public struct ContinuousTrainingEnvironment<Env: ContinuousEnvironment>: _VectorBacked {
    package var vector: VectorEnvironment<Env>

    /// Wraps `vector` as it is (``VectorEnvironment`` resets its copies when made).
    public init(_ vector: VectorEnvironment<Env>) { self.vector = vector }

    /// The environment's action box.
    public var actionSpace: ActionSpace {
        guard case .box = vector.environments[0].actionSpace else {
            preconditionFailure("\(Env.id) is continuous but its action space is not a box")
        }
        return vector.environments[0].actionSpace
    }

    /// Steps every copy with its action vector (clipped by the environment); traps on discrete actions.
    public mutating func step(_ actions: PolicyActions) {
        guard case .continuous(let values, _) = actions else {
            preconditionFailure("\(Env.id) takes continuous actions")
        }
        vector.step(values)
    }
}
