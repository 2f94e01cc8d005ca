import XCTest

@testable import FleetTensor

/// Exporting and importing optimizer state: bit-exact, resumable, and refused when it does not fit.
final class OptimizerStateTests: XCTestCase {
    func makeParameters(seed: UInt64 = 1) -> [(name: String, tensor: Tensor)] {
        var rng = RandomGenerator(seed: seed)
        func values(_ n: Int) -> [Float] { (0..<n).map { _ in Float(rng.nextGaussian()) } }
        return [("w", Tensor(values(6), shape: [2, 3], requiresGrad: true)),
                ("b", Tensor(values(3), shape: [3], requiresGrad: true))]
    }

    /// Deterministic pseudo-gradients that depend on the parameters and the step.
    func setGradients(_ parameters: [(name: String, tensor: Tensor)], step: Int) {
        for (k, p) in parameters.enumerated() {
            p.tensor.grad = p.tensor.data.enumerated().map { i, x in x * 0.5 + Float(i - k) * 0.1 + Float(step % 3) * 0.01 }
        }
    }

    func bits(_ parameters: [(name: String, tensor: Tensor)]) -> [UInt32] {
        parameters.flatMap { $0.tensor.data.map(\.bitPattern) }
    }

    func train(_ optimizer: any Optimizer, steps: Range<Int>) {
        for s in steps {
            setGradients(optimizer.parameters, step: s)
            optimizer.step()
        }
    }

    /// Train 5 steps, save; restore into a fresh optimizer over copied parameters; 5 more steps each:
    /// identical bits.
    func testResumeIsBitExact() {
        let makers: [([(name: String, tensor: Tensor)]) -> any Optimizer] = [
            { Adam($0, learningRate: 0.01, eps: 1e-5) },
            { AdamW($0, learningRate: 0.01) },
            { SGD($0, learningRate: 0.01, momentum: 0.9, nesterov: true) },
            { SGD($0, learningRate: 0.01) },
        ]
        for make in makers {
            let original = make(makeParameters())
            train(original, steps: 0..<5)
            let state = original.exportState()
            let copies = original.parameters.map { (name: $0.name, tensor: Tensor($0.tensor.data, shape: $0.tensor.shape, requiresGrad: true)) }
            let restored = make(copies)
            XCTAssertNoThrow(try restored.importState(state))
            XCTAssertEqual(restored.exportState(), state)
            train(original, steps: 5..<10)
            train(restored, steps: 5..<10)
            XCTAssertEqual(bits(restored.parameters), bits(original.parameters), state.kind)
        }
    }

    func testStateNamesFollowPyTorch() {
        let adam = Adam(makeParameters())
        let state = adam.exportState()
        XCTAssertEqual(state.kind, "adam")
        XCTAssertEqual(state.counters.map(\.name), ["w.step", "b.step"])
        XCTAssertEqual(state.buffers.map(\.name), ["w.exp_avg", "w.exp_avg_sq", "b.exp_avg", "b.exp_avg_sq"])
        XCTAssertEqual(state.buffers.map(\.shape), [[2, 3], [2, 3], [3], [3]])
        XCTAssertEqual(SGD(makeParameters(), learningRate: 1, momentum: 0.5).exportState().buffers.map(\.name),
                       ["w.momentum_buffer", "b.momentum_buffer"])
        XCTAssertEqual(SGD(makeParameters(), learningRate: 1).exportState().buffers, [])
    }

    /// Every refusal names what differs, and a refused state changes nothing.
    func testMismatchedStatesAreRefused() {
        let source = Adam(makeParameters())
        train(source, steps: 0..<2)
        let good = source.exportState()
        let target = Adam(makeParameters(seed: 9))
        let before = target.exportState()

        func expect(_ state: OptimizerState, _ error: OptimizerStateError, line: UInt = #line) {
            XCTAssertThrowsError(try target.importState(state), line: line) {
                XCTAssertEqual($0 as? OptimizerStateError, error, line: line)
            }
            XCTAssertEqual(target.exportState(), before, "a refused state must change nothing", line: line)
        }

        var s = good
        s.kind = "adamw"
        expect(s, .kindMismatch(expected: "adam", found: "adamw"))
        XCTAssertThrowsError(try AdamW(makeParameters()).importState(good))

        s = good
        s.buffers.remove(at: 3)
        expect(s, .missingEntry(name: "b.exp_avg_sq"))

        s = good
        s.counters.removeFirst()
        expect(s, .missingEntry(name: "w.step"))

        s = good
        s.buffers.append(.init(name: "c.exp_avg", shape: [1], values: [0]))
        expect(s, .unexpectedEntry(name: "c.exp_avg"))

        s = good
        s.counters.append(.init(name: "w.step", value: 1))
        expect(s, .duplicateEntry(name: "w.step"))

        s = good
        s.buffers.append(s.buffers[1])
        expect(s, .duplicateEntry(name: "w.exp_avg_sq"))

        s = good
        s.buffers[0].shape = [3, 2]
        expect(s, .shapeMismatch(name: "w.exp_avg", expected: [2, 3], found: [3, 2]))

        s = good
        s.buffers[2].values.append(1)
        expect(s, .countMismatch(name: "b.exp_avg", expected: 3, found: 4))

        s = good
        s.counters[1].value = -1
        expect(s, .invalidCounter(name: "b.step", value: -1))

        XCTAssertNoThrow(try target.importState(good))
        XCTAssertEqual(target.exportState(), good)
        XCTAssertEqual("\(OptimizerStateError.missingEntry(name: "w.step"))", "optimizer state lacks \"w.step\"")
    }

    /// Buffer equality compares bit patterns: -0.0 and 0.0 differ, NaN equals itself.
    func testBufferEqualityIsBitwise() {
        let a = OptimizerState.Buffer(name: "x", shape: [2], values: [0, .nan])
        XCTAssertEqual(a, a)
        XCTAssertNotEqual(a, OptimizerState.Buffer(name: "x", shape: [2], values: [-0.0, .nan]))
    }
}
