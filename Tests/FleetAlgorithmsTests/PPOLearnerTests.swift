import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// The learner's schedule, early stop, NaN safety, determinism and batch assembly.
final class PPOLearnerTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    private func smallSetup(_ settings: PPOSettings, seed: UInt64 = 1) -> (PPOLearner, CartPoleCollector) {
        let learner = PPOLearner(agent: CartPoleCollector.agent(seed: seed), settings: settings, seed: seed)
        return (learner, CartPoleCollector(numEnvs: 2, numSteps: 16, seed: seed))
    }

    func testLearningRateAnnealsPerIteration() {
        var (learner, collector) = smallSetup(PPOSettings(learningRate: 1e-3, totalIterations: 4, updateEpochs: 1))
        var rates: [Double] = []
        for _ in 0..<4 { rates.append(learner.update([collector.collect(with: learner.agent)]).learningRate) }
        XCTAssertEqual(rates, [1e-3, 0.75e-3, 0.5e-3, 0.25e-3])
        XCTAssertEqual(learner.iteration, 4)
        XCTAssertEqual(learner.optimizer.learningRate, 0.25e-3)

        (learner, collector) = smallSetup(PPOSettings(learningRate: 1e-3, annealLearningRate: false, totalIterations: 4, updateEpochs: 1))
        for _ in 0..<2 { XCTAssertEqual(learner.update([collector.collect(with: learner.agent)]).learningRate, 1e-3) }
    }

    func testTwoLearnerThreadsGiveTheSameWeightsAndStatistics() {
        var runs: [([Float], [Double])] = []
        for threads in [1, 2] {
            let learner = PPOLearner(agent: CartPoleCollector.agent(seed: 3), settings: PPOSettings(), seed: 3, threads: threads)
            var collector = CartPoleCollector(numEnvs: 4, numSteps: 32, seed: 3)
            var figures: [Double] = []
            for _ in 0..<3 {
                let s = learner.update([collector.collect(with: learner.agent)])
                figures += [s.policyLoss, s.valueLoss, s.entropy, s.approxKL, s.clipFraction]
            }
            runs.append((flatParameters(learner.agent), figures))
        }
        XCTAssertEqual(runs[0].0.map(\.bitPattern), runs[1].0.map(\.bitPattern))
        XCTAssertEqual(runs[0].1, runs[1].1)
    }

    func testTargetKLStopsAfterTheEpochThatExceedsIt() {
        var (learner, collector) = smallSetup(PPOSettings(learningRate: 1e-2, updateEpochs: 4, targetKL: 0))
        let stopped = learner.update([collector.collect(with: learner.agent)])
        XCTAssertGreaterThan(stopped.approxKL, 0)
        XCTAssertEqual(stopped.epochsRun, 1)

        (learner, collector) = smallSetup(PPOSettings(learningRate: 1e-2, updateEpochs: 4, targetKL: 1e9))
        XCTAssertEqual(learner.update([collector.collect(with: learner.agent)]).epochsRun, 4)
        (learner, collector) = smallSetup(PPOSettings(learningRate: 1e-2, updateEpochs: 4, targetKL: nil))
        XCTAssertEqual(learner.update([collector.collect(with: learner.agent)]).epochsRun, 4)
    }

    func testNaNRewardsSkipEveryStepAndLeaveWeightsAlone() {
        let (learner, collector) = smallSetup(PPOSettings(numMinibatches: 4, updateEpochs: 2))
        var c = collector
        var rollout = c.collect(with: learner.agent)
        rollout.rewards = [Float](repeating: .nan, count: rollout.rewards.count)
        let before = flatParameters(learner.agent)
        let statistics = learner.update([rollout])
        XCTAssertEqual(statistics.gradientNormNonFinite, 8)
        XCTAssertTrue(flatParameters(learner.agent) == before, "a skipped step must not touch the weights")

        // One NaN reward poisons only the samples GAE carries it back to (here only step 0 of env 0):
        // the one minibatch per epoch holding it is skipped, the others train, the weights stay finite.
        var partly = c.collect(with: learner.agent)
        partly.rewards[0] = .nan
        let mixed = learner.update([partly])
        XCTAssertEqual(mixed.gradientNormNonFinite, 2)
        XCTAssertTrue(flatParameters(learner.agent).allSatisfy(\.isFinite))
        XCTAssertTrue(flatParameters(learner.agent) != before)
    }

    func testSameSeedGivesBitIdenticalParameters() {
        func train(seed: UInt64) -> [Float] {
            var (learner, collector) = smallSetup(PPOSettings(), seed: seed)
            for _ in 0..<2 { _ = learner.update([collector.collect(with: learner.agent)]) }
            return flatParameters(learner.agent)
        }
        let first = train(seed: 7)
        XCTAssertTrue(first == train(seed: 7), "same seed, different parameters")
        XCTAssertTrue(first != train(seed: 8))
    }

    func testBatchConcatenatesAlongTheEnvironmentAxis() {
        // Two rollouts of T = 2: one with 1 env, one with 2 (observation size 1).
        let a = Rollout(
            streamID: "a", policyVersion: 0, numSteps: 2, numEnvs: 1, observationSize: 1,
            observations: [10, 11], actions: .discrete([0, 1]), rewards: [1, 2], terminated: [false, false],
            truncated: [true, false], behaviourLogProbs: [-1, -2], finalObservationSteps: [0],
            finalObservations: [99], nextObservations: [12])
        let b = Rollout(
            streamID: "b", policyVersion: 0, numSteps: 2, numEnvs: 2, observationSize: 1,
            observations: [20, 30, 21, 31], actions: .discrete([1, 1, 0, 0]), rewards: [3, 4, 5, 6],
            terminated: [false, false, false, true], truncated: [false, false, false, false],
            behaviourLogProbs: [-3, -4, -5, -6], finalObservationSteps: [], finalObservations: [],
            nextObservations: [22, 32])
        let batch = RolloutBatch([a, b], rewards: [a.rewards, b.rewards])
        XCTAssertEqual(batch.numEnvs, 3)
        XCTAssertEqual(batch.observations, [10, 20, 30, 11, 21, 31])
        XCTAssertEqual(batch.actions, .discrete([0, 1, 1, 1, 0, 0]))
        XCTAssertEqual(batch.rewards, [1, 3, 4, 2, 5, 6])
        XCTAssertEqual(batch.terminated, [false, false, false, false, false, true])
        XCTAssertEqual(batch.truncated, [true, false, false, false, false, false])
        XCTAssertEqual(batch.logProbs, [-1, -3, -4, -2, -5, -6])
        XCTAssertEqual(batch.finalSteps, [0])
        XCTAssertEqual(batch.finalObservations, [99])
        XCTAssertEqual(batch.nextObservations, [12, 22, 32])

        // A single rollout is taken as it is.
        let single = RolloutBatch([b], rewards: [[7, 8, 9, 10]])
        XCTAssertEqual(single.numEnvs, 2)
        XCTAssertEqual(single.observations, b.observations)
        XCTAssertEqual(single.actions, .discrete([1, 1, 0, 0]))
        XCTAssertEqual(single.rewards, [7, 8, 9, 10])
        XCTAssertEqual(single.terminated, b.terminated)
        XCTAssertEqual(single.logProbs, b.behaviourLogProbs)
        XCTAssertEqual(single.nextObservations, [22, 32])
    }
}
