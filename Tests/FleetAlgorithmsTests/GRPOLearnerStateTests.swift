import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// A GRPO learner restored from an exported state continues bit-identically; a state that does not
/// fit changes nothing.
final class GRPOLearnerStateTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    private func makeLearner(seed: UInt64, beta: Double = 0.04, warmup: Int = 3) -> GRPOLearner {
        var settings = GRPOSettings.grpo(learningRate: 1e-2, maxResponseLength: 4)
        settings.beta = beta
        settings.warmupSteps = warmup
        settings.ppoEpochs = 2
        settings.miniBatchSize = 2
        return GRPOLearner(policy: GRPOLearnerTests.model(seed: seed), settings: settings, seed: seed)
    }

    func testRestoredLearnerContinuesBitIdentically() throws {
        for beta in [0.04, 0.0] {
            let original = makeLearner(seed: 1, beta: beta)
            for round in 0..<2 {
                _ = original.update(GRPOLearnerTests.groups(model: original.policy, seed: UInt64(10 + round)))
            }
            // Another seed: other weights, another reference, another generator.
            let restored = makeLearner(seed: 7, beta: beta)
            try restored.restoreState(original.exportState())
            XCTAssertEqual(restored.exportState(), original.exportState())

            let next = GRPOLearnerTests.groups(model: original.policy, seed: 20)
            let a = original.update(next), b = restored.update(next)
            XCTAssertEqual(a, b, "beta \(beta)")
            XCTAssertEqual(
                restored.policy.namedParameters().flatMap { $0.tensor.data.map(\.bitPattern) },
                original.policy.namedParameters().flatMap { $0.tensor.data.map(\.bitPattern) }, "beta \(beta)")
            XCTAssertEqual(restored.exportState(), original.exportState())
        }
    }

    func testTheReferencePolicyIsRestoredToo() throws {
        let original = makeLearner(seed: 1)
        let restored = makeLearner(seed: 2)
        XCTAssertNotEqual(restored.exportState().referenceParameters, original.exportState().referenceParameters)
        try restored.restoreState(original.exportState())
        XCTAssertEqual(restored.exportState().referenceParameters, original.exportState().referenceParameters)
    }

    func testAStateThatDoesNotFitChangesNothing() {
        let withReference = makeLearner(seed: 1, beta: 0.04)
        let withoutReference = makeLearner(seed: 2, beta: 0)
        let before = withoutReference.exportState()
        XCTAssertThrowsError(try withoutReference.restoreState(withReference.exportState())) { error in
            XCTAssertTrue("\(error)".contains("reference"), "\(error)")
        }
        XCTAssertEqual(withoutReference.exportState(), before)

        var wider = withReference.exportState()
        wider.parameters[0].shape[0] += 1
        XCTAssertThrowsError(try withoutReference.restoreState(wider))
        var badGenerator = before
        badGenerator.generatorState = [0, 0, 0, 0]
        XCTAssertThrowsError(try withoutReference.restoreState(badGenerator)) { error in
            XCTAssertEqual(error as? GRPOLearnerStateError, .invalid("generator state"))
        }
        XCTAssertEqual(withoutReference.exportState(), before)
    }
}
