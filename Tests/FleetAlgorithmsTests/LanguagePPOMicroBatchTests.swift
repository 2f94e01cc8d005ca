import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// Language PPO with ``GRPOSettings/microBatchSize``: the critic's and the policy's mini-batch
/// gradients accumulated over micro-batches are the one-pass gradients, and the sampling-time
/// values and reference log-probs taken in micro-batches are the one-pass ones, so the parameters
/// after an update agree to float rounding, for every loss aggregation.
final class LanguagePPOMicroBatchTests: XCTestCase {
    /// One update of 12 ragged responses (3 groups x 4) in one mini-batch, two epochs (so the
    /// critic's body trains too: its head is zero at the first step), with the KL in the reward and
    /// in the loss, in 1, 2, 5 and 12 micro-batches: the policy's and the critic's parameters are
    /// those of one pass to ~1e-6. (Value-loss or policy weights normalized per micro-batch instead
    /// of over the mini-batch miss by 1e-3 and more.)
    func testMicroBatchesGiveTheOnePassParameters() {
        for aggregation in LossAggregation.allCases {
            func run(microBatchSize: Int?) -> (policy: [Float], critic: [Float], statistics: LanguagePPOStatistics) {
                let policy = GRPOSettings(
                    learningRate: 1e-3, beta: 0.1, aggregation: aggregation, ppoEpochs: 2, miniBatchSize: 12,
                    microBatchSize: microBatchSize, maxResponseLength: 4)
                let settings = LanguagePPOSettings(policy: policy, criticLearningRate: 1e-3, klCoef: 0.05)
                let learner = LanguagePPOLearner(policy: GRPOLearnerTests.model(), settings: settings, seed: 3)
                let statistics = learner.update(GRPOLearnerTests.groups(model: GRPOLearnerTests.model()))
                XCTAssertEqual(statistics.criticSteps, 2)
                XCTAssertEqual(statistics.policySteps, 2)
                return (learner.policyParameters().flatMap(\.tensor.data), learner.criticParameterList().flatMap(\.tensor.data),
                        statistics)
            }
            func maxDifference(_ a: [Float], _ b: [Float]) -> Float { zip(a, b).map { abs($0 - $1) }.max()! }

            let onePass = run(microBatchSize: nil)
            let initial = GRPOLearnerTests.model().namedParameters().flatMap(\.tensor.data)
            XCTAssertGreaterThan(maxDifference(onePass.policy, initial), 1e-4, "the policy moved")
            XCTAssertGreaterThan(maxDifference(Array(onePass.critic.prefix(initial.count)), initial), 1e-4, "the critic's body moved")
            for size in [1, 2, 5, 12] {
                let micro = run(microBatchSize: size)
                let label = "\(aggregation.rawValue), micro-batches of \(size)"
                XCTAssertLessThan(maxDifference(onePass.policy, micro.policy), 1e-6, "policy, \(label)")
                XCTAssertLessThan(maxDifference(onePass.critic, micro.critic), 1e-6, "critic, \(label)")
                let one = onePass.statistics, other = micro.statistics
                XCTAssertEqual(other.vfLoss, one.vfLoss, accuracy: 1e-6, label)
                XCTAssertEqual(other.vfClipfrac, one.vfClipfrac, accuracy: 1e-9, label)
                XCTAssertEqual(other.vpredMean, one.vpredMean, accuracy: 1e-6, label)
                XCTAssertEqual(other.pgLoss, one.pgLoss, accuracy: 1e-6, label)
                XCTAssertEqual(other.ppoKL, one.ppoKL, accuracy: 1e-6, label)
                XCTAssertEqual(other.entropy, one.entropy, accuracy: 1e-6, label)
                XCTAssertEqual(other.rewardKLPenalty, one.rewardKLPenalty, accuracy: 1e-6, label)
                XCTAssertEqual(other.criticGradNorm, one.criticGradNorm, accuracy: 1e-5, label)
                XCTAssertEqual(other.actorGradNorm, one.actorGradNorm, accuracy: 1e-5, label)
            }
        }
    }

    /// A micro-batch's value loss normalized by the mini-batch's token count is its share: the
    /// shares add up to the one-pass loss and their diagnostics combine to the one-pass ones.
    func testValueLossSharesAddUpToTheOnePassLoss() {
        let values: [Float] = [1.5, 0, 2, -0.5, 0.25], old: [Float] = [1, 0.5, 2.1, -0.4, 0], returns: [Float] = [2, 0, 1, 0, 0.5]
        let (whole, wholeDiagnostics) = ValueLoss.clipped(values: Tensor(values), oldValues: old, returns: returns, clipRange: 0.2)
        var parts: [ValueLossDiagnostics] = []
        for range in [0..<2, 2..<5] {
            parts.append(ValueLoss.clipped(
                values: Tensor(Array(values[range])), oldValues: Array(old[range]), returns: Array(returns[range]),
                clipRange: 0.2, normalizingCount: values.count).diagnostics)
        }
        let combined = ValueLossDiagnostics.combining(parts)
        XCTAssertEqual(combined.vfLoss, Double(whole.item), accuracy: 1e-7)
        XCTAssertEqual(combined.vfClipfrac, wholeDiagnostics.vfClipfrac, accuracy: 1e-12)
        XCTAssertEqual(combined.vpredMean, wholeDiagnostics.vpredMean, accuracy: 1e-7)
        XCTAssertEqual(combined.tokenCount, 5)
    }
}
