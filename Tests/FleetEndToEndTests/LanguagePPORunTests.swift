import Foundation
import FleetProcessTesting
import XCTest

/// Language PPO as a user runs it: `fleet train cluster/addition-ppo.yaml` (shrunk, from scratch),
/// with capture, then `fleet replay` of its capture ending with the live run's `weights_sha256`.
final class LanguagePPORunTests: XCTestCase {
    func testTrainLanguagePPOAndReplayItsCapture() throws {
        let directory = try makeTestDirectory("fleet-language-ppo")
        let runDir = directory.appendingPathComponent("live")
        let config = TrainTests.packageRoot.appendingPathComponent("cluster/addition-ppo.yaml").path
        let tiny = [
            "init_checkpoint=null", "task=addition-1", "model.width=32", "model.layers=1", "num_actors=1", "max_policy_lag=0",
            "train_batch_size=8", "prompts_per_batch=4", "ppo_mini_batch_size=4", "total_training_steps=4",
            "eval_prompts=10", "eval_every=2", "critic_warmup=1",
        ]
        let train = try FleetProcess.run(
            ["train", config, "--capture", "--run-dir", runDir.path] + tiny.flatMap { ["--set", $0] })
        XCTAssertEqual(train.status, 0, train.stderr)
        let summary = try readJSONObject(runDir.appendingPathComponent("summary.json"))
        XCTAssertEqual(summary["algorithm"] as? String, "ppo")
        XCTAssertEqual(summary["env"] as? String, "addition-1")
        XCTAssertEqual(summary["policy_version"] as? Int, 4)
        let live = try XCTUnwrap(summary["weights_sha256"] as? String)
        let written = try String(contentsOf: runDir.appendingPathComponent("config.yaml"), encoding: .utf8)
        XCTAssertTrue(written.contains("trains_on: task"), written)
        let metrics = try String(contentsOf: runDir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        for tag in ["critic/vf_loss", "critic/vf_clipfrac", "critic/values/mean", "critic/returns/mean", "actor/pg_loss",
                    "actor/reward_kl_penalty", "actor/reward_kl_penalty_coeff", "response_length/mean", "eval/accuracy"] {
            XCTAssertTrue(metrics.contains("\"\(tag)\""), "metrics.jsonl lacks \(tag)")
        }

        let replayDir = directory.appendingPathComponent("replay")
        let replay = try FleetProcess.run(["replay", runDir.appendingPathComponent("captures").path, "--run-dir", replayDir.path])
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        XCTAssertTrue(replay.stdout.contains("matches the live run's weights_sha256"), replay.stdout)
        XCTAssertEqual(try readJSONObject(replayDir.appendingPathComponent("summary.json"))["weights_sha256"] as? String, live)
    }
}
