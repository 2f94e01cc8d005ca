import XCTest
import FleetEnvironments
import FleetTensor

@testable import FleetAlgorithms

/// A synchronous single-process actor for tests: steps a `VectorEnvironment<CartPole>` with the
/// agent's policy and packs each T-step stretch into a ``Rollout``.
struct CartPoleCollector {
    var environments: VectorEnvironment<CartPole>
    var generator: RandomGenerator
    let numSteps: Int
    /// Returns of every finished episode, in order.
    var episodeReturns: [Double] = []
    var policyVersion: UInt64 = 0

    init(numEnvs: Int, numSteps: Int, seed: UInt64) {
        environments = VectorEnvironment(count: numEnvs, seed: seed) { _ in CartPole() }
        generator = RandomGenerator(seed: seed &+ 1000)
        self.numSteps = numSteps
    }

    static func agent(seed: UInt64, hiddenSizes: [Int] = [64, 64]) -> PPOAgent {
        var generator = RandomGenerator(seed: seed)
        return PPOAgent(observationSize: 4, actionSpace: .discrete(DiscreteSpace(2)), hiddenSizes: hiddenSizes,
                        normalizeObservations: false, using: &generator)
    }

    /// One rollout of `numSteps` steps of every environment.
    mutating func collect(with agent: PPOAgent) -> Rollout {
        let n = environments.count, size = environments.observationDimension
        var observations: [Float] = [], actions: [Int] = [], rewards: [Float] = [], logProbs: [Float] = []
        var terminated: [Bool] = [], truncated: [Bool] = [], finalSteps: [Int] = [], finalObservations: [Float] = []
        observations.reserveCapacity(numSteps * n * size)
        for t in 0..<numSteps {
            observations += environments.observations
            let (stepActions, stepLogProbs) = agent.act(observations: environments.observations, count: n, using: &generator)
            guard case .discrete(let chosen) = stepActions else { fatalError("CartPole acts discretely") }
            environments.step(chosen)
            actions += chosen
            logProbs += stepLogProbs
            rewards += environments.rewards
            terminated += environments.terminated
            truncated += environments.truncated
            for e in 0..<n where environments.truncated[e] {
                finalSteps.append(t * n + e)
                finalObservations += environments.finalObservations[(e * size)..<((e + 1) * size)]
            }
            episodeReturns += environments.finishedEpisodes.map(\.episodeReturn)
        }
        defer { policyVersion += 1 }
        return Rollout(
            streamID: "test-actor", policyVersion: policyVersion, numSteps: numSteps, numEnvs: n, observationSize: size,
            observations: observations, actions: .discrete(actions), rewards: rewards, terminated: terminated,
            truncated: truncated, behaviourLogProbs: logProbs, finalObservationSteps: finalSteps,
            finalObservations: finalObservations, nextObservations: environments.observations)
    }
}

/// Every trainable parameter's elements, concatenated (for bit comparisons).
func flatParameters(_ agent: PPOAgent) -> [Float] {
    agent.trainableParameters.flatMap(\.tensor.data)
}

/// The mean of the last `count` values (or all, when fewer).
func meanOfLast(_ values: [Double], _ count: Int) -> Double {
    let tail = values.suffix(count)
    return tail.isEmpty ? 0 : tail.reduce(0, +) / Double(tail.count)
}

/// Restores `original`'s state into `restored` (a learner of another seed), then trains both on
/// the same next rollout: their states and weights must agree bit for bit before and after.
func assertRestoredLearnerContinuesBitIdentically(
    _ original: any RolloutLearner, _ restored: any RolloutLearner, collector: inout CartPoleCollector,
    file: StaticString = #filePath, line: UInt = #line
) throws {
    try restored.restoreState(original.exportState())
    XCTAssertTrue(restored.exportState() == original.exportState(), file: file, line: line)
    let next = collector.collect(with: original.agent)
    _ = original.train(on: [next])
    _ = restored.train(on: [next])
    XCTAssertTrue(flatParameters(restored.agent) == flatParameters(original.agent), file: file, line: line)
    XCTAssertTrue(restored.exportState() == original.exportState(), file: file, line: line)
}
