import XCTest

@testable import FleetTensor

/// A finite-difference gradient check for every differentiable operation.
final class GradientTests: XCTestCase {
    let checker = GradientCheck()

    // MARK: Elementwise binary, with broadcasting

    func testAddSubMulDivSameShape() {
        var r = Inputs(seed: 1)
        let a = r.uniform([3, 4]), b = r.awayFromZero([3, 4])
        checker.check([a, b], "add") { $0[0] + $0[1] }
        checker.check([a, b], "sub") { $0[0] - $0[1] }
        checker.check([a, b], "mul") { $0[0] * $0[1] }
        checker.check([a, b], "div") { $0[0] / $0[1] }
    }

    func testBroadcastingBinaryOps() {
        var r = Inputs(seed: 2)
        let matrix = r.uniform([3, 4]), row = r.awayFromZero([4]), column = r.awayFromZero([3, 1])
        let cube = r.uniform([2, 3, 4]), scalar = r.awayFromZero([])
        checker.check([matrix, row], "add row") { $0[0] + $0[1] }
        checker.check([row, matrix], "sub row first") { $0[0] - $0[1] }
        checker.check([column, row], "mul outer") { $0[0] * $0[1] }
        checker.check([cube, column], "div [2,3,4]/[3,1]") { $0[0] / $0[1] }
        checker.check([scalar, cube], "mul scalar tensor") { $0[0] * $0[1] }
        checker.check([cube, scalar], "div by scalar tensor") { $0[0] / $0[1] }
    }

    func testScalarOperands() {
        var r = Inputs(seed: 3)
        let x = r.awayFromZero([2, 3])
        checker.check([x], "x + s") { $0[0] + 2.5 }
        checker.check([x], "s + x") { 2.5 + $0[0] }
        checker.check([x], "x - s") { $0[0] - 1.5 }
        checker.check([x], "s - x") { 1.5 - $0[0] }
        checker.check([x], "x * s") { $0[0] * -3 }
        checker.check([x], "s * x") { 0.5 * $0[0] }
        checker.check([x], "x / s") { $0[0] / 4 }
        checker.check([x], "s / x") { 2 / $0[0] }
        checker.check([x], "neg") { -$0[0] }
    }

    func testMinimumMaximumWhereClamp() {
        var r = Inputs(seed: 4)
        let a = r.uniform([3, 4])
        // Keep b at least 0.1 away from a so that no difference crosses a tie.
        let b = Tensor(a.data.enumerated().map { $0.element + ($0.offset % 2 == 0 ? 0.3 : -0.3) }, shape: [3, 4], requiresGrad: true)
        checker.check([a, b], "minimum") { Tensor.minimum($0[0], $0[1]) }
        checker.check([a, b], "maximum") { Tensor.maximum($0[0], $0[1]) }
        let row = r.uniform([4], 2, 3)
        checker.check([a, row], "minimum broadcast") { Tensor.minimum($0[0], $0[1]) }
        let condition = (0..<12).map { $0 % 3 == 0 }
        checker.check([a, b], "where") { Tensor.where(condition, $0[0], $0[1]) }
        checker.check([a, row], "where broadcast") { Tensor.where(condition, $0[0], $0[1]) }
        let x = Tensor([-2, -0.9, -0.3, 0.2, 0.6, 1.7], shape: [6], requiresGrad: true)
        checker.check([x], "clamp") { $0[0].clamp(min: -0.5, max: 0.5) }
        checker.check([x], "clamp min only") { $0[0].clamp(min: 0) }
    }

    // MARK: Elementwise unary

    func testPowersExponentialsAbs() {
        var r = Inputs(seed: 5)
        let x = r.awayFromZero([2, 3]), positive = r.uniform([2, 3], 0.5, 2)
        checker.check([x], "pow 2") { $0[0].pow(2) }
        checker.check([x], "pow 3") { $0[0].pow(3) }
        checker.check([positive], "pow 0.5") { $0[0].pow(0.5) }
        checker.check([positive], "pow -1.5") { $0[0].pow(-1.5) }
        checker.check([positive], "sqrt") { $0[0].sqrt() }
        checker.check([x], "exp") { $0[0].exp() }
        checker.check([positive], "log") { $0[0].log() }
        checker.check([x], "abs") { $0[0].abs() }
    }

