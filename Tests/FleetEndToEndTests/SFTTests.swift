import Foundation
import FleetProcessTesting
import XCTest

/// `fleet sft`: a warm start on a prompt task's demonstrations, its policy file and summary.
final class SFTTests: XCTestCase {
    func testSFTWritesAPolicyAndItsHeldOutAccuracy() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-sft-tests-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let runDir = directory.appendingPathComponent("run")
        let result = try FleetProcess.run(
            ["sft", "--run-dir", runDir.path]
                + ["algorithm=grpo", "task=addition-1", "sft_steps=6", "sft_batch_size=16", "eval_every=3",
                   "eval_prompts=10", "model.width=32", "model.layers=1"].flatMap { ["--set", $0] }
                + [TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("addition-1 sft seed 1: 96 demonstrations"), result.stdout)
        XCTAssertTrue(
            FileManager.default.fileExists(atPath: runDir.appendingPathComponent("checkpoints/policy-final.fleet").path))
        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["algorithm"] as? String, "sft")
        XCTAssertEqual(summary["env"] as? String, "addition-1")
        let eval = try XCTUnwrap(summary["eval"] as? [String: Any])
        XCTAssertEqual(eval["prompts"] as? Int, 10)
        XCTAssertNotNil(eval["accuracy_start"] as? Double)
        XCTAssertNotNil(eval["accuracy_end"] as? Double)
        let lines = try String(contentsOf: runDir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        XCTAssertEqual(lines.count, 7, "step 0's evaluation and six steps")
    }

    func testATaskThatDoesNotFitTheContextIsAClearError() throws {
        let result = try FleetProcess.run(
            ["sft", TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path]
                + ["algorithm=grpo", "task=addition-6", "model.context_length=8"].flatMap { ["--set", $0] })
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("model.context_length 8 is too short for addition-6"), result.stderr)
    }
}
