import XCTest

@testable import FleetTensor

/// Same seed + deterministic mode: bit-identical forward and backward.
final class DeterminismTests: XCTestCase {
    /// A PPO-like step of a 4-64-64 tanh MLP with policy and value heads; returns every bit it made.
    private func run(seed: UInt64) -> [[UInt32]] {
        var g = RandomGenerator(seed: seed)
        let w1 = Tensor.orthogonal([4, 64], gain: Float(2).squareRoot(), requiresGrad: true, using: &g)
        let b1 = Tensor.zeros([64], requiresGrad: true)
        let w2 = Tensor.orthogonal([64, 64], gain: Float(2).squareRoot(), requiresGrad: true, using: &g)
        let b2 = Tensor.uniform([64], low: -0.1, high: 0.1, requiresGrad: true, using: &g)
        let policy = Tensor.orthogonal([64, 2], gain: 0.01, requiresGrad: true, using: &g)
        let value = Tensor.orthogonal([64, 1], gain: 1, requiresGrad: true, using: &g)
        let x = Tensor.normal([128, 4], using: &g)
        let actions = (0..<128).map { _ in g.nextInt(below: 2) }
        let hidden = ((x.matmul(w1) + b1).tanh().matmul(w2) + b2).tanh()
        let logProbs = hidden.matmul(policy).logSoftmax().gather(axis: 1, indices: actions)
        let values = hidden.matmul(value)
        let loss = -logProbs.mean() + (values - 1).pow(2).mean() * 0.5
        loss.backward()
        let params = [w1, b1, w2, b2, policy, value]
        return [loss.data.map(\.bitPattern), values.data.map(\.bitPattern)] + params.map { $0.grad!.map(\.bitPattern) }
    }

    func testSameSeedGivesBitIdenticalForwardAndBackward() {
        let before = BLAS.threads
        defer { BLAS.threads = before }
        Determinism.enable()
        XCTAssertTrue(Determinism.isEnabled)
        let first = run(seed: 2024), second = run(seed: 2024)
        XCTAssertEqual(first, second)
        XCTAssertNotEqual(first, run(seed: 2025))
    }
}
