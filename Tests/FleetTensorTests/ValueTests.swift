import XCTest

@testable import FleetTensor

/// Forward values against hand-computed numbers and the reference vectors.
final class ValueTests: XCTestCase {
    func assertEqual(_ a: [Float], _ b: [Float], accuracy: Float = 1e-5, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, file: file, line: line)
        for (x, y) in zip(a, b) { XCTAssertEqual(x, y, accuracy: accuracy, "\(a) vs \(b)", file: file, line: line) }
    }

    func testSoftmaxAndLogSoftmaxByHand() {
        let x = Tensor([1, 2, 3, 0, 0, 0], shape: [2, 3])
        // e = [1, e, e²] / (1 + e + e²)
        let e1 = Float(M_E), e2 = Float(M_E * M_E), z = 1 + e1 + e2
        assertEqual(x.softmax().data, [1 / z, e1 / z, e2 / z, 1 / 3, 1 / 3, 1 / 3])
        assertEqual(x.logSoftmax().data, [-2.4076059, -1.4076059, -0.4076059, -1.0986123, -1.0986123, -1.0986123])
    }

    func testSoftmaxIsStableForLargeLogits() {
        let x = Tensor([1000, 1001], shape: [1, 2])
        assertEqual(x.softmax().data, [0.26894142, 0.73105858])
        assertEqual(x.logSoftmax().data, [-1.3132616, -0.3132616])
        let negative = Tensor([-1000, -1001], shape: [1, 2])
        assertEqual(negative.logSoftmax().data, [-0.3132616, -1.3132616])
    }

    func testCategoricalEntropyFromLogSoftmax() {
        // Entropy of Categorical([0.7, 0.2, 0.1]) from logits log(p): -Σ softmax * logSoftmax.
        let logits = Tensor([0.7, 0.2, 0.1].map { Float(Foundation.log($0)) } , shape: [1, 3])
        let entropy = -(logits.softmax() * logits.logSoftmax()).sum()
        XCTAssertEqual(entropy.item, 0.8018186, accuracy: 1e-5)
    }

    func testGaussianLogProbFromOps() {
        // log N(0.5; 0, 1) = -(x-μ)²/(2σ²) - log σ - log √(2π).
        let x = Tensor([0.5]), mu = Tensor([0]), logStd = Tensor([0])
        let logProb = -((x - mu) / logStd.exp()).pow(2) * 0.5 - logStd - Float(0.5 * Foundation.log(2 * Double.pi))
        XCTAssertEqual(logProb.item, -1.0439385, accuracy: 1e-5)
    }

    func testAdvantageNormalization() {
        let a = Tensor([1, 2, 3, 4])
        let centered = a - a.mean()
        let std = (centered.pow(2).sum() / Float(a.count - 1)).sqrt()
        let normalized = centered / (std + 1e-8)
        assertEqual(normalized.data, [-1.161895, -0.387298, 0.387298, 1.161895])
    }

    func testPPOClippedLossVectors() {
        let ratio = Tensor([0.5, 0.9, 1.0, 1.1, 1.5])
        for (advantage, expected) in [(Float(1), [Float](arrayLiteral: -0.5, -0.9, -1.0, -1.1, -1.2)),
                                      (-1, [0.8, 0.9, 1.0, 1.1, 1.5])] {
            let a = Tensor(advantage)
            let loss = Tensor.maximum(-a * ratio, -a * ratio.clamp(min: 0.8, max: 1.2))
            assertEqual(loss.data, expected)
        }
    }

    func testApproxKLAndClippedValueLossVectors() {
        let logRatio = Tensor([0.1, -0.2, 0.3, 0.0])
        let ratio = logRatio.exp()
        XCTAssertEqual(((ratio - 1) - logRatio).mean().item, 0.01844012, accuracy: 1e-6)
        let v = Tensor([1.5, 0, 2]), old = Tensor([1, 0.5, 2.1]), returns = Tensor([2, 0, 1])
        let clipped = old + (v - old).clamp(min: -0.2, max: 0.2)
        let loss = Tensor.maximum((v - returns).pow(2), (clipped - returns).pow(2)).mean() * 0.5
        XCTAssertEqual(loss.item, 0.2883333, accuracy: 1e-6)
    }

    func testActivationValues() {
        let x = Tensor([-1, 0, 1, 2])
        assertEqual(x.tanh().data, [-0.7615942, 0, 0.7615942, 0.9640276])
        assertEqual(x.relu().data, [0, 0, 1, 2])
        assertEqual(x.sigmoid().data, [0.26894142, 0.5, 0.7310586, 0.8807971])
        // PyTorch gelu(approximate="tanh").
        assertEqual(x.gelu().data, [-0.15880796, 0, 0.8411920, 1.9545977])
        assertEqual(Tensor([-1000, 1000]).sigmoid().data, [0, 1])
    }

    func testBroadcastArithmetic() {
        let m = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        assertEqual((m + Tensor([10, 20, 30])).data, [11, 22, 33, 14, 25, 36])
        assertEqual((m * Tensor([1, -1], shape: [2, 1])).data, [1, 2, 3, -4, -5, -6])
        XCTAssertEqual((Tensor([1, 2], shape: [2, 1]) + Tensor([10, 20, 30])).shape, [2, 3])
        assertEqual((Tensor([1, 2], shape: [2, 1]) + Tensor([10, 20, 30])).data, [11, 21, 31, 12, 22, 32])
        assertEqual((m - 1).data, [0, 1, 2, 3, 4, 5])
        assertEqual((6 / m).data, [6, 3, 2, 1.5, 1.2, 1])
    }

    func testReductionsAndMax() {
        let x = Tensor([1, 5, 3, 4, 2, 6], shape: [2, 3])
        XCTAssertEqual(x.sum().item, 21)
        XCTAssertEqual(x.sum(axis: 0).data, [5, 7, 9])
        XCTAssertEqual(x.sum(axis: 1, keepDims: true).shape, [2, 1])
        XCTAssertEqual(x.mean(axis: -1).data, [3, 4])
        XCTAssertEqual(x.max(axis: 1).data, [5, 6])
        XCTAssertEqual(x.max(axis: 0).data, [4, 5, 6])
        XCTAssertEqual(x.argmax(axis: 1), [1, 2])
    }

    func testMatMulValues() {
        let a = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        let b = Tensor([7, 8, 9, 10, 11, 12], shape: [3, 2])
        XCTAssertEqual(a.matmul(b).data, [58, 64, 139, 154])
        XCTAssertEqual(a.transposed().data, [1, 4, 2, 5, 3, 6])
        XCTAssertEqual(a.permuted([1, 0]).data, [1, 4, 2, 5, 3, 6])
        let cube = Tensor((0..<24).map(Float.init), shape: [2, 3, 4])
        let p = cube.permuted([2, 0, 1])
        XCTAssertEqual(p.shape, [4, 2, 3])
        // p[i, j, k] = cube[j, k, i] = 12j + 4k + i
        XCTAssertEqual(p.data[1 * 6 + 1 * 3 + 2], 12 + 8 + 1)
        XCTAssertEqual(p.permuted([1, 2, 0]).data, cube.data)
        let batched = Tensor(a.data + a.data.map { -$0 }, shape: [2, 2, 3])
        XCTAssertEqual(batched.matmul(b).data, [58, 64, 139, 154, -58, -64, -139, -154])
    }

    func testIndexingValues() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(x.gather(axis: 1, indices: [2, 0]).data, [3, 4])
        XCTAssertEqual(x.gather(axis: 1, indices: [2, 0]).shape, [2, 1])
        XCTAssertEqual(x.slice(axis: 1, 1..<3).data, [2, 3, 5, 6])
        XCTAssertEqual(Tensor.concat([x, x.slice(axis: 1, 0..<1)], axis: 1).data, [1, 2, 3, 1, 4, 5, 6, 4])
        XCTAssertEqual(Tensor.zeros([2, 3]).scatterAdding(Tensor([1, 1], shape: [2, 1]), axis: 1, indices: [2, 2]).data,
                       [0, 0, 1, 0, 0, 1])
        let table = Tensor([0, 1, 10, 11, 20, 21], shape: [3, 2])
        let rows = table.embedding([2, 0, 2], shape: [1, 3])
        XCTAssertEqual(rows.shape, [1, 3, 2])
        XCTAssertEqual(rows.data, [20, 21, 0, 1, 20, 21])
        XCTAssertEqual(Tensor.where([true, false], Tensor([1, 2]), Tensor([3, 4])).data, [1, 4])
        XCTAssertEqual(Tensor([-2, 0.5, 3]).clamp(min: -1, max: 1).data, [-1, 0.5, 1])
        XCTAssertEqual(Tensor.maximum(Tensor([1, 5]), Tensor([3, 2])).data, [3, 5])
    }

    func testLayerNormValues() {
        let x = Tensor([1, 2, 3, 4], shape: [1, 4])
        // mean 2.5, biased variance 1.25.
        let s = 1 / Float(1.25 + 1e-5).squareRoot()
        assertEqual(x.layerNorm().data, [-1.5 * s, -0.5 * s, 0.5 * s, 1.5 * s])
        let affine = x.layerNorm(weight: Tensor([2, 2, 2, 2]), bias: Tensor([1, 1, 1, 1]))
        assertEqual(affine.data, [1 - 3 * s, 1 - s, 1 + s, 1 + 3 * s])
    }

    func testAttentionFirstQuerySeesOnlyTheFirstKey() {
        var g = RandomGenerator(seed: 5)
        let q = Tensor.normal([1, 3, 2], using: &g), k = Tensor.normal([1, 3, 2], using: &g)
        let v = Tensor([1, 10, 2, 20, 3, 30], shape: [1, 3, 2])
        let out = Tensor.causalAttention(q, k, v)
        XCTAssertEqual(Array(out.data[0..<2]), [1, 10])
        // With one query over three cached keys, it attends all of them: a convex mix of v rows.
        let last = Tensor.causalAttention(q.slice(axis: 1, 2..<3), k, v)
        assertEqual(last.data, Array(out.data[4..<6]))
    }
}
