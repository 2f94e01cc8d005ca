import FleetEnvironments
import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// REINFORCE: the reward-to-go and the loss on hand-computed vectors, one update's effect, and
/// bit-exact resumption.
final class ReinforceTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    /// One environment, rewards all 1, the episode ends at step 2, V(observation after step 4) = 0.8.
    private func rewardToGo(terminatedAt2: Bool, finalValue: Float = 0, gamma: Float = 0.99, lastTerminated: Bool = false) -> [Float] {
        var finalValues = [Float](repeating: 0, count: 5)
        finalValues[2] = finalValue
        return RewardToGo.compute(
            rewards: [1, 1, 1, 1, 1], terminated: [false, false, terminatedAt2, false, lastTerminated],
            truncated: [false, false, !terminatedAt2, false, false], finalValues: finalValues, bootstrapValues: [0.8],
            gamma: gamma)
    }

    func testRewardToGoIsCutAtTerminationAndBootstrappedAtTheRolloutsEnd() {
        // G4 = 1 + 0.99 * 0.8 = 1.792; G3 = 1 + 0.99 * 1.792; G2 = 1; G1 = 1.99; G0 = 2.9701.
        let g = rewardToGo(terminatedAt2: true)
        for (value, expected) in zip(g, [2.9701, 1.99, 1.0, 2.77408, 1.792] as [Float]) { XCTAssertEqual(value, expected, accuracy: 1e-5) }
        let ended = rewardToGo(terminatedAt2: true, lastTerminated: true)
        for (value, expected) in zip(ended, [2.9701, 1.99, 1.0, 1.99, 1.0] as [Float]) { XCTAssertEqual(value, expected, accuracy: 1e-5) }
    }

    func testTruncationBootstrapsFromTheFinalObservationsValue() {
        // G2 = 1 + 0.99 * 0.9 = 1.891; G1 = 1 + 0.99 * 1.891 = 2.87209; G0 = 1 + 0.99 * 2.87209 = 3.8433691.
        let g = rewardToGo(terminatedAt2: false, finalValue: 0.9)
        for (value, expected) in zip(g, [3.8433691, 2.87209, 1.891, 2.77408, 1.792] as [Float]) { XCTAssertEqual(value, expected, accuracy: 1e-5) }
        let compat = RewardToGo.compute(
            rewards: [1, 1, 1], terminated: [false, false, false], truncated: [false, false, true],
            finalValues: [0, 0, 0.9], bootstrapValues: [0.8], gamma: 0.99, cleanrlCompat: true)
        for (value, expected) in zip(compat, [2.9701, 1.99, 1.0] as [Float]) { XCTAssertEqual(value, expected, accuracy: 1e-5) }
    }

    func testUndiscountedRewardToGoCountsTheRewardsLeft() {
        XCTAssertEqual(rewardToGo(terminatedAt2: true, gamma: 1, lastTerminated: true), [3, 2, 1, 2, 1])
    }

    func testTwoEnvironmentsAreSeparateColumns() {
        // T = 2, N = 2: env 0 terminates at t = 0; env 1 bootstraps from 10 after t = 1.
        let g = RewardToGo.compute(
            rewards: [1, 2, 3, 4], terminated: [true, false, false, false], truncated: [false, false, false, false],
            finalValues: [0, 0, 0, 0], bootstrapValues: [0, 10], gamma: 0.5)
        XCTAssertEqual(g, [1, 2 + 0.5 * (4 + 5), 3, 4 + 5])
    }

    func testPolicyLossIsMinusTheMeanOfLogProbTimesAdvantage() {
        // -mean([-0.5 * (2 - 0.5), -1.0 * (1 - 1.5)]) = -mean([-0.75, 0.5]) = 0.125
        let loss = ReinforceLoss.policyLoss(logProbs: Tensor([-0.5, -1.0], shape: [2]), advantages: Tensor([1.5, -0.5], shape: [2]))
        XCTAssertEqual(loss.item, 0.125, accuracy: 1e-7)
    }

    /// One update takes one optimizer step; the learned baseline moves the critic, none does not.
    func testOneStepPerBatchAndTheBaselineOption() {
        for baseline in ReinforceSettings.Baseline.allCases {
            let agent = CartPoleCollector.agent(seed: 3, hiddenSizes: [16])
            let learner = ReinforceLearner(
                agent: agent, settings: PPOSettings(), reinforce: ReinforceSettings(baseline: baseline), seed: 3)
            var collector = CartPoleCollector(numEnvs: 2, numSteps: 64, seed: 3)
            let critic = agent.critic.namedParameters().flatMap(\.tensor.data)
            let actor = agent.actor.namedParameters().flatMap(\.tensor.data)
            let statistics = learner.train(on: [collector.collect(with: agent)])
            XCTAssertEqual(statistics.nonFiniteSteps, 0)
            XCTAssertEqual(learner.optimizer.exportState().counters.last?.value, 1, "one Adam step on the actor")
            XCTAssertNotEqual(agent.actor.namedParameters().flatMap(\.tensor.data), actor)
            let criticMoved = agent.critic.namedParameters().flatMap(\.tensor.data) != critic
            XCTAssertEqual(criticMoved, baseline == .value, "\(baseline)")
            XCTAssertEqual(statistics.value(RolloutMetric.valueLoss)! > 0, baseline == .value)
        }
    }

    func testRestoredLearnerContinuesBitIdentically() throws {
        func makeLearner(seed: UInt64) -> ReinforceLearner {
            ReinforceLearner(agent: CartPoleCollector.agent(seed: seed, hiddenSizes: [16]), settings: PPOSettings(),
                             reinforce: ReinforceSettings(), seed: seed)
        }
        let original = makeLearner(seed: 1)
        var collector = CartPoleCollector(numEnvs: 2, numSteps: 32, seed: 1)
        for _ in 0..<2 { _ = original.train(on: [collector.collect(with: original.agent)]) }
        try assertRestoredLearnerContinuesBitIdentically(original, makeLearner(seed: 7), collector: &collector)
    }
}