    func testActivations() {
        var r = Inputs(seed: 6)
        let x = r.uniform([3, 4], -2, 2), awayFromKink = r.awayFromZero([3, 4], 0.1, 2)
        checker.check([x], "tanh") { $0[0].tanh() }
        checker.check([x], "sigmoid") { $0[0].sigmoid() }
        checker.check([x], "gelu") { $0[0].gelu() }
        checker.check([awayFromKink], "relu") { $0[0].relu() }
    }

    // MARK: Reductions

    func testReductions() {
        var r = Inputs(seed: 7)
        let x = r.uniform([2, 3, 4])
        checker.check([x], "sum") { $0[0].sum() }
        checker.check([x], "mean") { $0[0].mean() }
        for axis in [0, 1, 2, -1] {
            for keep in [false, true] {
                checker.check([x], "sum axis \(axis) keep \(keep)") { $0[0].sum(axis: axis, keepDims: keep) }
                checker.check([x], "mean axis \(axis) keep \(keep)") { $0[0].mean(axis: axis, keepDims: keep) }
            }
        }
    }

    func testMaxAlongAxis() {
        // Distinct values at least 0.05 apart, so ±h never changes which element is largest.
        var g = RandomGenerator(seed: 8)
        var values = (0..<24).map { Float($0) * 0.05 - 0.6 }
        for i in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(i, g.nextInt(below: i + 1)) }
        let x = Tensor(values, shape: [2, 3, 4], requiresGrad: true)
        let fine = GradientCheck(h: 5e-3)
        for axis in [0, 1, 2] {
            fine.check([x], "max axis \(axis)") { $0[0].max(axis: axis) }
            fine.check([x], "max axis \(axis) keepDims") { $0[0].max(axis: axis, keepDims: true) }
        }
    }

    // MARK: Matrix products and shapes

    func testMatMul() {
        var r = Inputs(seed: 9)
        let a = r.uniform([3, 4]), b = r.uniform([4, 5])
        checker.check([a, b], "matmul 2-D") { $0[0].matmul($0[1]) }
        let batchA = r.uniform([2, 3, 4]), batchB = r.uniform([2, 4, 2])
        checker.check([batchA, batchB], "matmul batched 3-D") { $0[0].matmul($0[1]) }
        checker.check([batchA, b], "matmul batch @ shared matrix") { $0[0].matmul($0[1]) }
        let a4 = r.uniform([2, 2, 3, 2]), b4 = r.uniform([2, 2, 2, 3])
        checker.check([a4, b4], "matmul batched 4-D") { $0[0].matmul($0[1]) }
        let c = r.uniform([5, 4])
        checker.check([a, c], "matmul with transposed operand") { $0[0].matmul($0[1].transposed()) }
        checker.check([b, a], "transposed operand first") { $0[0].transposed().matmul($0[1].transposed()) }
    }

    func testLinear() {
        var r = Inputs(seed: 17)
        let x = r.uniform([5, 3]), weight = r.uniform([4, 3]), bias = r.uniform([4])
        checker.check([x, weight, bias], "linear") { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        checker.check([x, weight], "linear without bias") { Tensor.linear($0[0], weight: $0[1]) }
        let batch = r.uniform([2, 2, 3])
        checker.check([batch, weight, bias], "linear on [2, 2, 3]") { Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
        // Same values as the unfused form.
        let fused = Tensor.linear(x, weight: weight, bias: bias)
        let composite = x.matmul(weight.transposed()) + bias
        for (a, b) in zip(fused.data, composite.data) { XCTAssertEqual(a, b, accuracy: 1e-6) }
    }

    func testTransposeReshape() {
        var r = Inputs(seed: 10)
        let x = r.uniform([2, 3, 4])
        checker.check([x], "transposed") { $0[0].transposed() }
        checker.check([x], "permuted [2, 0, 1]") { $0[0].permuted([2, 0, 1]) }
        let heads = r.uniform([2, 3, 2, 2])
        checker.check([heads], "permuted [0, 2, 1, 3]") { $0[0].permuted([0, 2, 1, 3]) }
        checker.check([x], "reshaped") { $0[0].reshaped([4, -1]) * Tensor.arange(6) }
    }

    func testSliceAndConcat() {
        var r = Inputs(seed: 11)
        let x = r.uniform([3, 4]), y = r.uniform([3, 2]), z = r.uniform([1, 4])
        checker.check([x], "slice axis 0") { $0[0].slice(axis: 0, 1..<3) }
        checker.check([x], "slice axis 1") { $0[0].slice(axis: 1, 1..<3) }
        checker.check([x], "slice axis -1") { $0[0].slice(axis: -1, 0..<1) }
        checker.check([x, y], "concat axis 1") { Tensor.concat([$0[0], $0[1]], axis: 1) }
        checker.check([x, z], "concat axis 0") { Tensor.concat([$0[0], $0[1], $0[0]], axis: 0) }
    }

    // MARK: Indexing

    func testGatherScatterEmbedding() {
        var r = Inputs(seed: 12)
        let x = r.uniform([4, 3])
        checker.check([x], "gather axis 1 (taken actions)") { $0[0].gather(axis: 1, indices: [2, 0, 1, 1]) }
        checker.check([x], "gather axis 1, two per row") { $0[0].gather(axis: 1, indices: [0, 2, 1, 1, 2, 2, 0, 1]) }
        checker.check([x], "gather axis 0") { $0[0].gather(axis: 0, indices: [3, 0, 3, 1, 1, 2]) }
        let source = r.uniform([4, 2])
        checker.check([x, source], "scatterAdding axis 1") {
            $0[0].scatterAdding($0[1], axis: 1, indices: [0, 0, 2, 1, 1, 1, 0, 2])
        }
        let table = r.uniform([5, 3])
        checker.check([table], "embedding with repeated ids") {
            $0[0].embedding([4, 1, 4, 0, 2, 4], shape: [2, 3])
        }
    }

    // MARK: Softmax, layer norm, attention

    func testSoftmaxAndLogSoftmax() {
        var r = Inputs(seed: 13)
        let x = r.uniform([3, 5], -2, 2), cube = r.uniform([2, 2, 3], -2, 2)
        checker.check([x], "softmax") { $0[0].softmax() }
        checker.check([x], "logSoftmax") { $0[0].logSoftmax() }
        checker.check([cube], "softmax 3-D") { $0[0].softmax() }
        checker.check([cube], "logSoftmax 3-D") { $0[0].logSoftmax() }
    }

    func testLayerNorm() {
        var r = Inputs(seed: 14)
        let x = r.uniform([3, 5], -2, 2), weight = r.uniform([5], 0.5, 1.5), bias = r.uniform([5])
        checker.check([x], "layerNorm") { $0[0].layerNorm() }
        checker.check([x, weight, bias], "layerNorm affine") { $0[0].layerNorm(weight: $0[1], bias: $0[2]) }
        let cube = r.uniform([2, 2, 4], -2, 2)
        checker.check([cube, weight.slice(axis: 0, 0..<4).detach().requiringGrad()], "layerNorm 3-D, weight only") {
            $0[0].layerNorm(weight: $0[1])
        }
    }

    func testCausalAttention() {
        var r = Inputs(seed: 15)
        let q = r.uniform([2, 2, 3, 4]), k = r.uniform([2, 2, 3, 4]), v = r.uniform([2, 2, 3, 5])
        checker.check([q, k, v], "attention tq == tk") { Tensor.causalAttention($0[0], $0[1], $0[2]) }
        let q1 = r.uniform([2, 2, 4]), k1 = r.uniform([2, 5, 4]), v1 = r.uniform([2, 5, 3])
        checker.check([q1, k1, v1], "attention with cached keys (tq < tk)") {
            Tensor.causalAttention($0[0], $0[1], $0[2])
        }
    }

    /// The fused attention equals the same computation written with the basic operations.
    func testCausalAttentionMatchesComposite() {
        var r = Inputs(seed: 16)
        let q = r.uniform([2, 3, 4], -2, 2), k = r.uniform([2, 3, 4], -2, 2), v = r.uniform([2, 3, 2], -2, 2)
        let fused = Tensor.causalAttention(q, k, v)
        let allowed = (0..<18).map { i in (i % 3) <= (i / 3) % 3 }  // key index <= query index
        let scores = q.matmul(k.transposed()) / Float(4).squareRoot()
        let masked = Tensor.where(allowed, scores, Tensor(-Float.infinity))
        let composite = masked.softmax().matmul(v)
        for (x, y) in zip(fused.data, composite.data) { XCTAssertEqual(x, y, accuracy: 1e-5) }
    }
}

extension Tensor {
    /// A leaf copy of this tensor that requires gradients (test helper).
    func requiringGrad() -> Tensor { Tensor(data, shape: shape, requiresGrad: true) }
}
