import FleetConfig
import FleetEnvironments
import Foundation
import Synchronization

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

/// Makes the vector of environments a run's `env_id` names: a built-in one, one registered by the
/// executable (``register(_:make:)``), or one served from Python.
public enum EnvironmentFactory {
    /// The built-in ids.
    public static let builtInIDs = [CartPole.id, Acrobot.id, MountainCar.id, Pendulum.id, GridWorld.id, Catch.id]

    /// Every id `make(id:count:seed:)` accepts: the built-in ones, then those registered.
    public static var knownIDs: [String] { builtInIDs + registered.withLock { $0.keys.sorted() } }

    /// Vectors of the environments registered by the executable, by id.
    private static let registered = Mutex<[String: @Sendable (Int, UInt64) -> any TrainingEnvironment]>([:])

    /// Makes `Env.id` known to every command of this executable: `make` builds each copy with
    /// `make` (copy `i` reset with seed `seed + i`), and the config takes the continuous family's
    /// defaults when its actions are a box. Register before ``FleetCommandLine``'s `main()`.
    public static func register<Env: DiscreteEnvironment>(_ type: Env.Type, make: @escaping @Sendable () -> Env) {
        register(Env.id, continuous: false) { count, seed in
            DiscreteTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in make() })
        }
    }

    /// ``register(_:make:)`` for an environment with real-vector actions.
    public static func register<Env: ContinuousEnvironment>(_ type: Env.Type, make: @escaping @Sendable () -> Env) {
        register(Env.id, continuous: true) { count, seed in
            ContinuousTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in make() })
        }
    }

    private static func register(
        _ id: String, continuous: Bool, make: @escaping @Sendable (Int, UInt64) -> any TrainingEnvironment
    ) {
        precondition(!builtInIDs.contains(id), "\(id) is built in")
        registered.withLock { $0[id] = make }
        if continuous { EnvironmentFamily.registerContinuous(id) }
    }

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

    /// `count` copies of the built-in or registered environment `id`, copy `i` reset with seed `seed + i`.
    public static func make(id: String, count: Int, seed: UInt64) throws(UnknownEnvironmentError)
        -> any TrainingEnvironment
    {
        if let builtIn = makeBuiltIn(id: id, count: count, seed: seed) { return builtIn }
        guard let make = registered.withLock({ $0[id] }) else { throw UnknownEnvironmentError(id: id) }
        return make(count, seed)
    }

    private static func makeBuiltIn(id: String, count: Int, seed: UInt64) -> (any TrainingEnvironment)? {
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
        case Catch.id:
            DiscreteTrainingEnvironment(VectorEnvironment(count: count, seed: seed) { _ in Catch() })
        default:
            nil
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
