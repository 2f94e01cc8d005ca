import FleetEnvironments
import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// The continuous-control path (Gaussian policy, observation normalization, reward scaling) and
/// bootstrapping from final observations on truncation.
final class PPOContinuousTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    /// One Pendulum rollout of 256 steps (truncated at step 200), as an actor would build it.
    private func pendulumRollout(_ agent: PPOAgent, _ environments: inout VectorEnvironment<Pendulum>,
                                 _ generator: inout RandomGenerator) -> Rollout {
        let size = environments.observationDimension
        var observations: [Float] = [], actions: [Float] = [], rewards: [Float] = [], logProbs: [Float] = []
        var terminated: [Bool] = [], truncated: [Bool] = [], finalSteps: [Int] = [], finals: [Float] = []
        for t in 0..<256 {
            observations += environments.observations
            let (sampled, stepLogProbs) = agent.act(observations: environments.observations, count: 1, using: &generator)
            guard case .continuous(let a, _) = sampled else { fatalError("Pendulum acts continuously") }
            environments.step(a.map { min(max($0, -2), 2) })  // clipped only when sent to the env
            actions += a
            logProbs += stepLogProbs
            rewards += environments.rewards
            terminated += environments.terminated
            truncated += environments.truncated
            if environments.truncated[0] {
                finalSteps.append(t)
                finals += environments.finalObservations[0..<size]
            }
        }
        return Rollout(
            streamID: "p", policyVersion: 0, numSteps: 256, numEnvs: 1, observationSize: size,
            observations: observations, actions: .continuous(actions, dimension: 1), rewards: rewards,
            terminated: terminated, truncated: truncated, behaviourLogProbs: logProbs,
            finalObservationSteps: finalSteps, finalObservations: finals, nextObservations: environments.observations)
    }

    func testPendulumUpdateUsesNormalizersAndGaussianPolicy() {
        var generator = RandomGenerator(seed: 5)
        let agent = PPOAgent(observationSize: 3, actionSpace: .box(BoxSpace(low: [-2], high: [2], shape: [1])),
                             hiddenSizes: [64, 64], normalizeObservations: true, using: &generator)
        var settings = PPOSettings.continuousControl
        settings.numMinibatches = 4
        let learner = PPOLearner(agent: agent, settings: settings, seed: 5)
        var environments = VectorEnvironment(count: 1, seed: 5) { _ in Pendulum() }
        let rollout = pendulumRollout(agent, &environments, &generator)
        XCTAssertEqual(rollout.finalObservationSteps, [199])

        let statistics = learner.update([rollout])
        XCTAssertEqual(statistics.gradientNormNonFinite, 0)
        XCTAssertEqual(statistics.epochsRun, 10)
        XCTAssertEqual(agent.observationStatistics?.count ?? 0, 256.0001, accuracy: 1e-9)
        XCTAssertEqual(learner.rewardScaler.streams.keys.sorted(), ["p/0"])
        XCTAssertNotEqual(agent.logStd?.data, [0], "the log-std is trained")
        // The actor's copy of the policy normalizes with the learner's statistics.
        var other = RandomGenerator(seed: 6)
        let actor = PPOAgent(observationSize: 3, actionSpace: .box(BoxSpace(low: [-2], high: [2], shape: [1])),
                             hiddenSizes: [64, 64], normalizeObservations: true, using: &other)
        XCTAssertNoThrow(try actor.applyPolicyParameters(agent.policyParameters()))
        XCTAssertEqual(actor.observationStatistics?.mean.map { Float($0) }, agent.observationStatistics?.mean.map { Float($0) })
    }

    func testTruncationBootstrapsFromTheFinalObservation() {
        // T = 2, N = 1, observation size 4: step 0 is truncated with a distinct final observation.
        let rollout = Rollout(
            streamID: "a", policyVersion: 0, numSteps: 2, numEnvs: 1, observationSize: 4,
            observations: [0.1, 0.2, 0.3, 0.4, -0.5, 0.1, 0.0, 0.2], actions: .discrete([0, 1]), rewards: [1, 1],
            terminated: [false, false], truncated: [true, false], behaviourLogProbs: [-0.7, -0.7],
            finalObservationSteps: [0], finalObservations: [1.0, -1.0, 0.5, 2.0],
            nextObservations: [0.3, 0.3, -0.3, 0.0])
        func advantageAtStepZero(cleanrlCompat: Bool) -> (Float, Float, Float) {
            let agent = CartPoleCollector.agent(seed: 11)
            let learner = PPOLearner(agent: agent, settings: PPOSettings(cleanrlCompat: cleanrlCompat), seed: 11)
            let prepared = learner.prepare([rollout])
            let finalValue = withNoGrad { agent.value(Tensor([1.0, -1.0, 0.5, 2.0], shape: [1, 4])).item }
            return (prepared.advantages[0], prepared.values[0], finalValue)
        }
        let (bootstrapped, v0, finalValue) = advantageAtStepZero(cleanrlCompat: false)
        XCTAssertNotEqual(finalValue, 0)
        XCTAssertEqual(bootstrapped, 1 + 0.99 * finalValue - v0, accuracy: 1e-6)
        let (compat, _, _) = advantageAtStepZero(cleanrlCompat: true)
        XCTAssertEqual(compat, 1 - v0, accuracy: 1e-6)
    }
}
