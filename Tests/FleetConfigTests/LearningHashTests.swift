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

    func testDatasetKeysChangeTheLearningHashOfDatasetTasksOnly() throws {
        func hash(_ overrides: [String]) throws -> String {
            try RunConfig(file: nil, overrides: ["algorithm=grpo"] + overrides).resolved.learningSHA256
        }
        let dataset = ["task=dataset", "dataset.train=t.jsonl"]
        XCTAssertNotEqual(try hash(dataset), try hash(dataset + ["verifier=numeric"]))
        XCTAssertNotEqual(try hash(dataset), try hash(dataset + ["prompt_template=\"Q: {prompt}\""]))
        XCTAssertNotEqual(try hash(dataset), try hash(["task=dataset", "dataset.train=u.jsonl"]))
        XCTAssertNotEqual(try hash(dataset), try hash(["task=addition-2"]))
    }
}
