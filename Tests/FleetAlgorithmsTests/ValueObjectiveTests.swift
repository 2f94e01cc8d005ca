import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// The value objective in plain loops has the bits of the graph it replaces: loss, objective and
/// the gradient with respect to the values, clipped and unclipped.
final class ValueObjectiveTests: XCTestCase {
    func assertSameBits(values: [Float], oldValues: [Float], returns: [Float], clipCoef: Float?, vfCoef: Float,
                        file: StaticString = #filePath, line: UInt = #line) {
        let m = values.count
        let leaf = Tensor(values, shape: [m, 1], requiresGrad: true)
        let loss = PPOLoss.valueLoss(
            values: leaf.reshaped([m]), oldValues: Tensor(oldValues, shape: [m]), returns: Tensor(returns, shape: [m]),
            clipCoef: clipCoef)
        let objective = loss * vfCoef
        objective.backward()

        var fused = ValueObjective()
        for _ in 0..<2 {
            values.withUnsafeBufferPointer {
                fused.evaluate(values: $0, oldValues: oldValues, returns: returns, clipCoef: clipCoef, vfCoef: vfCoef)
            }
            XCTAssertEqual(fused.loss.bitPattern, loss.item.bitPattern, "loss", file: file, line: line)
            XCTAssertEqual(fused.objective.bitPattern, objective.item.bitPattern, "objective", file: file, line: line)
            XCTAssertEqual(fused.valueGradient.map(\.bitPattern), leaf.grad!.map(\.bitPattern), "gradient", file: file, line: line)
        }
    }

    func testRandomMinibatchesHaveTheGraphsBits() {
        var generator = RandomGenerator(seed: 21)
        func uniform(_ low: Double, _ high: Double) -> Float { Float(low + (high - low) * generator.nextDouble()) }
        for (rows, clipCoef, vfCoef) in [(128, Float(0.2), Float(0.5)), (37, 0.2, 1), (1, 0.1, 0.5), (64, nil, 0.5)] as [(Int, Float?, Float)] {
            let oldValues = (0..<rows).map { _ in uniform(-5, 5) }
            let values = oldValues.map { $0 + uniform(-0.5, 0.5) }
            let returns = oldValues.map { $0 + uniform(-2, 2) }
            assertSameBits(values: values, oldValues: oldValues, returns: returns, clipCoef: clipCoef, vfCoef: vfCoef)
        }
    }

    func testTiesAndBoundariesHaveTheGraphsBits() {
        // Values equal to the old ones (the first minibatch), changes exactly at the clip, and
        // returns that make both squared errors equal.
        let oldValues: [Float] = [1, 2, 3, 4, 5, 6]
        let values: [Float] = [1, 2.25, 2.75, 4.5, 5, 6.25]
        let returns: [Float] = [0, 2.25, 3, 4.25, 5, 7]
        assertSameBits(values: values, oldValues: oldValues, returns: returns, clipCoef: 0.25, vfCoef: 0.5)
        assertSameBits(values: values, oldValues: oldValues, returns: returns, clipCoef: nil, vfCoef: 0.5)
    }
}
