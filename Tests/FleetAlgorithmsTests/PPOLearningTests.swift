import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// PPO learns CartPole: a synchronous single-process loop (4 envs x 128 steps, CleanRL's settings).
final class PPOLearningTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    /// 40 iterations (20,480 steps). A random policy scores about 20; the mean return of the last
    /// 20 episodes must exceed 60. Observed (debug and release alike, the run is deterministic):
    /// see the threshold's comment below.
    func testReturnRisesOnCartPole() {
        let iterations = 40
        let seed: UInt64 = 1
        let learner = PPOLearner(
            agent: CartPoleCollector.agent(seed: seed), settings: PPOSettings(totalIterations: iterations), seed: seed)
        var collector = CartPoleCollector(numEnvs: 4, numSteps: 128, seed: seed)
        _ = collector.collect(with: learner.agent)  // warm the episode counter with the untrained policy
        let initial = meanOfLast(collector.episodeReturns, 20)
        for _ in 0..<iterations {
            let statistics = learner.update([collector.collect(with: learner.agent)])
            XCTAssertEqual(statistics.gradientNormNonFinite, 0)
        }
        let final = meanOfLast(collector.episodeReturns, 20)
        XCTAssertLessThan(initial, 40, "an untrained policy should fall early")
        XCTAssertGreaterThan(final, 60, "mean return of the last 20 episodes after 40 iterations")
    }
}
