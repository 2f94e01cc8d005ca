import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// PPO's loss pieces against the reference vectors.
final class PPOLossTests: XCTestCase {
    func testClippedSurrogatePerSample() {
        let ratio = Tensor([0.5, 0.9, 1.0, 1.1, 1.5])
        let positive = ClippedSurrogate(ratio: ratio, advantages: Tensor([Float](repeating: 1, count: 5)), low: 0.2, high: 0.2).loss
        let negative = ClippedSurrogate(ratio: ratio, advantages: Tensor([Float](repeating: -1, count: 5)), low: 0.2, high: 0.2).loss
        for (a, e) in zip(positive.data, [-0.5, -0.9, -1.0, -1.1, -1.2] as [Float]) { XCTAssertEqual(a, e, accuracy: 1e-6) }
        for (a, e) in zip(negative.data, [0.8, 0.9, 1.0, 1.1, 1.5] as [Float]) { XCTAssertEqual(a, e, accuracy: 1e-6) }
        let mean = PPOLoss.policyLoss(ratio: ratio, advantages: Tensor([Float](repeating: 1, count: 5)), clipCoef: 0.2)
        XCTAssertEqual(mean.item, -0.94, accuracy: 1e-6)
    }

    func testClippedRatioGetsNoGradient() {
        // A = +1 at r = 1.5: the clipped branch wins, so the sample does not move the policy.
        let ratio = Tensor([1.5, 1.0], requiresGrad: true)
        PPOLoss.policyLoss(ratio: ratio, advantages: Tensor([1, 1]), clipCoef: 0.2).backward()
        XCTAssertEqual(ratio.grad ?? [], [0, -0.5])
    }

    func testAdvantageNormalization() {
        let normalized = PPOLoss.normalizeAdvantages([1, 2, 3, 4])
        for (a, e) in zip(normalized, [-1.161895, -0.387298, 0.387298, 1.161895] as [Float]) {
            XCTAssertEqual(a, e, accuracy: 1e-5)
        }
    }

    func testRatioDiagnostics() {
        let d = PPOLoss.ratioDiagnostics(logRatios: [0.1, -0.2, 0.3, 0.0], clipCoef: 0.2)
        XCTAssertEqual(d.approxKL, 0.01844012, accuracy: 1e-7)
        XCTAssertEqual(d.oldApproxKL, -0.05, accuracy: 1e-7)
        // r = 1.105, 0.819, 1.350, 1: only 1.350 is outside [0.8, 1.2].
        XCTAssertEqual(d.clipFraction, 0.25)
    }

    func testClippedValueLoss() {
        let loss = PPOLoss.valueLoss(
            values: Tensor([1.5, 0, 2]), oldValues: Tensor([1, 0.5, 2.1]), returns: Tensor([2, 0, 1]), clipCoef: 0.2)
        XCTAssertEqual(loss.item, 0.2883333, accuracy: 1e-6)
        let unclipped = PPOLoss.valueLoss(
            values: Tensor([1.5, 0, 2]), oldValues: Tensor([1, 0.5, 2.1]), returns: Tensor([2, 0, 1]), clipCoef: nil)
        XCTAssertEqual(unclipped.item, 0.5 * (0.25 + 0 + 1) / 3, accuracy: 1e-6)
    }

    func testExplainedVariance() {
        XCTAssertEqual(PPOLoss.explainedVariance(predicted: [1, 2, 3, 4], targets: [1, 2, 3, 4]), 1)
        XCTAssertEqual(PPOLoss.explainedVariance(predicted: [0, 0, 0, 0], targets: [1, 2, 3, 4]), 0)
        // Var(R) = 1.25, Var(R - V) = Var([1, 0, 1, 0]) = 0.25.
        XCTAssertEqual(PPOLoss.explainedVariance(predicted: [0, 2, 2, 4], targets: [1, 2, 3, 4]), 0.8, accuracy: 1e-12)
        XCTAssertTrue(PPOLoss.explainedVariance(predicted: [1, 2], targets: [3, 3]).isNaN)
    }
}
