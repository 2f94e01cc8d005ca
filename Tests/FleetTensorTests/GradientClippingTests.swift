import XCTest

@testable import FleetTensor

/// Global gradient-norm clipping: docs/algorithms.md's scale = max_norm / (norm + 1e-6), applied below 1.
final class GradientClippingTests: XCTestCase {
    func makeParameters(_ a: [Float], _ b: [Float]) -> [(name: String, tensor: Tensor)] {
        let p = Tensor([Float](repeating: 0, count: a.count), requiresGrad: true)
        let q = Tensor([Float](repeating: 0, count: b.count), requiresGrad: true)
        p.grad = a
        q.grad = b
        return [("p", p), ("q", q)]
    }

    func testNormIsReturnedAndGradientsScaledWhenAbove() {
        // ||(3, 4, 12)|| = 13
        let params = makeParameters([3, 4], [12])
        let norm = clipGradientNorm(params, maxNorm: 0.5)
        XCTAssertEqual(norm, 13)
        let scale = Float(0.5 / (13 + 1e-6))
        XCTAssertEqual(params[0].tensor.grad!, [3 * scale, 4 * scale])
        XCTAssertEqual(params[1].tensor.grad!, [12 * scale])
        XCTAssertEqual(globalGradientNorm(params), 0.5 * 13 / (13 + 1e-6), accuracy: 1e-6)
    }

    func testGradientsUnchangedWhenAtOrBelowMax() {
        let params = makeParameters([0.3, 0.4], [])
        XCTAssertEqual(clipGradientNorm(params, maxNorm: 0.5), 0.5, accuracy: 1e-7)
        // scale = 0.5 / (0.5 + 1e-6) < 1: a norm equal to the maximum is still (barely) scaled.
        XCTAssertLessThan(params[0].tensor.grad![1], 0.4)
        let below = makeParameters([0.3, 0.4], [0])
        XCTAssertEqual(clipGradientNorm(below, maxNorm: 1), 0.5, accuracy: 1e-7)
        XCTAssertEqual(below[0].tensor.grad!, [0.3, 0.4])
        XCTAssertEqual(below[1].tensor.grad!, [0])
    }

    func testParametersWithoutGradientAreSkipped() {
        let params = makeParameters([6, 8], [])
        let frozen = Tensor([100, 100], requiresGrad: true)
        XCTAssertEqual(clipGradientNorm(params + [("frozen", frozen)], maxNorm: 1), 10)
        XCTAssertNil(frozen.grad)
    }

    func testNonFiniteNormLeavesGradientsAlone() {
        let params = makeParameters([.infinity, 1], [2])
        XCTAssertEqual(clipGradientNorm(params, maxNorm: 1), .infinity)
        XCTAssertEqual(params[1].tensor.grad!, [2])
        XCTAssertTrue(clipGradientNorm(makeParameters([.nan], [1]), maxNorm: 1).isNaN)
    }

    /// The norm is accumulated in Double: many small squares that a Float sum would lose still count.
    func testNormIsAccumulatedInDoubleAndDeterministic() {
        var values = [Float](repeating: 1e-4, count: 10_007)
        values[0] = 1
        let params = makeParameters(values, [1e-3, 2e-3, 3e-3])
        let small = Double(Float(1e-4))
        var squares: Double = 1 + 10_006 * small * small
        for x: Float in [1e-3, 2e-3, 3e-3] { squares += Double(x) * Double(x) }
        let expected = squares.squareRoot()
        let norm = globalGradientNorm(params)
        XCTAssertEqual(norm, expected, accuracy: 1e-12)
        XCTAssertEqual(globalGradientNorm(params).bitPattern, norm.bitPattern)
    }
}
