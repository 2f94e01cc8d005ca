import Foundation
import XCTest

@testable import FleetTensor

/// SGD, Adam and AdamW against straightforward reference implementations in `Double`, written
/// from the papers' formulas (not from the optimizers' code).
final class OptimizerTests: XCTestCase {
    /// The test problem: f(p) = sum(c * p^2 / 2 + b * p), gradient c * p + b, minimum at -b / c.
    /// 22 elements: a [4, 4] weight (two eight-lane blocks) and a [6] bias (the one-at-a-time tail).
    static let c: [Double] = (0..<22).map { 0.25 + Double($0 % 7) * 0.45 }
    static let b: [Double] = (0..<22).map { Double(($0 * 5) % 11) * 0.3 - 1.5 }
    static let start: [Float] = (0..<22).map { Float(($0 * 3) % 13) * 0.25 - 1.5 }

    static func gradient(_ p: [Double]) -> [Double] { zip(zip(p, c), b).map { $0.0 * $0.1 + $1 } }

    /// Two named parameters over the 22 elements.
    func makeParameters() -> [(name: String, tensor: Tensor)] {
        [("layer.weight", Tensor(Array(Self.start[0..<16]), shape: [4, 4], requiresGrad: true)),
         ("layer.bias", Tensor(Array(Self.start[16..<22]), shape: [6], requiresGrad: true))]
    }

    func values(_ parameters: [(name: String, tensor: Tensor)]) -> [Float] { parameters.flatMap(\.tensor.data) }

    /// Sets each parameter's gradient from the problem's gradient at the current values.
    func setGradients(_ parameters: [(name: String, tensor: Tensor)]) {
        let g = Self.gradient(values(parameters).map(Double.init)).map(Float.init)
        parameters[0].tensor.grad = Array(g[0..<16])
        parameters[1].tensor.grad = Array(g[16..<22])
    }

