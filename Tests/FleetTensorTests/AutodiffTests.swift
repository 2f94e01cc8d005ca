import XCTest

@testable import FleetTensor

/// The tape: accumulation, reuse, no-grad scopes, detach, and the checker's own power to fail.
final class AutodiffTests: XCTestCase {
    func testGradientsAccumulateAcrossBackwardsUntilZeroed() {
        let x = Tensor([1, 2, 3], requiresGrad: true)
        (x * x).sum().backward()
        XCTAssertEqual(x.grad, [2, 4, 6])
        (x * 3).sum().backward()
        XCTAssertEqual(x.grad, [5, 7, 9])
        x.zeroGrad()
        XCTAssertEqual(x.grad, [0, 0, 0])
    }

    func testBackwardTwiceOnOneGraphAddsTheSameGradientAgain() {
        let x = Tensor([0.5, -1], requiresGrad: true)
        let loss = (x.tanh() * x).sum()
        loss.backward()
        let once = x.grad!
        loss.backward()
        for (twice, single) in zip(x.grad!, once) { XCTAssertEqual(twice, 2 * single, accuracy: 1e-6) }
    }

    func testTensorUsedSeveralTimesCollectsEveryPath() {
        // y = x*x + 3x + x*x*x at x = 2: dy/dx = 2x + 3 + 3x² = 19.
        let x = Tensor(2, requiresGrad: true)
        let square = x * x
        let y = square + x * 3 + square * x
        y.backward()
        XCTAssertEqual(x.grad, [19])
    }

    func testBackwardWithExplicitGradient() {
        let x = Tensor([1, 2], shape: [2], requiresGrad: true)
        (x * x).backward(gradient: [10, 100])
        XCTAssertEqual(x.grad, [20, 400])
    }

    func testNoGradScopeRecordsNothing() {
        let w = Tensor([1, 2], requiresGrad: true)
        let y = withNoGrad { (w * w).sum() }
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(y.isLeaf)
        XCTAssertTrue(Tensor.isGradEnabled)
        XCTAssertFalse(withNoGrad { Tensor.isGradEnabled })
        y.backward()
        XCTAssertNil(w.grad)
        // Outside the scope recording resumes.
        XCTAssertTrue((w * w).requiresGrad)
    }

    func testDetachStopsGradients() {
        let x = Tensor([3], requiresGrad: true)
        let y = x * x.detach()  // d/dx = x.detach() = 3, not 2x
        y.sum().backward()
        XCTAssertEqual(x.grad, [3])
        XCTAssertFalse(x.detach().requiresGrad)
        XCTAssertEqual(x.detach().data, x.data)
    }

    func testConstantsGetNoGradients() {
        let c = Tensor([1, 2])
        let w = Tensor([3, 4], requiresGrad: true)
        (c * w).sum().backward()
        XCTAssertNil(c.grad)
        XCTAssertEqual(w.grad, [1, 2])
    }

    func testTiesSendTheGradientToTheFirstOperand() {
        let a = Tensor([1, 2], requiresGrad: true), b = Tensor([1, 3], requiresGrad: true)
        Tensor.minimum(a, b).sum().backward()
        XCTAssertEqual(a.grad, [1, 1])
        XCTAssertEqual(b.grad, [0, 0])
        a.zeroGrad()
        b.zeroGrad()
        Tensor.maximum(a, b).sum().backward()
        XCTAssertEqual(a.grad, [1, 0])
        XCTAssertEqual(b.grad, [0, 1])
    }

    func testFrozenParameterGetsNoGradient() {
        let w = Tensor([1, 2], requiresGrad: true), frozen = Tensor([3, 4], requiresGrad: true)
        frozen.requiresGrad = false
        (w * frozen).sum().backward()
        XCTAssertEqual(w.grad, [3, 4])
        XCTAssertNil(frozen.grad)
    }

    func testDeepGraphDoesNotOverflowTheStack() {
        let x = Tensor(1, requiresGrad: true)
        var y = x
        for _ in 0..<20_000 { y = y + 1e-4 }
        y.backward()
        XCTAssertEqual(x.grad, [1])
    }

    func testReshapeSharesStorageAndGradientFlowsBack() {
        let x = Tensor([1, 2, 3, 4, 5, 6], shape: [2, 3], requiresGrad: true)
        let y = x.reshaped([3, 2])
        XCTAssertEqual(y.shape, [3, 2])
        XCTAssertEqual(y.data, x.data)
        (y * Tensor([1, 2], shape: [2])).sum().backward()
        XCTAssertEqual(x.grad, [1, 2, 1, 2, 1, 2])
    }
}

/// The gradient checker fails when a gradient rule is wrong.
final class GradientCheckTests: XCTestCase {
    /// `x²` recorded with the wrong rule `x` (a missing factor 2).
    private func badSquare(_ x: Tensor) -> Tensor {
        Tensor(x.data.map { $0 * $0 }, shape: x.shape).record([x]) {
            { g in x.accumulateGrad(g, x.data) { g, v in g * v } }
        }
    }

    /// `exp` recorded with a gradient 5% too large.
    private func slightlyWrongExp(_ x: Tensor) -> Tensor {
        let out = x.data.map { Foundation.exp($0) }
        return Tensor(out, shape: x.shape).record([x]) {
            { g in x.accumulateGrad(g, out) { g, y in 1.05 * g * y } }
        }
    }

    func testWrongRulesAreCaught() {
        var r = Inputs(seed: 99)
        let x = r.uniform([2, 3])
        let checker = GradientCheck()
        XCTAssertGreaterThan(checker.worstViolation([x]) { self.badSquare($0[0]) }.0, 1)
        XCTAssertGreaterThan(checker.worstViolation([x]) { self.slightlyWrongExp($0[0]) }.0, 1)
        // A broadcast rule that forgets to sum over the stretched axis.
        let row = r.uniform([3])
        let forgetful: ([Tensor]) -> Tensor = { t in
            let (a, b) = (t[0], t[1])
            let out = Broadcast.expand(b.data, from: b.shape, to: a.shape)
            return Tensor(zip(a.data, out).map(+), shape: a.shape).record([a, b]) {
                { g in
                    a.accumulateGrad(g)
                    b.accumulateGrad(Array(g[0..<3]))
                }
            }
        }
        XCTAssertGreaterThan(checker.worstViolation([x, row], forgetful).0, 1)
    }

    func testCorrectRulesPass() {
        var r = Inputs(seed: 99)
        let x = r.uniform([2, 3])
        XCTAssertLessThanOrEqual(GradientCheck().worstViolation([x]) { $0[0] * $0[0] }.0, 1)
    }
}
