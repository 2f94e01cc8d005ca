import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// ``GRPOSettings/microBatchSize``: a mini-batch's gradient accumulated over micro-batches is the
/// one-pass gradient, so the parameters after an update agree to float rounding, for every loss
/// aggregation, with the KL (the reference log-probs in micro-batches too) and the entropy bonus.
final class GRPOMicroBatchTests: XCTestCase {
    func testMicroBatchesRangesCoverTheMiniBatchInOrder() {
        XCTAssertEqual(GradientAccumulation.microBatches(count: 5, size: nil), [0..<5])
        XCTAssertEqual(GradientAccumulation.microBatches(count: 5, size: 5), [0..<5])
        XCTAssertEqual(GradientAccumulation.microBatches(count: 5, size: 9), [0..<5])
        XCTAssertEqual(GradientAccumulation.microBatches(count: 5, size: 2), [0..<2, 2..<4, 4..<5])
        XCTAssertEqual(GradientAccumulation.microBatches(count: 0, size: 2), [])
    }

    func testAccumulationAddsTheGradientsOfTheParts() {
        let w = Tensor([1, 2, 3], requiresGrad: true)
        let x: [Float] = [4, 5, 6]
        // d/dw of Σ_i w_i x_i², in parts of one and two items.
        let finite = GradientAccumulation.accumulate(count: 3, microBatchSize: 2) { range in
            let indices = Array(range)
            return (w.gather(axis: 0, indices: indices) * Tensor(indices.map { x[$0] * x[$0] })).sum()
        }
        XCTAssertTrue(finite)
        XCTAssertEqual(w.grad, [16, 25, 36])
    }

    func testANonFiniteLossStopsTheAccumulation() {
        let w = Tensor([1, 2], requiresGrad: true)
        var calls = 0
        let finite = GradientAccumulation.accumulate(count: 2, microBatchSize: 1) { range in
            calls += 1
            return (w.gather(axis: 0, indices: Array(range)) * Float.infinity).sum()
        }
        XCTAssertFalse(finite)
        XCTAssertEqual(calls, 1, "the second micro-batch is not run")
    }

    /// One update of one mini-batch of 12 ragged responses (3 groups x 4) in 1, 2, 5 and 12
    /// micro-batches gives the parameters of one pass to ~1e-6, for every aggregation. (Weights
    /// normalized per micro-batch instead of over the mini-batch miss by 2e-3 and more.)
    func testMicroBatchesGiveTheOnePassParameters() {
        for aggregation in LossAggregation.allCases {
            func run(microBatchSize: Int?) -> (parameters: [Float], statistics: GRPOStatistics) {
                let lm = GRPOLearnerTests.model()
                var settings = GRPOSettings.grpo(learningRate: 1e-3, maxResponseLength: 4)
                settings.aggregation = aggregation
                settings.beta = 0.1
                settings.entropyCoefficient = 0.01
                settings.miniBatchSize = 12
                settings.microBatchSize = microBatchSize
                let learner = GRPOLearner(policy: lm, settings: settings, seed: 3)
                let statistics = learner.update(GRPOLearnerTests.groups(model: GRPOLearnerTests.model()))
                XCTAssertEqual(statistics.optimizerSteps, 1)
                return (lm.namedParameters().flatMap(\.tensor.data), statistics)
            }
            let onePass = run(microBatchSize: nil)
            let initial = GRPOLearnerTests.model().namedParameters().flatMap(\.tensor.data)
            XCTAssertGreaterThan(zip(onePass.parameters, initial).map { abs($0 - $1) }.max()!, 1e-4, "the update moved nothing")
            for size in [1, 2, 5, 12] {
                let micro = run(microBatchSize: size)
                let difference = zip(onePass.parameters, micro.parameters).map { abs($0 - $1) }.max()!
                XCTAssertLessThan(difference, 1e-6, "\(aggregation.rawValue), micro-batches of \(size)")
                XCTAssertEqual(micro.statistics.pgLoss, onePass.statistics.pgLoss, accuracy: 1e-6)
                XCTAssertEqual(micro.statistics.klLoss, onePass.statistics.klLoss, accuracy: 1e-6)
                XCTAssertEqual(micro.statistics.ppoKL, onePass.statistics.ppoKL, accuracy: 1e-6)
                XCTAssertEqual(micro.statistics.pgClipfrac, onePass.statistics.pgClipfrac, accuracy: 1e-9)
                XCTAssertEqual(micro.statistics.entropy, onePass.statistics.entropy, accuracy: 1e-6)
                XCTAssertEqual(micro.statistics.gradNorm, onePass.statistics.gradNorm, accuracy: 1e-5)
            }
        }
    }
}
