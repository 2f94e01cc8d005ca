import FleetEnvironments
import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// A learner restored from an exported state continues bit-identically.
final class PPOLearnerStateTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    func testRestoredLearnerContinuesBitIdentically() throws {
        var settings = PPOSettings(normalizeObservations: true, normalizeRewards: true)
        settings.numMinibatches = 2
        func makeLearner(seed: UInt64) -> PPOLearner {
            var generator = RandomGenerator(seed: seed)
            let agent = PPOAgent(observationSize: 4, actionSpace: .discrete(DiscreteSpace(2)), hiddenSizes: [16],
                                 normalizeObservations: true, using: &generator)
            return PPOLearner(agent: agent, settings: settings, seed: seed)
        }
        let original = makeLearner(seed: 1)
        var collector = CartPoleCollector(numEnvs: 2, numSteps: 32, seed: 1)
        for _ in 0..<2 { _ = original.update([collector.collect(with: original.agent)]) }

        let restored = makeLearner(seed: 99)
        try restored.restoreState(original.exportState())
        XCTAssertTrue(restored.exportState() == original.exportState())

        let next = collector.collect(with: original.agent)
        _ = original.update([next])
        _ = restored.update([next])
        XCTAssertTrue(flatParameters(restored.agent) == flatParameters(original.agent))
        XCTAssertTrue(restored.exportState() == original.exportState())
    }

    func testMismatchedStateChangesNothing() {
        var g = RandomGenerator(seed: 1)
        let small = PPOLearner(
            agent: PPOAgent(observationSize: 4, actionSpace: .discrete(DiscreteSpace(2)), hiddenSizes: [8],
                            normalizeObservations: false, using: &g), settings: PPOSettings(), seed: 1)
        let other = PPOLearner(agent: CartPoleCollector.agent(seed: 2), settings: PPOSettings(), seed: 2)
        let before = small.exportState()
        XCTAssertThrowsError(try small.restoreState(other.exportState()))
        XCTAssertTrue(small.exportState() == before)
    }
}
