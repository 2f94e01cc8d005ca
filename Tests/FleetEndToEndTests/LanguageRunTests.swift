import Foundation
import FleetProcessTesting
import XCTest

/// GRPO and DAPO through the real cluster: `fleet sft`, then `fleet launch` with actor processes
/// sampling groups from its policy, on a tiny model so the run is short.
final class LanguageRunTests: XCTestCase {
    private let tiny = [
        "task=addition-1", "model.width=32", "model.layers=1", "model.heads=4", "rollout_n=4", "prompts_per_batch=4",
        "train_batch_size=8", "ppo_mini_batch_size=8", "eval_prompts=10", "eval_every=2", "max_policy_lag=1",
    ]

    private func settings(_ extra: [String]) -> [String] { (tiny + extra).flatMap { ["--set", $0] } }

    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }


    func testSFTThenGRPOAndDAPOWithActorProcesses() throws {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-language-tests-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let sftDir = directory.appendingPathComponent("sft")
        let sft = try FleetProcess.run(
            ["sft", config, "--run-dir", sftDir.path]
                + settings(["algorithm=grpo", "sft_steps=10", "sft_batch_size=16", "eval_every=5"]))
        XCTAssertEqual(sft.status, 0, sft.stderr)
        let policy = sftDir.appendingPathComponent("checkpoints/policy-final.fleet").path

        for algorithm in ["grpo", "dapo"] {
            let runDir = directory.appendingPathComponent(algorithm)
            let launch = try ChildProcess(
                ["launch", config, "--actors", "2", "--run-dir", runDir.path]
                    + settings(["algorithm=\(algorithm)", "total_training_steps=4", "init_checkpoint=\(policy)"]),
                outputDirectory: directory, name: "launch-\(algorithm)", test: self)
            XCTAssertEqual(launch.wait(seconds: 60), 0, launch.stderr)
            let run = try runSummary(runDir)
            XCTAssertEqual(run["algorithm"] as? String, algorithm)
            XCTAssertEqual(run["env"] as? String, "addition-1")
            XCTAssertEqual(run["policy_version"] as? Int, 4)
            XCTAssertEqual(run["actors"] as? [String: Int], ["started": 2, "restarts": 0, "lost": 0])
            let rejected = try XCTUnwrap(run["rejected"] as? [String: Int])
            XCTAssertEqual(Set(rejected.keys).subtracting(["stale"]), [], "only stale batches may be refused: \(rejected)")
            // Actors sample on the learner's credit: what they send is trained on (dynamic sampling's
            // dropped groups aside), a batch overtaken by newer ones at most going stale.
            let share = try XCTUnwrap(run["trained_share"] as? Double, "summary.json lacks trained_share")
            if algorithm == "grpo" { XCTAssertGreaterThanOrEqual(share, 0.5, "rejected: \(rejected)") }
            let eval = try XCTUnwrap(run["eval"] as? [String: Any])
            XCTAssertEqual(eval["prompts"] as? Int, 10)
            // The run starts from the SFT policy: its starting accuracy is the SFT run's final one.
            let sftEval = try XCTUnwrap(try runSummary(sftDir)["eval"] as? [String: Any])
            XCTAssertEqual(eval["accuracy_start"] as? Double, sftEval["accuracy_end"] as? Double)
            let metrics = try String(contentsOf: runDir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
            for tag in ["actor/pg_loss", "actor/pg_clipfrac", "actor/ppo_kl", "actor/entropy", "critic/score/mean",
                        "response_length/mean", "dynamic_sampling/kept", "eval/accuracy"] {
                XCTAssertTrue(metrics.contains("\"\(tag)\""), "\(algorithm): metrics.jsonl lacks \(tag)")
            }
        }
    }

    /// Group actors sample on the learner's credit; when the learner is killed and resumed, the same
    /// actor processes (never restarted) are asked to say Hello again, are granted anew and train
    /// the run to its end.
    func testGroupActorsTrainAResumedLearnerToTheEnd() throws {
        let directory = try makeTestDirectory("fleet-lang-kill")
        let runDir = directory.appendingPathComponent("run")
        let endpoints = ["batches", "weights", "control"].map { "endpoints.\($0)=ipc://\(directory.path)/\($0)" }
        let run = settings(["algorithm=grpo", "total_training_steps=40", "checkpoint_every=2", "num_actors=2"] + endpoints)
        func learner(_ name: String, resume: Bool) throws -> ChildProcess {
            try ChildProcess(
                ["learner", config, "--run-dir", runDir.path] + run + (resume ? ["--resume"] : []),
                outputDirectory: directory, name: name, test: self)
        }
        func updatesLogged() -> Int {
            let text = (try? String(contentsOf: runDir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? ""
            return text.split(separator: "\n").filter { $0.contains("pipeline/policy_version") }.count
        }
        let first = try learner("learner-0", resume: false)
        let actors = try (0..<2).map {
            try ChildProcess(
                ["actor", config, "--index", "\($0)"] + run, outputDirectory: directory, name: "actor-\($0)", test: self)
        }
        let deadline = Date().addingTimeInterval(60)
        while updatesLogged() < 6 && Date() < deadline && first.process.isRunning { usleep(10_000) }
        XCTAssertGreaterThanOrEqual(updatesLogged(), 6, first.stderr)
        kill(first.process.processIdentifier, SIGKILL)
        first.process.waitUntilExit()

        let resumed = try learner("learner-1", resume: true)
        XCTAssertEqual(resumed.wait(seconds: 90), 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("learner: resumed from "), resumed.stderr)
        for actor in actors { XCTAssertEqual(actor.wait(seconds: 20), 0, actor.stderr) }
        let summary = try runSummary(runDir)
        XCTAssertEqual(summary["env_steps"] as? Int, 40 * 8 * 4, "every update trained: 40 x 8 groups x 4 responses")
    }
}
