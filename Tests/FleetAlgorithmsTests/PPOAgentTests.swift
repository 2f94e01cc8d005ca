import FleetTensor
import FleetEnvironments
import XCTest

@testable import FleetAlgorithms

/// The agent's architecture, parameter exchange, and the normalizers.
final class PPOAgentTests: XCTestCase {
    func testCleanRLArchitecture() {
        var generator = RandomGenerator(seed: 3)
        let agent = PPOAgent(observationSize: 3, actionSpace: .box(BoxSpace(low: [-1, -1], high: [1, 1], shape: [2])),
                             hiddenSizes: [64, 64], normalizeObservations: true, using: &generator)
        XCTAssertEqual(agent.trainableParameters.map(\.name), [
            "critic.0.weight", "critic.0.bias", "critic.2.weight", "critic.2.bias", "critic.4.weight", "critic.4.bias",
            "actor.0.weight", "actor.0.bias", "actor.2.weight", "actor.2.bias", "actor.4.weight", "actor.4.bias",
            "actor_logstd",
        ])
        XCTAssertEqual(agent.logStd?.data, [0, 0])
        XCTAssertEqual(agent.policyParameters().map(\.name).suffix(4), ["actor_logstd", "obs_rms.mean", "obs_rms.var", "obs_rms.count"])
        // Policy head gain 0.01: rows of norm 0.01.
        let head = agent.actor.layers[2].weight.data
        let rowNorm = (0..<64).reduce(Float(0)) { $0 + head[$1] * head[$1] }.squareRoot()
        XCTAssertEqual(rowNorm, 0.01, accuracy: 1e-5)
        XCTAssertTrue(agent.policySpec.contains("normalizer=running-mean-std"))
    }

    func testAppliedPolicyParametersActIdentically() throws {
        var g1 = RandomGenerator(seed: 1), g2 = RandomGenerator(seed: 2)
        let kind = ActionSpace.box(BoxSpace(low: [-2], high: [2], shape: [1]))
        let learner = PPOAgent(observationSize: 3, actionSpace: kind, hiddenSizes: [8], normalizeObservations: true, using: &g1)
        let actor = PPOAgent(observationSize: 3, actionSpace: kind, hiddenSizes: [8], normalizeObservations: true, using: &g2)
        learner.updateObservationStatistics([1, 2, 3, 4, 5, 6, 7, 8, 100], rows: 3)
        learner.logStd!.data = [-0.5]
        XCTAssertEqual(learner.policySpec, actor.policySpec)
        try actor.applyPolicyParameters(learner.policyParameters())
        let observations: [Float] = [0.5, -1, 3, 2, 2, 2]
        var a = RandomGenerator(seed: 9), b = RandomGenerator(seed: 9)
        let fromLearner = learner.act(observations: observations, count: 2, using: &a)
        let fromActor = actor.act(observations: observations, count: 2, using: &b)
        XCTAssertEqual(fromLearner.actions, fromActor.actions)
        XCTAssertEqual(fromLearner.logProbs, fromActor.logProbs)

        // The wire bridge writes received values into the tensors of policyParameters() in place:
        // that carries the normalizer too.
        var g3 = RandomGenerator(seed: 3)
        let inPlace = PPOAgent(observationSize: 3, actionSpace: kind, hiddenSizes: [8], normalizeObservations: true, using: &g3)
        for (target, source) in zip(inPlace.policyParameters(), learner.policyParameters()) {
            target.tensor.data = source.tensor.data
        }
        var c = RandomGenerator(seed: 9)
        let fromInPlace = inPlace.act(observations: observations, count: 2, using: &c)
        XCTAssertEqual(fromInPlace.actions, fromLearner.actions)
        XCTAssertEqual(fromInPlace.logProbs, fromLearner.logProbs)

        var broken = learner.policyParameters()
        broken[0].tensor = Tensor.zeros([1, 1])
        XCTAssertThrowsError(try actor.applyPolicyParameters(broken))
        XCTAssertThrowsError(try actor.applyPolicyParameters(Array(learner.policyParameters().dropLast())))
    }

    func testNormalizedObservationsAreClippedAtTen() {
        var generator = RandomGenerator(seed: 1)
        let agent = PPOAgent(observationSize: 1, actionSpace: .discrete(DiscreteSpace(2)), hiddenSizes: [4],
                             normalizeObservations: true, using: &generator)
        agent.updateObservationStatistics([0, 2, 0, 2], rows: 4)  // mean ~1, var ~1
        var x: [Float] = [1, 1000, -1000]
        agent.normalize(&x)
        XCTAssertEqual(x[0], 0, accuracy: 1e-3)
        XCTAssertEqual(x[1], 10)
        XCTAssertEqual(x[2], -10)
    }

    func testRunningMeanStdMergesBatchesLikeOneBatch() {
        let values: [Float] = [1, 10, 2, 20, 3, 30, 4, 40, 5, 50]
        var whole = RunningMeanStd(size: 2), parts = RunningMeanStd(size: 2)
        whole.update(values, rows: 5)
        parts.update(Array(values[0..<4]), rows: 2)
        parts.update(Array(values[4...]), rows: 3)
        for j in 0..<2 {
            XCTAssertEqual(whole.mean[j], parts.mean[j], accuracy: 1e-9)
            XCTAssertEqual(whole.variance[j], parts.variance[j], accuracy: 1e-9)
        }
        // Count 1e-4 of (mean 0, var 1) as prior, as gymnasium: almost the sample statistics.
        XCTAssertEqual(whole.mean[0], 3, accuracy: 1e-3)
        XCTAssertEqual(whole.variance[0], 2, accuracy: 1e-3)
        XCTAssertEqual(whole.count, 5.0001, accuracy: 1e-12)
    }

    func testRewardScalerFollowsTheDiscountedReturnPerStream() {
        var scaler = RewardScaler(gamma: 0.5)
        let rollout = Rollout(
            streamID: "s", policyVersion: 0, numSteps: 3, numEnvs: 1, observationSize: 1, observations: [0, 0, 0],
            actions: .discrete([0, 0, 0]), rewards: [1, 1, 1], terminated: [false, true, false],
            truncated: [false, false, false], behaviourLogProbs: [0, 0, 0], finalObservationSteps: [],
            finalObservations: [], nextObservations: [0])
        var rewards = rollout.rewards
        scaler.scale(&rewards, of: rollout)
        // gymnasium's order: the termination flag of step t zeroes the return before r_t is added: 1, 1, 1.5.
        var reference = RunningMeanStd(size: 1)
        var expected: [Float] = []
        for g in [1.0, 1.0, 1.5] {
            reference.update(scalar: g)
            expected.append(Float(1 / (reference.variance[0] + 1e-8).squareRoot()))
        }
        for (a, e) in zip(rewards, expected) { XCTAssertEqual(a, min(e, 10), accuracy: 1e-5) }
        XCTAssertEqual(rewards[0], 10)  // the first return has variance ~0: clipped
        XCTAssertEqual(scaler.streams["s/0"]?.discountedReturn, 1.5)
    }
}
