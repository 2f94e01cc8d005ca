import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// The categorical policy objective in plain loops has the bits of the graph it replaces: the
/// loss, the entropy, the objective, the log-ratios and the gradient with respect to the logits.
final class CategoricalPolicyObjectiveTests: XCTestCase {
    struct Case {
        var logits: [Float], actions: [Int], oldLogProbs: [Float], advantages: [Float]
        var width: Int, clipCoef: Float, entCoef: Float
        var rows: Int { actions.count }
    }

    /// The graph's values: what PPO's minibatch loop recorded before the loops replaced it.
    func graph(_ c: Case) -> (loss: Float, entropy: Float, objective: Float, logRatios: [Float], gradient: [Float]) {
        let logits = Tensor(c.logits, shape: [c.rows, c.width], requiresGrad: true)
        let pi = Categorical(logits: logits)
        let logRatio = pi.logProb(c.actions) - Tensor(c.oldLogProbs, shape: [c.rows])
        let loss = PPOLoss.policyLoss(ratio: logRatio.exp(), advantages: Tensor(c.advantages, shape: [c.rows]), clipCoef: c.clipCoef)
        let entropy = pi.entropy().mean()
        let objective = loss - entropy * c.entCoef
        objective.backward()
        return (loss.item, entropy.item, objective.item, logRatio.data, logits.grad!)
    }

    func assertSameBits(_ c: Case, file: StaticString = #filePath, line: UInt = #line) {
        let expected = graph(c)
        var fused = CategoricalPolicyObjective()
        // Twice: the second evaluation reuses the buffers.
        for _ in 0..<2 {
            c.logits.withUnsafeBufferPointer {
                fused.evaluate(logits: $0, rows: c.rows, actions: c.actions, oldLogProbs: c.oldLogProbs,
                               advantages: c.advantages, clipCoef: c.clipCoef, entCoef: c.entCoef)
            }
            XCTAssertEqual(fused.policyLoss.bitPattern, expected.loss.bitPattern, "loss", file: file, line: line)
            XCTAssertEqual(fused.entropy.bitPattern, expected.entropy.bitPattern, "entropy", file: file, line: line)
            XCTAssertEqual(fused.objective.bitPattern, expected.objective.bitPattern, "objective", file: file, line: line)
            XCTAssertEqual(fused.logRatios.map(\.bitPattern), expected.logRatios.map(\.bitPattern), "log-ratios", file: file, line: line)
            XCTAssertEqual(fused.logitGradient.map(\.bitPattern), expected.gradient.map(\.bitPattern), "gradient", file: file, line: line)
        }
    }

    func randomCase(rows: Int, width: Int, seed: UInt64, clipCoef: Float = 0.2, entCoef: Float = 0.01) -> Case {
        var generator = RandomGenerator(seed: seed)
        func uniform(_ low: Double, _ high: Double) -> Float { Float(low + (high - low) * generator.nextDouble()) }
        let logits = (0..<(rows * width)).map { _ in uniform(-3, 3) }
        let actions = (0..<rows).map { _ in generator.nextInt(below: width) }
        // Old log-probabilities near the new ones, so that ratios fall inside and outside the clip.
        let logp = Tensor(logits, shape: [rows, width]).logSoftmax().data
        let oldLogProbs = (0..<rows).map { logp[$0 * width + actions[$0]] + uniform(-0.4, 0.4) }
        let advantages = (0..<rows).map { _ in uniform(-2, 2) }
        return Case(logits: logits, actions: actions, oldLogProbs: oldLogProbs, advantages: advantages,
                    width: width, clipCoef: clipCoef, entCoef: entCoef)
    }

    func testRandomMinibatchesHaveTheGraphsBits() {
        for (seed, (rows, width)) in [(128, 2), (37, 3), (1, 2), (64, 18), (5, 1)].enumerated() {
            assertSameBits(randomCase(rows: rows, width: width, seed: UInt64(seed)))
        }
        assertSameBits(randomCase(rows: 50, width: 4, seed: 9, entCoef: 0))
        assertSameBits(randomCase(rows: 50, width: 4, seed: 10, clipCoef: 0.1, entCoef: 0.5))
    }

    func testTiesAndBoundariesHaveTheGraphsBits() {
        // Ratios of exactly 1 (the first minibatch at lag 0), zero advantages (the max's tie),
        // and ratios exactly at the clip's bounds.
        var c = randomCase(rows: 16, width: 2, seed: 3)
        let logp = Tensor(c.logits, shape: [16, 2]).logSoftmax().data
        for r in 0..<16 { c.oldLogProbs[r] = logp[r * 2 + c.actions[r]] }
        for r in stride(from: 0, to: 16, by: 3) { c.advantages[r] = 0 }
        assertSameBits(c)
        for r in 0..<4 { c.oldLogProbs[r] = logp[r * 2 + c.actions[r]] - Foundation.log(Float(1.2)) }
        for r in 4..<8 { c.oldLogProbs[r] = logp[r * 2 + c.actions[r]] - Foundation.log(Float(0.8)) }
        assertSameBits(c)
    }

    func testNonFiniteInputsGiveTheGraphsNonFiniteObjective() {
        var c = randomCase(rows: 8, width: 2, seed: 4)
        c.advantages[3] = .nan
        var fused = CategoricalPolicyObjective()
        c.logits.withUnsafeBufferPointer {
            fused.evaluate(logits: $0, rows: c.rows, actions: c.actions, oldLogProbs: c.oldLogProbs,
                           advantages: c.advantages, clipCoef: c.clipCoef, entCoef: c.entCoef)
        }
        XCTAssertFalse(fused.objective.isFinite)
        XCTAssertFalse(graph(c).objective.isFinite)
    }
}
