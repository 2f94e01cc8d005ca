import Foundation
import XCTest

@testable import FleetTensor

/// Categorical and diagonal Gaussian: reference values, gradients, masking and sampling.
final class DistributionTests: XCTestCase {
    let checker = GradientCheck()

    /// Asserts that `count` draws out of `n` fit probability `p` within 4 binomial standard deviations.
    func assertFrequency(_ count: Int, of n: Int, probability p: Double, _ message: String,
                         file: StaticString = #filePath, line: UInt = #line) {
        let expected = Double(n) * p
        let sigma = (Double(n) * p * (1 - p)).squareRoot()
        XCTAssertLessThanOrEqual(Swift.abs(Double(count) - expected), 4 * Swift.max(sigma, 0.5),
                                 "\(message): \(count) of \(n), expected \(expected)", file: file, line: line)
    }

    // MARK: Categorical

    func testCategoricalReferenceEntropyAndLogProb() {
        let p: [Float] = [0.7, 0.2, 0.1]
        let c = Categorical(logits: Tensor(p.map { Foundation.log($0) }, shape: [1, 3]))
        XCTAssertEqual(c.entropy().shape, [1])
        XCTAssertEqual(c.entropy().item, 0.8018186, accuracy: 1e-5)
        XCTAssertEqual(c.logProb([1]).item, Foundation.log(0.2), accuracy: 1e-6)
        for (a, b) in zip(c.probabilities, p) { XCTAssertEqual(a, b, accuracy: 1e-6) }
        XCTAssertEqual(c.mode(), [0])
        // Logits are shift-invariant per row.
        let shifted = Categorical(logits: Tensor(p.map { Foundation.log($0) + 50 }, shape: [1, 3]))
        XCTAssertEqual(shifted.entropy().item, 0.8018186, accuracy: 1e-5)
    }

    func testCategoricalExtremeLogitsStayFinite() {
        let c = Categorical(logits: Tensor([1000, 0, -1000, 3, 3, 3], shape: [2, 3]))
        let h = c.entropy()
        XCTAssertEqual(h.data[0], 0, accuracy: 1e-6)
        XCTAssertEqual(h.data[1], Float(Foundation.log(3.0)), accuracy: 1e-6)
        XCTAssertEqual(c.logProb([2, 1]).data[0], -2000, accuracy: 1e-2)
        var generator = RandomGenerator(seed: 1)
        XCTAssertEqual(c.sample(using: &generator)[0], 0)
    }

    func testCategoricalMaskGivesExactZerosAndNoNaN() {
        let logits = Tensor([0.5, 2, -1, 0.3, 1, 1, 1, 1], shape: [2, 4], requiresGrad: true)
        let mask = [true, false, true, true, false, true, false, false]
        let c = Categorical(logits: logits, mask: mask)
        let probabilities = c.probabilities
        for i in 0..<8 where !mask[i] { XCTAssertEqual(probabilities[i], 0) }
        XCTAssertEqual(probabilities[5], 1)
        // Row 0 is the unmasked distribution over actions 0, 2, 3.
        let reference = Categorical(logits: Tensor([0.5, -1, 0.3], shape: [1, 3]))
        XCTAssertEqual(c.entropy().data[0], reference.entropy().item, accuracy: 1e-6)
        XCTAssertEqual(c.entropy().data[1], 0)
        XCTAssertEqual(c.logProb([3, 1]).data[0], reference.logProb([2]).item, accuracy: 1e-6)
        XCTAssertEqual(c.mode(), [0, 1])
        // Gradients are finite and zero at masked logits.
        (c.entropy().sum() + c.logProb([0, 1]).sum()).backward()
        let grad = logits.grad!
        XCTAssertTrue(grad.allSatisfy { $0.isFinite })
        for i in 0..<8 where !mask[i] { XCTAssertEqual(grad[i], 0) }
    }

    func testCategoricalGradientChecks() {
        var r = Inputs(seed: 21)
        let logits = r.uniform([3, 5], -2, 2)
        let actions = [4, 0, 2]
        checker.check([logits], "logProb") { Categorical(logits: $0[0]).logProb(actions) }
        checker.check([logits], "entropy") { Categorical(logits: $0[0]).entropy() }
        let mask = (0..<15).map { $0 % 3 != 1 }
        checker.check([logits], "masked logProb") { Categorical(logits: $0[0], mask: mask).logProb([3, 0, 2]) }
        checker.check([logits], "masked entropy") { Categorical(logits: $0[0], mask: mask).entropy() }
    }

    func testCategoricalSamplingFrequencies() {
        let p: [Double] = [0.5, 0.3, 0.15, 0.05]
        let c = Categorical(logits: Tensor(p.map { Float(Foundation.log($0)) }, shape: [1, 4]))
        var generator = RandomGenerator(seed: 12)
        var counts = [Int](repeating: 0, count: 4)
        let n = 20_000
        for _ in 0..<n { counts[c.sample(using: &generator)[0]] += 1 }
        for k in 0..<4 { assertFrequency(counts[k], of: n, probability: p[k], "action \(k)") }
        // Same seed, same draws.
        var g1 = RandomGenerator(seed: 3), g2 = RandomGenerator(seed: 3)
        XCTAssertEqual((0..<50).map { _ in c.sample(using: &g1)[0] }, (0..<50).map { _ in c.sample(using: &g2)[0] })
    }

