import FleetConfig
import XCTest

/// The learning hash of a config: what changes it and what does not.
final class LearningHashTests: XCTestCase {
    func testDeploymentKeysDoNotChangeTheLearningHash() throws {
        let base = try RunConfig(file: nil).resolved.learningSHA256
        let deployed = try RunConfig(
            file: nil, overrides: ["capture=true", "run_dir=/tmp/x", "endpoints.batches=tcp://*:5555", "actor_timeout=9"]
        ).resolved.learningSHA256
        XCTAssertEqual(base, deployed)
        XCTAssertNotEqual(base, try RunConfig(file: nil, overrides: ["seed=2"]).resolved.learningSHA256)
    }
}
