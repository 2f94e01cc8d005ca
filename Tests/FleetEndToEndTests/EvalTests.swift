import Foundation
import FleetProcessTesting
import XCTest

/// `fleet eval` on what `fleet train` leaves behind.
final class EvalTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEvalPlaysTheFinalPolicyOfATrainingRun() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-eval-tests-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let runDir = root.appendingPathComponent("run")
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let trained = try FleetProcess.run(["train", config, "--set", "total_timesteps=2048", "--run-dir", runDir.path])
        XCTAssertEqual(trained.status, 0, trained.stderr)

        let policy = runDir.appendingPathComponent("checkpoints/policy-final.fleet")
        XCTAssertTrue(FileManager.default.fileExists(atPath: policy.path), "no final policy at \(policy.path)")

        for target in [runDir.path, policy.path] {
            let result = try FleetProcess.run(["eval", target, "--episodes", "3"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("CartPole-v1: 3 episodes (greedy), return mean"), result.stdout)
            XCTAssertTrue(result.stdout.contains("policy version 4"), result.stdout)  // 2048 / 512 updates
        }
    }

    func testEvalRefusesAFileThatIsNotAPolicy() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-eval-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(
            at: Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml"),
            to: root.appendingPathComponent("config.yaml"))
        let bogus = root.appendingPathComponent("policy.fleet")
        try Data("not a frame".utf8).write(to: bogus)

        let result = try FleetProcess.run(["eval", bogus.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(bogus.path): not a Fleet policy file"), result.stderr)
    }

    /// A tiny language model's settings, so that `fleet sft` and `fleet train` take a fraction of a second.
    private static let tinyLanguage = [
        "algorithm=grpo", "task=addition-1", "model.width=32", "model.layers=1", "rollout_n=4", "prompts_per_batch=4",
        "train_batch_size=8", "ppo_mini_batch_size=8", "eval_prompts=10", "eval_every=2", "sft_steps=6",
        "sft_batch_size=16",
    ].flatMap { ["--set", $0] }

    func testEvalScoresTheLanguagePolicyOfSFTGRPOAndDAPORuns() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-eval-tests-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let sftDir = root.appendingPathComponent("sft")
        let sft = try FleetProcess.run(["sft", config, "--run-dir", sftDir.path] + Self.tinyLanguage)
        XCTAssertEqual(sft.status, 0, sft.stderr)
        let policy = sftDir.appendingPathComponent("checkpoints/policy-final.fleet").path
        var runs = [sftDir]
        for algorithm in ["grpo", "dapo"] {
            let runDir = root.appendingPathComponent(algorithm)
            // filter_groups=false: dynamic sampling would wait long for groups this policy gets partly right.
            let trained = try FleetProcess.run(
                ["train", config, "--run-dir", runDir.path] + Self.tinyLanguage
                    + ["algorithm=\(algorithm)", "total_training_steps=2", "init_checkpoint=\(policy)", "filter_groups=false"]
                    .flatMap { ["--set", $0] })
            XCTAssertEqual(trained.status, 0, trained.stderr)
            runs.append(runDir)
        }

        for runDir in runs {
            let result = try FleetProcess.run(["eval", runDir.path])
            XCTAssertEqual(result.status, 0, "\(runDir.lastPathComponent): \(result.stderr)")
            // The learner's own evaluation of the same policy on the same prompts (eval_prompts, 10)
            // gives the same greedy accuracy; k is the run's pass_k (4 by default).
            let summary = try JSONSerialization.jsonObject(
                with: Data(contentsOf: runDir.appendingPathComponent("summary.json"))) as? [String: Any]
            let accuracy = try XCTUnwrap((summary?["eval"] as? [String: Any])?["accuracy_end"] as? Double)
            XCTAssertTrue(
                result.stdout.contains(
                    String(format: "addition-1: held-out greedy accuracy %.1f%% (10 prompts), pass@4 ", 100 * accuracy)),
                result.stdout)
            XCTAssertEqual(Self.sampleLines(result.stdout), 5, result.stdout)
        }

        let chosen = try FleetProcess.run(["eval", policy, "--prompts", "3", "--k", "2", "--completions", "1"])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        XCTAssertTrue(chosen.stdout.contains("(3 prompts), pass@2 "), chosen.stdout)
        XCTAssertEqual(Self.sampleLines(chosen.stdout), 1, chosen.stdout)
    }

    /// The lines of `fleet eval`'s output that show a completion (`3+1= -> 4  (expected 4, ...)`).
    private static func sampleLines(_ output: String) -> Int {
        output.split(separator: "\n").filter { $0.contains(" -> ") && $0.contains("(expected ") }.count
    }

    func testEvalRefusesAPolicyFileWithOneFlippedBit() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-eval-tests-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let runDir = root.appendingPathComponent("run")
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let trained = try FleetProcess.run(["train", config, "--set", "total_timesteps=1024", "--run-dir", runDir.path])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let policy = runDir.appendingPathComponent("checkpoints/policy-final.fleet")
        var bytes = try [UInt8](Data(contentsOf: policy))
        bytes[bytes.count / 2] ^= 0x10  // inside a parameter's float32 values
        try Data(bytes).write(to: policy)

        let result = try FleetProcess.run(["eval", runDir.path])
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stderr.contains("\(policy.path): the policy file is damaged"), result.stderr)
    }
}