    func testMaskedActionsAreNeverSampled() {
        // Row 0: only actions 1 and 3 allowed; row 1: the masked action has by far the largest logit.
        let logits = Tensor([0, 0, 0, 0, 9, 0, 0, 0], shape: [2, 4])
        let mask = [false, true, false, true, false, true, true, true]
        let c = Categorical(logits: logits, mask: mask)
        var generator = RandomGenerator(seed: 8)
        var counts = [[Int]](repeating: [0, 0, 0, 0], count: 2)
        let n = 20_000
        for _ in 0..<n {
            let actions = c.sample(using: &generator)
            counts[0][actions[0]] += 1
            counts[1][actions[1]] += 1
        }
        XCTAssertEqual(counts[0][0] + counts[0][2] + counts[1][0], 0)
        assertFrequency(counts[0][1], of: n, probability: 0.5, "row 0 action 1")
        for k in 1..<4 { assertFrequency(counts[1][k], of: n, probability: 1.0 / 3, "row 1 action \(k)") }
    }

    // MARK: DiagonalGaussian

    func testGaussianReferenceLogProbAndEntropy() {
        let g = DiagonalGaussian(mean: Tensor([0], shape: [1, 1]), logStd: Tensor([0]))
        XCTAssertEqual(g.logProb([0.5]).item, -1.0439385, accuracy: 1e-6)
        XCTAssertEqual(g.entropy().item, 1.4189385, accuracy: 1e-6)
        // Two dimensions and two rows: sums of the per-dimension terms.
        let mean = Tensor([0, 1, -1, 2], shape: [2, 2])
        let logStd = Tensor([0, Float(Foundation.log(2.0))])
        let h = DiagonalGaussian(mean: mean, logStd: logStd)
        let lp = h.logProb([0.5, 0, -1, 4])
        func normal(_ x: Double, _ mu: Double, _ sigma: Double) -> Double {
            -((x - mu) * (x - mu)) / (2 * sigma * sigma) - Foundation.log(sigma) - 0.5 * Foundation.log(2 * Double.pi)
        }
        XCTAssertEqual(Double(lp.data[0]), normal(0.5, 0, 1) + normal(0, 1, 2), accuracy: 1e-5)
        XCTAssertEqual(Double(lp.data[1]), normal(-1, -1, 1) + normal(4, 2, 2), accuracy: 1e-5)
        let expectedEntropy = 2 * 1.4189385 + Foundation.log(2.0)
        XCTAssertEqual(h.entropy().shape, [2])
        XCTAssertEqual(Double(h.entropy().data[0]), expectedEntropy, accuracy: 1e-5)
        XCTAssertEqual(Double(h.entropy().data[1]), expectedEntropy, accuracy: 1e-5)
        XCTAssertEqual(h.mode(), mean.data)
    }

    func testGaussianGradientChecks() {
        var r = Inputs(seed: 22)
        let mean = r.uniform([3, 2]), logStd = r.uniform([2], -0.5, 0.5), actions = r.uniform([3, 2], -2, 2)
        checker.check([mean, logStd, actions], "gaussian logProb") {
            DiagonalGaussian(mean: $0[0], logStd: $0[1]).logProb($0[2])
        }
        checker.check([mean, logStd], "gaussian entropy") { DiagonalGaussian(mean: $0[0], logStd: $0[1]).entropy() }
        let perRowLogStd = r.uniform([3, 2], -0.5, 0.5)
        checker.check([mean, perRowLogStd, actions], "gaussian logProb, per-row logStd") {
            DiagonalGaussian(mean: $0[0], logStd: $0[1]).logProb($0[2])
        }
    }

    func testGaussianSamplingMatchesMeanAndStd() {
        let g = DiagonalGaussian(mean: Tensor([1, -2], shape: [1, 2]), logStd: Tensor([Float(Foundation.log(0.5)), 0.7]))
        var generator = RandomGenerator(seed: 13)
        let n = 20_000
        var sums = [0.0, 0.0], squares = [0.0, 0.0]
        for _ in 0..<n {
            let x = g.sample(using: &generator)
            for j in 0..<2 {
                sums[j] += Double(x[j])
                squares[j] += Double(x[j]) * Double(x[j])
            }
        }
        let stds = [0.5, Foundation.exp(0.7)]
        let means = [1.0, -2.0]
        for j in 0..<2 {
            let m = sums[j] / Double(n)
            let variance = squares[j] / Double(n) - m * m
            XCTAssertEqual(m, means[j], accuracy: 4 * stds[j] / Double(n).squareRoot())
            // The sample variance's standard error is about σ²·√(2/n).
            XCTAssertEqual(variance, stds[j] * stds[j], accuracy: 4 * stds[j] * stds[j] * (2 / Double(n)).squareRoot())
        }
    }
}
