import XCTest

@testable import FleetTensor

/// ``MLPPass`` gives the bits of the graph path (outputs and every parameter's gradient), and
/// ``SideThread`` runs both halves of the work.
final class MLPPassTests: XCTestCase {
    /// A loss with several consumers of the output, as PPO's: log-softmax read twice, a square.
    func loss(_ output: Tensor) -> Tensor {
        let logp = output.logSoftmax()
        let picked = logp.gather(axis: 1, indices: (0..<output.shape[0]).map { $0 % output.shape[1] })
        let entropy = -(logp.exp() * logp).sum(axis: 1)
        return picked.mean() - entropy.mean() * 0.01 + (output * output).mean() * 0.5
    }

    func twins(_ sizes: [Int], _ activation: MLP.Activation) -> (MLP, MLP) {
        var g1 = RandomGenerator(seed: 5), g2 = RandomGenerator(seed: 5)
        return (MLP(sizes: sizes, activation: activation, using: &g1), MLP(sizes: sizes, activation: activation, using: &g2))
    }

    func gradients(_ mlp: MLP) -> [[Float]] { mlp.namedParameters().map { $0.tensor.grad ?? [] } }

    func testGradientsHaveTheGraphsBits() {
        for activation in MLP.Activation.allCases {
            for sizes in [[4, 64, 64, 2], [3, 16, 5], [7, 2]] {
                let (graphMLP, passMLP) = twins(sizes, activation)
                let pass = MLPPass(passMLP)
                var generator = RandomGenerator(seed: 9)
                // Two passes of different sizes: the buffers are reused and resized, gradients add up.
                for rows in [128, 37] {
                    let x = (0..<(rows * sizes[0])).map { _ in Float(generator.nextDouble() * 4 - 2) }
                    let graphOutput = graphMLP(Tensor(x, shape: [rows, sizes[0]]))
                    loss(graphOutput).backward()
                    let passOutput = x.withUnsafeBufferPointer { pass.forward($0, rows: rows) }
                    XCTAssertEqual(passOutput.shape, graphOutput.shape)
                    XCTAssertEqual(passOutput.data, graphOutput.data, "\(sizes) \(activation) outputs")
                    loss(passOutput).backward()
                    pass.backward()
                    XCTAssertEqual(gradients(passMLP), gradients(graphMLP), "\(sizes) \(activation) rows \(rows)")
                }
            }
        }
    }

    func testBackwardWithoutAGradientChangesNothing() {
        let (_, mlp) = twins([4, 8, 2], .tanh)
        let pass = MLPPass(mlp)
        let x = [Float](repeating: 0.5, count: 8)
        _ = x.withUnsafeBufferPointer { pass.forward($0, rows: 2) }
        pass.backward()
        XCTAssertTrue(mlp.namedParameters().allSatisfy { $0.tensor.grad == nil })
    }

    func testPassesOnTwoThreadsGiveTheSameBitsAsOnOne() {
        let (a1, a2) = twins([4, 64, 64, 2], .tanh)
        let (c1, c2) = twins([4, 64, 64, 1], .tanh)
        let side = SideThread()
        var generator = RandomGenerator(seed: 3)
        let x = (0..<(128 * 4)).map { _ in Float(generator.nextDouble()) }
        let passes = [MLPPass(a1), MLPPass(c1), MLPPass(a2), MLPPass(c2)]
        for _ in 0..<50 {
            var outputs = [Tensor?](repeating: nil, count: 4)
            x.withUnsafeBufferPointer { x in
                outputs[0] = passes[0].forward(x, rows: 128)
                outputs[1] = passes[1].forward(x, rows: 128)
                var sideOutput: Tensor?
                side.run({ sideOutput = passes[3].forward(x, rows: 128) }, beside: { outputs[2] = passes[2].forward(x, rows: 128) })
                outputs[3] = sideOutput
            }
            for output in outputs { (output! * output!).mean().backward() }
            passes[0].backward()
            passes[1].backward()
            side.run({ passes[3].backward() }, beside: { passes[2].backward() })
        }
        XCTAssertEqual(gradients(a1), gradients(a2))
        XCTAssertEqual(gradients(c1), gradients(c2))
    }

    func testSideThreadRunsBothHalvesEveryTime() {
        let side = SideThread()
        var first = 0, second = 0
        for round in 0..<10_000 {
            side.run({ second += round }, beside: { first += round })
            if round % 1000 == 0 { usleep(2000) }  // long enough for the thread to go to sleep
        }
        XCTAssertEqual(first, 49_995_000)
        XCTAssertEqual(second, 49_995_000)
    }
}
