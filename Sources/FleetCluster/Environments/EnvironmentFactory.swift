import FleetConfig
import FleetEnvironments
import Foundation

/// An environment id Fleet does not know.
public struct UnknownEnvironmentError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The id asked for.
    public let id: String

    /// The id and the ids Fleet knows.
    public var description: String {
        "unknown environment '\(id)'; built in: " + EnvironmentFactory.knownIDs.joined(separator: ", ")
            + "; any other Gymnasium environment as gymnasium:<id>, your own as module:callable"
    }
}

/// Makes the vector of environments a run's `env_id` names.
public enum EnvironmentFactory {
    /// Every id `make` accepts.
    public static let knownIDs = [CartPole.id, Acrobot.id, MountainCar.id, Pendulum.id, GridWorld.id]

    /// `count` copies of `config`'s environment, copy `i` reset with seed `seed + i`: a built-in one,
    /// or one served by Python workers (``RemoteTrainingEnvironment``) for `gymnasium:<id>` and
    /// `module:callable`.
    public static func make(for config: RunConfig, count: Int, seed: UInt64) throws -> any TrainingEnvironment {
        guard RemoteTrainingEnvironment.isServed(config.envID) else {
            return try make(id: config.envID, count: count, seed: seed)
        }
        return try RemoteTrainingEnvironment(
            envID: config.envID, kwargs: config.envKwargs, count: count, workers: config.envWorkers, seed: seed,
            python: config.servingPython)
    }

    /// `count` copies of the built-in environment `id`, copy `i` reset with seed `seed + i`.
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

extension EnvironmentFactory {
    /// The Python that serves environments: `configured` (`env_python`) unless empty, else
    /// `$FLEET_PYTHON`, else `python3`.
    public static func servingPython(configured: String = "") -> String {
        if !configured.isEmpty { return configured }
        if let python = ProcessInfo.processInfo.environment["FLEET_PYTHON"], !python.isEmpty { return python }
        return "python3"
    }
}

extension RunConfig {
    /// The Python that serves this config's environments (``EnvironmentFactory/servingPython(configured:)``).
    public var servingPython: String { EnvironmentFactory.servingPython(configured: envPython) }
}