    func assertClose(_ actual: [Float], _ expected: [Double], relative: Double = 1e-6,
                     file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(Double(a), e, accuracy: relative * Swift.max(abs(e), 1), "\(actual) vs \(expected)", file: file, line: line)
        }
    }

    // MARK: - Adam and AdamW

    /// Adam / AdamW in Double: m, v, bias-corrected m̂ and v̂, p -= lr m̂ / (sqrt(v̂) + eps).
    func referenceAdam(steps: Int, lr: Double, beta1: Double = 0.9, beta2: Double = 0.999, eps: Double,
                       l2: Double = 0, decoupled: Double = 0) -> [Double] {
        var p = Self.start.map(Double.init)
        var m = [Double](repeating: 0, count: p.count), v = m
        for t in 1...steps {
            var g = Self.gradient(p)
            for i in p.indices {
                g[i] += l2 * p[i]
                p[i] -= lr * decoupled * p[i]
                m[i] = beta1 * m[i] + (1 - beta1) * g[i]
                v[i] = beta2 * v[i] + (1 - beta2) * g[i] * g[i]
                let mHat = m[i] / (1 - pow(beta1, Double(t)))
                let vHat = v[i] / (1 - pow(beta2, Double(t)))
                p[i] -= lr * mHat / (vHat.squareRoot() + eps)
            }
        }
        return p
    }

    func testAdamMatchesReference() {
        let params = makeParameters()
        let adam = Adam(params, learningRate: 0.01)
        for _ in 0..<10 {
            adam.zeroGrad()
            setGradients(params)
            adam.step()
        }
        assertClose(values(params), referenceAdam(steps: 10, lr: 0.01, eps: 1e-8))
    }

    func testAdamWithPPOSettingsAndL2DecayMatchesReference() {
        let params = makeParameters()
        let adam = Adam(params, learningRate: 2.5e-4, beta1: 0.8, beta2: 0.99, eps: 1e-5, weightDecay: 0.1)
        for _ in 0..<7 {
            setGradients(params)
            adam.step()
        }
        assertClose(values(params), referenceAdam(steps: 7, lr: 2.5e-4, beta1: 0.8, beta2: 0.99, eps: 1e-5, l2: 0.1))
    }

    func testAdamWMatchesReference() {
        let params = makeParameters()
        let adamw = AdamW(params, learningRate: 0.05, weightDecay: 0.2)
        for _ in 0..<10 {
            setGradients(params)
            adamw.step()
        }
        assertClose(values(params), referenceAdam(steps: 10, lr: 0.05, eps: 1e-8, decoupled: 0.2))
        // Decoupled decay differs from L2 decay: the two must not agree.
        let l2 = referenceAdam(steps: 10, lr: 0.05, eps: 1e-8, l2: 0.2)
        XCTAssertGreaterThan(zip(values(params), l2).map { abs(Double($0) - $1) }.max()!, 1e-4)
    }

    /// The eight-lane path and the one-at-a-time tail give the same bits: one 37-element parameter
    /// (four SIMD blocks and a tail of 5) against the same values as 37 one-element parameters.
    func testLanesAndTailAgreeBitwise() {
        var rng = RandomGenerator(seed: 3)
        let values = (0..<37).map { _ in Float(rng.nextGaussian()) }
        let grads = (0..<6).map { _ in (0..<37).map { _ in Float(rng.nextGaussian()) } }
        let makers: [(String, ([(name: String, tensor: Tensor)]) -> any Optimizer)] = [
            ("adam", { Adam($0, learningRate: 0.01, eps: 1e-5, weightDecay: 0.1) }),
            ("adamw", { AdamW($0, learningRate: 0.01) }),
            ("sgd", { SGD($0, learningRate: 0.01, momentum: 0.9, nesterov: true, weightDecay: 0.1) }),
        ]
        for (label, make) in makers {
            let whole = Tensor(values, requiresGrad: true)
            let pieces = values.map { Tensor([$0], requiresGrad: true) }
            let a = make([("whole", whole)])
            let b = make(pieces.enumerated().map { (name: "p\($0.offset)", tensor: $0.element) })
            for g in grads {
                whole.grad = g
                for (k, piece) in pieces.enumerated() { piece.grad = [g[k]] }
                a.step()
                b.step()
            }
            XCTAssertEqual(whole.data.map(\.bitPattern), pieces.map { $0.data[0].bitPattern }, label)
            XCTAssertNotEqual(whole.data, values, label)
        }
    }

    func testAdamWDefaultsMatchPyTorch() {
        let adamw = AdamW(makeParameters())
        XCTAssertEqual([adamw.learningRate, adamw.beta1, adamw.beta2, adamw.eps, adamw.weightDecay], [1e-3, 0.9, 0.999, 1e-8, 0.01])
        let adam = Adam(makeParameters())
        XCTAssertEqual([adam.learningRate, adam.beta1, adam.beta2, adam.eps, adam.weightDecay], [1e-3, 0.9, 0.999, 1e-8, 0])
    }

    /// A tiny gradient: with eps 1e-8 the first step is almost lr (Adam normalizes), with eps 1e-5
    /// it is lr * g / (g + eps) = lr / 11.
    func testAdamEpsilonEffect() {
        for (eps, expected) in [(1e-8, -0.1 * 1e-6 / (1e-6 + 1e-8)), (1e-5, -0.1 / 11)] {
            let p = Tensor([0], requiresGrad: true)
            p.grad = [1e-6]
            let adam = Adam([("p", p)], learningRate: 0.1, eps: eps)
            adam.step()
            XCTAssertEqual(Double(p.data[0]), expected, accuracy: 1e-6 * abs(expected), "eps \(eps)")
        }
    }

    // MARK: - SGD

    func referenceSGD(steps: Int, lr: Double, momentum: Double, dampening: Double = 0, nesterov: Bool = false,
                      weightDecay: Double = 0) -> [Double] {
        var p = Self.start.map(Double.init)
        var buffer: [Double]? = nil
        for _ in 0..<steps {
            var g = Self.gradient(p)
            for i in p.indices { g[i] += weightDecay * p[i] }
            if momentum != 0 {
                if let old = buffer {
                    buffer = zip(old, g).map { momentum * $0 + (1 - dampening) * $1 }
                } else {
                    buffer = g
                }
                g = nesterov ? zip(g, buffer!).map { $0 + momentum * $1 } : buffer!
            }
            for i in p.indices { p[i] -= lr * g[i] }
        }
        return p
    }

    func testSGDVariantsMatchReference() {
        let cases: [(momentum: Double, dampening: Double, nesterov: Bool, weightDecay: Double)] = [
            (0, 0, false, 0), (0, 0, false, 0.1), (0.9, 0, false, 0), (0.9, 0.5, false, 0.01), (0.9, 0, true, 0.05),
        ]
        for c in cases {
            let params = makeParameters()
            let sgd = SGD(params, learningRate: 0.05, momentum: c.momentum, dampening: c.dampening,
                          nesterov: c.nesterov, weightDecay: c.weightDecay)
            for _ in 0..<8 {
                setGradients(params)
                sgd.step()
            }
            assertClose(values(params), referenceSGD(steps: 8, lr: 0.05, momentum: c.momentum, dampening: c.dampening,
                                                      nesterov: c.nesterov, weightDecay: c.weightDecay))
        }
    }

    // MARK: - Behaviour

    /// Every optimizer, driven by autodiff, walks a quadratic bowl to its minimum (the sign is right).
    func testOptimizersConvergeOnAQuadratic() {
        let target = Tensor([3, -2, 0.5, 1], shape: [4])
        let makers: [(String, ([(name: String, tensor: Tensor)]) -> any Optimizer)] = [
            ("sgd", { SGD($0, learningRate: 0.1, momentum: 0.9) }),
            ("adam", { Adam($0, learningRate: 0.05) }),
            ("adamw", { AdamW($0, learningRate: 0.05, weightDecay: 0) }),
        ]
        for (label, make) in makers {
            let p = Tensor.zeros([4], requiresGrad: true)
            let optimizer = make([("p", p)])
            for _ in 0..<500 {
                optimizer.zeroGrad()
                let d = p - target
                (d * d).sum().backward()
                optimizer.step()
            }
            for (x, y) in zip(p.data, target.data) { XCTAssertEqual(x, y, accuracy: 1e-3, label) }
        }
    }

    /// A parameter without a gradient is not touched and its step count does not advance.
    func testParametersWithoutGradientAreSkipped() {
        let used = Tensor([1, 2], requiresGrad: true), unused = Tensor([5, 6], requiresGrad: true)
        let adam = Adam([("used", used), ("unused", unused)], learningRate: 0.1)
        used.grad = [1, -1]
        adam.step()
        adam.step()
        XCTAssertEqual(unused.data, [5, 6])
        XCTAssertNotEqual(used.data, [1, 2])
        let steps = Dictionary(uniqueKeysWithValues: adam.exportState().counters.map { ($0.name, $0.value) })
        XCTAssertEqual(steps, ["used.step": 2, "unused.step": 0])
        let sgd = SGD([("used", used), ("unused", unused)], learningRate: 0.1, momentum: 0.9)
        sgd.step()
        XCTAssertEqual(unused.data, [5, 6])
    }

    /// The learning rate is read at each step: a schedule can change it between updates.
    func testLearningRateIsSettable() {
        let p = Tensor([0], requiresGrad: true)
        let sgd = SGD([("p", p)], learningRate: 1)
        p.grad = [1]
        sgd.step()
        sgd.learningRate = 0.5
        sgd.step()
        XCTAssertEqual(p.data, [-1.5])
    }

    /// No allocation per step, checked through identity: the moment buffers, the parameters'
    /// storage and the gradients' storage keep their addresses across steps (a copy-on-write or
    /// a re-allocated buffer would move them). Counting every allocation would need an allocator
    /// hook: glibc 2.34+ has no malloc hooks, and the Swift runtime's instrumentation hook
    /// (`_swift_allocObject`) crashed in its retain adapter when tried, so this test does not count.
    func testStepKeepsEveryBufferInPlace() {
        let params = makeParameters()
        let adam = Adam(params, learningRate: 0.01)
        let sgd = SGD(params, learningRate: 0.01, momentum: 0.9)
        setGradients(params)
        func addresses() -> [UnsafeRawPointer] {
            params.flatMap { p in
                [p.tensor.data.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) },
                 p.tensor.grad!.withUnsafeBufferPointer { UnsafeRawPointer($0.baseAddress!) }]
            } + [UnsafeRawPointer(adam.core.m.storage.baseAddress!), UnsafeRawPointer(adam.core.v.storage.baseAddress!),
                 UnsafeRawPointer(sgd.buffers!.storage.baseAddress!)]
        }
        let before = addresses()
        // Checked after every call: a copy each call would alternate between two addresses.
        for _ in 0..<3 {
            adam.step()
            XCTAssertEqual(addresses(), before, "Adam")
            sgd.step()
            XCTAssertEqual(addresses(), before, "SGD")
            clipGradientNorm(params, maxNorm: 0.1)
            XCTAssertEqual(addresses(), before, "clipping")
            adam.zeroGrad()
            XCTAssertEqual(addresses(), before, "zeroGrad")
        }
    }
}
