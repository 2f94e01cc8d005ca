import FleetAlgorithms
import FleetConfig
import FleetEnvironments
import FleetTransport
import FleetWire
import Foundation

/// A vector of environments that Python worker processes step over the environment protocol
/// (`python -m fleet_env serve`, docs/protocol.md): `gymnasium:<id>` or a user's `module:callable`.
/// The policy stays in the actor; the workers only step environments, with Fleet's same-step
/// autoreset, so the buffers mean what ``VectorEnvironment``'s do.
///
/// The copies are split between `workers` processes in order (worker k steps a contiguous slice,
/// seeded from its first copy's seed); a step asks every worker at once, then reads each answer.
/// The workers are started here and stopped by ``close()`` (or when the actor process ends: they
/// watch their parent).
public final class RemoteTrainingEnvironment: TrainingEnvironment {
    /// The environment id, followed by its constructor arguments when there are any.
    public let id: String
    public let count: Int
    public let observationSize: Int
    public let observationSpace: BoxSpace
    public let actionSpace: ActionSpace
    public let rewardThreshold: Double?
    public private(set) var observations: [Float]
    public private(set) var finalObservations: [Float]
    public private(set) var rewards: [Float]
    public private(set) var terminated: [Bool]
    public private(set) var truncated: [Bool]
    public private(set) var finishedEpisodes: [FinishedEpisode] = []

    private let pool: EnvironmentWorkerPool
    private var workers: [EnvironmentWorker] { pool.workers }
    private var offsets: [Int] { pool.offsets }

    /// Whether `envID` names a served environment (`gymnasium:<id>` or `module:callable`).
    public static func isServed(_ envID: String) -> Bool { envID.contains(":") }

    /// Starts `workers` processes serving `count` copies of `envID`, checks that they agree on the
    /// spaces, and resets copy `i` with seed `seed + i`.
    public init(
        envID: String, kwargs: String, count: Int, workers workerCount: Int, seed: UInt64, python: String
    ) throws {
        precondition(count > 0, "a vector environment needs at least one copy")
        // Constructor arguments are part of what the environment is (and so of the spec hash), in
        // one canonical text: compact, keys sorted.
        let kwargs = Self.canonicalJSON(kwargs)
        id = kwargs == "{}" ? envID : "\(envID) \(kwargs)"
        self.count = count
        let pool = try EnvironmentWorkerPool(
            envID: envID, kwargs: kwargs, count: count, workers: workerCount, python: python)
        let spec = pool.specs[0]
        guard pool.specs.allSatisfy({ $0.observationSpace == spec.observationSpace && $0.actionSpace == spec.actionSpace }),
            let box = BoxSpace(spec.observationSpace), let actions = ActionSpace(spec.actionSpace)
        else {
            pool.close()
            throw RemoteEnvironmentError(description: "the workers of \(envID) disagree on its spaces")
        }
        self.pool = pool
        observationSpace = box
        observationSize = box.count
        actionSpace = actions
        rewardThreshold = spec.rewardThreshold
        observations = [Float](repeating: 0, count: count * box.count)
        finalObservations = observations
        rewards = [Float](repeating: 0, count: count)
        terminated = [Bool](repeating: false, count: count)
        truncated = terminated
        do {
            for (k, worker) in workers.enumerated() {
                try worker.send(.envReset(EnvReset(seed: seed &+ UInt64(offsets[k]))))
            }
            try receiveStates()
        } catch {
            close()
            throw error
        }
    }

    /// `json` compact with sorted keys (as it is when the config held a mapping); unchanged when it
    /// does not parse (the worker then says why).
    static func canonicalJSON(_ json: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(json.utf8)),
            let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        else { return json }
        return String(decoding: data, as: UTF8.self)
    }

    /// Steps every copy with its action: each worker its slice. A worker that fails stops them all.
    public func step(_ actions: PolicyActions) throws {
        do {
            for (k, worker) in workers.enumerated() {
                try worker.send(.envStep(EnvStep(actions: slice(actions, first: offsets[k], count: worker.count))))
            }
            try receiveStates()
        } catch {
            close()
            throw error
        }
    }

    /// Stops the workers.
    public func close() { pool.close() }

    /// The wire actions of copies `first ..< first + count`.
    private func slice(_ actions: PolicyActions, first: Int, count: Int) -> WireTensor {
        switch actions {
        case .discrete(let indices):
            return WireTensor(int64: indices[first..<(first + count)].map(Int64.init))
        case .continuous(let values, let dimension):
            guard case .box(let box) = actionSpace else { preconditionFailure("\(id) takes discrete actions") }
            return WireTensor(
                float32: Array(values[(first * dimension)..<((first + count) * dimension)]), shape: [count] + box.shape)
        }
    }

    /// Reads every worker's answer into the buffers.
    private func receiveStates() throws {
        finishedEpisodes.removeAll(keepingCapacity: true)
        let dimension = observationSize
        for (k, worker) in workers.enumerated() {
            guard case .envState(let state) = try worker.receive() else {
                throw RemoteEnvironmentError(description: "\(worker.name) (\(id)) did not answer with a state")
            }
            guard state.observations.shape.first == worker.count, state.observations.count == worker.count * dimension,
                let observed = state.observations.observationValues(of: observationSpace.elementType),
                let stepRewards = state.rewards.float64, let ended = state.finalObservationEnvs.int64,
                let finals = state.finalObservations.observationValues(of: observationSpace.elementType),
                let returns = state.episodeReturns.float64, let lengths = state.episodeLengths.int64,
                finals.count == ended.count * dimension, let stepTerminated = state.terminated.bool,
                let stepTruncated = state.truncated.bool
            else {
                throw RemoteEnvironmentError(
                    description: "\(worker.name) (\(id)) answered a state that does not fit its \(worker.count) copies "
                        + "of \(dimension) \(observationSpace.elementType) observations "
                        + "(observations \(state.observations.dtype) of shape \(state.observations.shape))")
            }
            let first = offsets[k]
            for i in 0..<worker.count {
                rewards[first + i] = Float(stepRewards[i])
                terminated[first + i] = stepTerminated[i]
                truncated[first + i] = stepTruncated[i]
            }
            let base = first * dimension
            for j in 0..<(worker.count * dimension) {
                observations[base + j] = observed[j]
                finalObservations[base + j] = observed[j]
            }
            for (j, copy) in ended.enumerated() {
                let global = first + Int(copy)
                for d in 0..<dimension { finalObservations[global * dimension + d] = finals[j * dimension + d] }
                finishedEpisodes.append(
                    FinishedEpisode(environment: global, episodeReturn: returns[j], length: Int(lengths[j])))
            }
        }
    }
}
