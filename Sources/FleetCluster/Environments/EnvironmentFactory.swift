import FleetEnvironments

/// An environment id Fleet does not know.
public struct UnknownEnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The id asked for.
    public let id: String

    /// The id and the ids Fleet knows.
    public var description: String {
        "unknown environment '\(id)'; known: " + EnvironmentFactory.knownIDs.joined(separator: ", ")
    }
}

/// Makes the vector of environments a run's `env_id` names.
public enum EnvironmentFactory {
    /// Every id `make` accepts.
    public static let knownIDs = [CartPole.id, Acrobot.id, MountainCar.id, Pendulum.id, GridWorld.id]

    /// `count` copies of environment `id`, copy `i` reset with seed `seed + i`.
    public static func make(id: String, count: Int, seed: UInt64) throws(UnknownEnvironmentError)
        -> any TrainingEnvironment
    {
        switch id {
        case CartPole.id:
            DiscreteTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in CartPole() })
        case Acrobot.id:
            DiscreteTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in Acrobot() })
        case MountainCar.id:
            DiscreteTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in MountainCar() })
        case Pendulum.id:
            ContinuousTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in Pendulum() })
        case GridWorld.id:
            DiscreteTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in GridWorld() })
        default:
            throw UnknownEnvironmentError(id: id)
        }
    }
}
