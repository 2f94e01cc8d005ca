import FleetConfig
import FleetEnvironments
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

    /// A PPO run's hash is the same whatever TRPO's and REINFORCE's keys say (so it is what it was
    /// before they existed); each algorithm's own keys change its hash.
    func testTRPOAndREINFORCEKeysChangeTheirOwnAlgorithmsHashOnly() throws {
        func hash(_ overrides: [String]) throws -> String { try RunConfig(file: nil, overrides: overrides).resolved.learningSHA256 }
        let ppo = try hash([])
        XCTAssertEqual(ppo, try hash(["max_kl=0.02", "cg_iterations=3", "cg_damping=0.5", "vf_iterations=9", "reinforce_baseline=none"]))
        let trpo = try hash(["algorithm=trpo"])
        XCTAssertNotEqual(trpo, ppo)
        for key in ["max_kl=0.02", "cg_iterations=3", "cg_damping=0.5", "vf_iterations=9"] {
            XCTAssertNotEqual(try hash(["algorithm=trpo", key]), trpo, key)
        }
        XCTAssertEqual(try hash(["algorithm=trpo", "reinforce_baseline=none"]), trpo)
        let reinforce = try hash(["algorithm=reinforce"])
        XCTAssertNotEqual(try hash(["algorithm=reinforce", "reinforce_baseline=none"]), reinforce)
        XCTAssertEqual(try hash(["algorithm=reinforce", "max_kl=0.02"]), reinforce)
    }
    /// `ppo_micro_batch_size` counts only when set: unset, every hash is what it was before the
    /// key existed; set, it changes the hash (micro-batches round differently from one pass).
    func testMicroBatchSizeCountsOnlyWhenSet() throws {
        func hash(_ overrides: [String]) throws -> String {
            try RunConfig(file: nil, overrides: ["algorithm=grpo"] + overrides).resolved.learningSHA256
        }
        let unset = try hash([])
        XCTAssertEqual(unset, try hash(["ppo_micro_batch_size=null"]))
        XCTAssertNotEqual(unset, try hash(["ppo_micro_batch_size=2"]))
        XCTAssertNotEqual(try hash(["ppo_micro_batch_size=2"]), try hash(["ppo_micro_batch_size=4"]))
        let config = try RunConfig(file: nil, overrides: ["algorithm=grpo", "ppo_micro_batch_size=2"])
        XCTAssertEqual(config.language.microBatchSize, 2)
        XCTAssertEqual(config.grpoSettings(for: AdditionTask(digits: 2)).microBatchSize, 2)
        XCTAssertNil(try RunConfig(file: nil, overrides: ["algorithm=grpo"]).language.microBatchSize)
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["ppo_micro_batch_size=0"]))
    }
}
