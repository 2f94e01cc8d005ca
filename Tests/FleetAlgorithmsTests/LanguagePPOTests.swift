import FleetTensor
import Foundation
import XCTest

@testable import FleetAlgorithms

/// Language PPO's pieces against hand-computed vectors (REFERENCE.md's PPO-max example among them),
/// and the learner's mechanics: the zero value head, the critic's warm-up, resuming bit-exactly.
final class LanguagePPOTests: XCTestCase {
    private func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float = 1e-5, _ message: String = "",
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, message, file: file, line: line)
        for (a, e) in zip(actual, expected) { XCTAssertEqual(a, e, accuracy: accuracy, "\(message) \(actual)", file: file, line: line) }
    }

    // MARK: Reward normalization (PPO-max)

    func testRewardNormalizationMatchesTheReferenceVector() {
        let normalized = RewardNormalizer.normalize([2, -1, 0.5, 9], mean: 0.3, std: 1.2, clip: 5)
        assertClose(normalized, [1.416667, -1.083333, 0.166667, 5.0])
    }

    /// The running statistics take in each batch before normalizing it, and carry over to the next.
    func testTheRunningNormalizerMergesEachBatchFirst() {
        var normalizer = RewardNormalizer(clip: 5)
        let first = normalizer.normalize([2, -1, 0.5, 9])
        var expected = RunningMeanStd(size: 1)
        expected.update([2, -1, 0.5, 9], rows: 4)
        XCTAssertEqual(normalizer.statistics, expected)
        let std = (expected.variance[0] + 1e-8).squareRoot()
        XCTAssertEqual(first, RewardNormalizer.normalize([2, -1, 0.5, 9], mean: expected.mean[0], std: std, clip: 5))
        XCTAssertEqual(expected.mean[0], 2.625, accuracy: 1e-3)
        let second = normalizer.normalize([1, 1])
        expected.update([1, 1], rows: 2)
        XCTAssertEqual(normalizer.statistics, expected)
        XCTAssertLessThan(second[0], 0, "1 is below the running mean")
    }

    // MARK: Token rewards and the KL penalty

    func testK1AndK3PenaltiesPerToken() {
        let old: [Float] = [-1.0, -2.0], ref: [Float] = [-1.2, -0.5]
        assertClose(TokenRewards.klPenalty(old: old, ref: ref, kind: .kl), [0.2, -1.5])
        // REFERENCE.md's k3 vectors: k3(-1.0, -1.2) = 0.018731, k3(-2.0, -0.5) = 1.981689.
        assertClose(TokenRewards.klPenalty(old: old, ref: ref, kind: .lowVarKL), [0.018731, 1.981689])
        XCTAssertEqual(TokenRewards.klPenalty(old: [-30], ref: [-5], kind: .lowVarKL), [10], "k3 is clamped to 10")
    }

    func testTheScoreIsPaidAtTheLastTokenAndTheKLEverywhere() {
        assertClose(TokenRewards.rewards(score: 1, kl: [0.2, -1.5], klCoef: 0.1, length: 2), [-0.02, 1.15])
        XCTAssertEqual(TokenRewards.rewards(score: 0.5, kl: nil, klCoef: 0.1, length: 3), [0, 0, 0.5])
    }

    // MARK: GAE per token

    /// rewards [0, 0, 1], values [0.5, 0.2, 0.8], value 0 after the last token, by hand:
    /// gamma 1, lambda 0.95: delta = [-0.3, 0.6, 0.2], A = [0.4505, 0.79, 0.2], returns [0.9505, 0.99, 1.0];
    /// lambda 1: A = reward-to-go - V = [0.5, 0.8, 0.2]; gamma 0.9, lambda 0.95: A = [0.270805, 0.691, 0.2].
    func testTokenGAEOnAHandComputedVector() {
        let rewards: [Float] = [0, 0, 1], values: [Float] = [0.5, 0.2, 0.8]
        let pmax = TokenGAE.compute(rewards: rewards, values: values, gamma: 1, lambda: 0.95)
        assertClose(pmax.advantages, [0.4505, 0.79, 0.2])
        assertClose(pmax.returns, [0.9505, 0.99, 1.0])
        assertClose(TokenGAE.compute(rewards: rewards, values: values, gamma: 1, lambda: 1).advantages, [0.5, 0.8, 0.2])
        assertClose(TokenGAE.compute(rewards: rewards, values: values, gamma: 0.9, lambda: 0.95).advantages, [0.270805, 0.691, 0.2])
    }

    func testWhiteningUsesTheUnbiasedVariance() {
        // REFERENCE.md's advantage normalization of [1, 2, 3, 4].
        assertClose(TokenGAE.whiten([1, 2, 3, 4]), [-1.161895, -0.387298, 0.387298, 1.161895])
        XCTAssertEqual(TokenGAE.whiten([3]), [0])
    }

    // MARK: Value clipping

    /// REFERENCE.md's clipped value loss: V [1.5, 0, 2], V_old [1, 0.5, 2.1], R [2, 0, 1], clip 0.2 gives
    /// 0.2883333; the first two take the clipped error (2 of 3), and a value clipped there gets no gradient.
    func testValueClippingMatchesTheReferenceAndStopsTheGradient() {
        let values = Tensor([1.5, 0, 2], requiresGrad: true)
        let (loss, diagnostics) = ValueLoss.clipped(values: values, oldValues: [1, 0.5, 2.1], returns: [2, 0, 1], clipRange: 0.2)
        XCTAssertEqual(loss.item, 0.2883333, accuracy: 1e-6)
        XCTAssertEqual(diagnostics.vfClipfrac, 2.0 / 3.0, accuracy: 1e-9)
        XCTAssertEqual(diagnostics.vpredMean, 3.5 / 3, accuracy: 1e-6)
        loss.backward()
        let gradient = values.grad ?? []
        XCTAssertEqual(gradient.count, 3)
        XCTAssertEqual(Array(gradient.prefix(2)), [0, 0], "clipped past the range: no gradient")
        // Unclipped, the loss is 0.5 mean((V - R)^2) = 0.5 (0.25 + 0 + 1) / 3.
        let (unclipped, _) = ValueLoss.clipped(values: Tensor([1.5, 0, 2]), oldValues: [1.5, 0, 2], returns: [2, 0, 1], clipRange: 0.2)
        XCTAssertEqual(unclipped.item, 0.2083333, accuracy: 1e-6)
    }

    // MARK: The learner

    static let config = TransformerLM.Config(vocabulary: 6, contextLength: 8, width: 16, heads: 2, layers: 1)

    private func learner(warmup: Int = 0, klCoef: Double = 0.05, kind: LanguagePPOSettings.KLPenalty = .kl) -> LanguagePPOLearner {
        var generator = RandomGenerator(seed: 1)
        let policy = TransformerLM(Self.config, using: &generator)
        let settings = LanguagePPOSettings(
            policy: GRPOSettings(learningRate: 1e-2, beta: 0, aggregation: .tokenMean, ppoEpochs: 2, miniBatchSize: 3,
                                 maxResponseLength: 4),
            criticLearningRate: 1e-2, criticWarmup: warmup, klPenalty: kind, klCoef: klCoef)
        return LanguagePPOLearner(policy: policy, settings: settings, seed: 7)
    }

    private func groups(_ learner: LanguagePPOLearner, seed: UInt64 = 5) -> [ResponseGroup] {
        GRPOLearnerTests.groups(model: learner.policy, count: 3, groupSize: 2, seed: seed)
    }

    private func flat(_ parameters: [(name: String, tensor: Tensor)]) -> [Float] { parameters.flatMap(\.tensor.data) }

    func testTheCriticStartsAsThePolicyWithAZeroValueHead() {
        let learner = learner()
        let body = learner.critic.body.namedParameters(), policy = learner.policy.namedParameters()
        XCTAssertEqual(body.map(\.name), policy.map(\.name))
        XCTAssertEqual(flat(body), flat(policy))
        XCTAssertFalse(zip(body, policy).contains { $0.tensor === $1.tensor }, "the critic has its own storage")
        XCTAssertEqual(learner.critic.namedParameters().suffix(2).map(\.name), ["valueHead.weight", "valueHead.bias"])
        let batch = TeacherForcedBatch(prompts: [[1, 2], [3]], responses: [[4, 5, 1], [2]])
        XCTAssertEqual(withNoGrad { learner.critic.values(batch).data }, [0, 0, 0, 0])
    }

    /// During the warm-up only the critic trains; then the policy does too.
    func testCriticWarmupLeavesThePolicyUnchanged() {
        let learner = learner(warmup: 2)
        let policyBefore = flat(learner.policyParameters()), criticBefore = flat(learner.criticParameterList())
        for update in 1...2 {
            let statistics = learner.update(groups(learner, seed: UInt64(update)))
            XCTAssertFalse(statistics.policyTrained)
            XCTAssertEqual(statistics.policySteps, 0)
            XCTAssertGreaterThan(statistics.criticSteps, 0)
            XCTAssertEqual(statistics.pgLoss, 0)
        }
        XCTAssertEqual(flat(learner.policyParameters()), policyBefore, "the policy is unchanged during the warm-up")
        XCTAssertNotEqual(flat(learner.criticParameterList()), criticBefore, "the critic trained")
        let third = learner.update(groups(learner, seed: 3))
        XCTAssertTrue(third.policyTrained)
        XCTAssertEqual(third.policySteps, 4, "2 epochs of 2 mini-batches")
        XCTAssertNotEqual(flat(learner.policyParameters()), policyBefore)
    }

    /// Without a warm-up the first update trains both, and reports verl's metrics.
    func testAnUpdateTrainsBothAndReportsVerlsMetrics() {
        for kind in LanguagePPOSettings.KLPenalty.allCases {
            let learner = learner(kind: kind)
            let policyBefore = flat(learner.policyParameters())
            let statistics = learner.update(groups(learner))
            XCTAssertNotEqual(flat(learner.policyParameters()), policyBefore)
            XCTAssertEqual(statistics.valuesMean, 0, "the zero head's values")
            XCTAssertLessThan(abs(statistics.ppoKL), 1, "the ratio starts at 1 and moves with lr 1e-2")
            XCTAssertEqual(statistics.rewardKLPenalty, 0, accuracy: 1e-5, "old and ref are the same policy at the start")
            XCTAssertEqual(statistics.rewardKLPenaltyCoeff, 0.05)
            XCTAssertEqual(statistics.advantagesMean, 0, accuracy: 1e-5, "whitened")
            XCTAssertEqual(statistics.responses, 6)
            let tags = statistics.scalars.map(\.tag)
            for tag in ["critic/vf_loss", "critic/vf_clipfrac", "critic/vpred_mean", "critic/grad_norm", "critic/lr",
                        "critic/values/mean", "critic/returns/mean", "critic/advantages/mean", "critic/score/mean",
                        "critic/rewards/mean", "actor/pg_loss", "actor/pg_clipfrac", "actor/ppo_kl", "actor/entropy",
                        "actor/grad_norm", "actor/lr", "actor/reward_kl_penalty", "actor/reward_kl_penalty_coeff",
                        "response_length/mean"] {
                XCTAssertTrue(tags.contains(tag), tag)
            }
        }
    }

    /// A restored state continues exactly as the learner it was exported from.
    func testAnExportedStateResumesBitExactly() throws {
        let first = learner(warmup: 1)
        _ = first.update(groups(first, seed: 1))
        let saved = first.exportState()
        _ = first.update(groups(first, seed: 2))
        _ = first.update(groups(first, seed: 3))

        let second = learner(warmup: 1)
        try second.restoreState(saved)
        XCTAssertEqual(second.exportState(), saved)
        _ = second.update(groups(second, seed: 2))
        _ = second.update(groups(second, seed: 3))
        XCTAssertEqual(second.exportState(), first.exportState())
        XCTAssertNotEqual(second.exportState().rewardStatistics, saved.rewardStatistics)

        let noReference = learner(klCoef: 0)
        XCTAssertThrowsError(try noReference.restoreState(saved))
    }
}
