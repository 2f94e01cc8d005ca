/// A finished episode, reported by the step that ended it.
public struct FinishedEpisode: Sendable, Equatable {
    /// Which copy of the environment it ran in.
    public var environment: Int
    /// The sum of its rewards.
    public var episodeReturn: Double
    /// Its number of steps.
    public var length: Int

    /// An episode of copy `environment` that returned `episodeReturn` in `length` steps.
    public init(environment: Int, episodeReturn: Double, length: Int) {
        self.environment = environment
        self.episodeReturn = episodeReturn
        self.length = length
    }
}

/// `count` copies of an environment stepped together, with same-step auto-reset (Gymnasium's
/// `SAME_STEP` mode, as Stable-Baselines3 and CleanRL's loops use): when a copy's episode ends,
/// `observations` already holds the next episode's first observation, and `finalObservations`
/// holds the observation the ending step produced (to bootstrap truncated episodes from).
///
/// Buffers are contiguous, row-major `[copy * observationDimension + i]`, and reused: a step
/// allocates nothing (except when episodes finish and `finishedEpisodes` grows its capacity).
public struct VectorEnvironment<Env: Environment>: Sendable {
    /// The copies, in order.
    public private(set) var environments: [Env]
    /// Scalars per observation.
    public let observationDimension: Int
    /// Scalars per action (1 for discrete actions).
    public let actionDimension: Int
    /// The observation each copy will act on next (`count * observationDimension`).
    public private(set) var observations: [Float]
    /// The observation each copy's last step produced, before any auto-reset. Equal to the slot
    /// of `observations` unless that copy's episode ended on the last step.
    public private(set) var finalObservations: [Float]
    /// The last step's rewards.
    public private(set) var rewards: [Float]
    /// The last step's terminated flags.
    public private(set) var terminated: [Bool]
    /// The last step's truncated flags.
    public private(set) var truncated: [Bool]
    /// The episodes the last step finished.
    public private(set) var finishedEpisodes: [FinishedEpisode] = []
    /// The return so far of each copy's running episode.
    public private(set) var runningReturns: [Double]
    /// The length so far of each copy's running episode.
    public private(set) var runningLengths: [Int]

    /// The number of copies.
    public var count: Int { environments.count }

    /// `count` environments made by `make(index)`, reset with seeds `seed, seed + 1, ...`.
    public init(count: Int, seed: UInt64, make: (Int) -> Env) {
        precondition(count > 0, "a vector environment needs at least one copy")
        environments = (0..<count).map(make)
        observationDimension = environments[0].observationSpace.count
        actionDimension = environments[0].actionSpace.dimension
        observations = [Float](repeating: 0, count: count * observationDimension)
        finalObservations = observations
        rewards = [Float](repeating: 0, count: count)
        terminated = [Bool](repeating: false, count: count)
        truncated = terminated
        runningReturns = [Double](repeating: 0, count: count)
        runningLengths = [Int](repeating: 0, count: count)
        reset(seed: seed)
    }

    /// Resets every copy: copy `i` with seed `seed + i`, or continuing its stream when `seed` is nil.
    public mutating func reset(seed: UInt64?) {
        let dimension = observationDimension
        observations.withUnsafeMutableBufferPointer { buffer in
            for index in environments.indices {
                let slot = UnsafeMutableBufferPointer(rebasing: buffer[index * dimension ..< (index + 1) * dimension])
                environments[index].reset(seed: seed.map { $0 &+ UInt64(index) }, observation: slot)
            }
        }
        finalObservations = observations
        for index in 0..<count {
            rewards[index] = 0
            terminated[index] = false
            truncated[index] = false
            runningReturns[index] = 0
            runningLengths[index] = 0
        }
        finishedEpisodes.removeAll(keepingCapacity: true)
    }

    /// Steps every copy with `step(index, slot)`, then records the outcome and auto-resets.
    private mutating func stepAll(
        _ step: (inout Env, Int, UnsafeMutableBufferPointer<Float>) -> StepOutcome
    ) {
        finishedEpisodes.removeAll(keepingCapacity: true)
        let dimension = observationDimension
        for index in environments.indices {
            let range = index * dimension ..< (index + 1) * dimension
            let outcome = finalObservations.withUnsafeMutableBufferPointer { buffer in
                step(&environments[index], index, UnsafeMutableBufferPointer(rebasing: buffer[range]))
            }
            rewards[index] = Float(outcome.reward)
            terminated[index] = outcome.terminated
            truncated[index] = outcome.truncated
            runningReturns[index] += outcome.reward
            runningLengths[index] += 1
            if outcome.ended {
                finishedEpisodes.append(
                    FinishedEpisode(
                        environment: index, episodeReturn: runningReturns[index], length: runningLengths[index]))
                runningReturns[index] = 0
                runningLengths[index] = 0
                observations.withUnsafeMutableBufferPointer { buffer in
                    environments[index].reset(seed: nil, observation: UnsafeMutableBufferPointer(rebasing: buffer[range]))
                }
            } else {
                for offset in range { observations[offset] = finalObservations[offset] }
            }
        }
    }
}

extension VectorEnvironment where Env: DiscreteEnvironment {
    /// Steps copy `i` with `actions[i]`.
    public mutating func step(_ actions: [Int]) {
        precondition(actions.count == count, "\(actions.count) actions for \(count) environments")
        stepAll { environment, index, observation in environment.step(actions[index], observation: observation) }
    }
}

extension VectorEnvironment where Env: ContinuousEnvironment {
    /// Steps copy `i` with `actions[i * actionDimension ..< (i + 1) * actionDimension]`.
    public mutating func step(_ actions: [Float]) {
        let dimension = actionDimension
        precondition(actions.count == count * dimension, "\(actions.count) action values for \(count) environments")
        actions.withUnsafeBufferPointer { actions in
            stepAll { environment, index, observation in
                environment.step(
                    UnsafeBufferPointer(rebasing: actions[index * dimension ..< (index + 1) * dimension]),
                    observation: observation)
            }
        }
    }
}
