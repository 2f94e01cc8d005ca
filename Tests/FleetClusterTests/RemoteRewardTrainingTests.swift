import FleetClusterTesting
import FleetConfig
import FleetTestSupport
import FleetTransport
import Foundation
import XCTest

@testable import FleetCluster

/// Short in-process GRPO runs whose rewards come from a Python function written here
/// (`reward_function`): it drives the updates, and when it fails, only the failed batches are
/// refused, counted by reason, and the run finishes.
final class RemoteRewardTrainingTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("fleet-reward-run-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { [directory] in try? FileManager.default.removeItem(at: directory!) }
    }

    /// Writes `source` to `<directory>/<name>.py`; returns its `path:score` spec.
    private func function(_ name: String, _ source: String) throws -> String {
        let file = directory.appendingPathComponent("\(name).py")
        try source.write(to: file, atomically: true, encoding: .utf8)
        return "\(file.path):score"
    }

    private func config(_ function: String, _ extra: [String] = []) throws -> RunConfig {
        try loopTestConfig(
            [
                "algorithm=grpo", "task=addition-1", "model.width=16", "model.layers=1", "model.heads=2", "rollout_n=4",
                "prompts_per_batch=2", "train_batch_size=2", "ppo_mini_batch_size=2", "total_training_steps=4",
                "eval_prompts=4", "eval_every=2", "learning_rate=1e-3", "num_actors=1", "max_policy_lag=1",
                "reward_function=\"\(function)\"", "reward_workers=1", "env_python=\"\(try servingPython())\"",
            ] + extra)
    }

    func testAPythonFunctionScoresEveryBatchAndDrivesTheUpdates() throws {
        let log = directory.appendingPathComponent("calls.log").path
        let spec = try function(
            "exact",
            """
            def score(prompts, completions, answers, metadata):
                with open(\(String(reflecting: log)), "a") as f:
                    f.write(f"{len(prompts)} {prompts[0]} {answers[0]} {metadata[0]}\\n")
                # 0.25 for a wrong answer: the verifier's 0 would not be these rewards.
                return [1.0 if c == a else 0.25 for c, a in zip(completions, answers)]
            """)
        let run = try RunDirectory(creating: directory.appendingPathComponent("run").path)
        let (training, summary) = try runInProcess(try config(spec), in: run)
        XCTAssertEqual(summary.policyVersion, 4)
        XCTAssertFalse(summary.rejected.keys.contains { $0.hasPrefix("reward") }, "\(summary.rejected)")
        let calls = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n")
        XCTAssertGreaterThanOrEqual(calls.count, 4, "one call per admitted batch")
        for call in calls {
            let fields = call.split(separator: " ")
            XCTAssertEqual(fields[0], "8", "every response of the batch (2 prompts x 4) in one call")
            XCTAssertNotNil(fields[1].wholeMatch(of: /\d\+\d=/), "the prompt's text, without bos: \(call)")
            XCTAssertNotNil(fields[2].wholeMatch(of: /\d{1,2}/), "the answer: \(call)")
            XCTAssertEqual(fields[3], "{}", "built-in problems have no metadata")
        }
        let scores = try metricsLines(run).compactMap { $0[MetricTag.scoreMean] as? Double }
        XCTAssertEqual(scores.count, 4)
        XCTAssertTrue(scores.allSatisfy { $0 >= 0.25 && $0 <= 1 }, "the function's rewards were trained on: \(scores)")
        let calledScalars = try metricsLines(run).compactMap { $0[MetricTag.remoteRewardCalls] as? Double }
        XCTAssertEqual(calledScalars.last.map(Int.init), calls.count)
        _ = training
    }

    /// While the learner waits for a slow call, it still hears its actors: a call longer than
    /// `actor_timeout` does not have them taken for lost.
    func testASlowCallDoesNotSilenceTheControlChannel() throws {
        let spec = try function(
            "slow",
            """
            import time

            def score(prompts, completions, answers, metadata):
                time.sleep(3.5)
                return [1.0 if c == a else 0.0 for c, a in zip(completions, answers)]
            """)
        let run = try RunDirectory(creating: directory.appendingPathComponent("run").path)
        let log = LogLines()
        let (_, summary) = try runInProcess(
            try config(spec, ["total_training_steps=1", "actor_timeout=2", "reward_timeout=10"]), in: run, log: log)
        XCTAssertEqual(summary.policyVersion, 1)
        XCTAssertFalse(summary.rejected.keys.contains { $0.hasPrefix("reward") }, "\(summary.rejected)")
        XCTAssertFalse(log.lines.contains { $0.contains("is lost") }, log.lines.joined(separator: "\n"))
    }

    func testAFunctionThatRaisesAndHangsCostsOnlyItsBatches() throws {
        let counter = directory.appendingPathComponent("count").path
        let spec = try function(
            "flaky",
            """
            import os, time
            COUNTER = \(String(reflecting: counter))

            def score(prompts, completions, answers, metadata):
                calls = int(open(COUNTER).read()) + 1 if os.path.exists(COUNTER) else 1
                open(COUNTER, "w").write(str(calls))
                if calls % 3 == 1:
                    raise RuntimeError(f"call {calls} fails")
                if calls % 3 == 2:
                    time.sleep(60)
                return [1.0 if c == a else 0.0 for c, a in zip(completions, answers)]
            """)
        let run = try RunDirectory(creating: directory.appendingPathComponent("run").path)
        let log = LogLines()
        let start = ContinuousClock.now
        let (_, summary) = try runInProcess(try config(spec, ["reward_timeout=1"]), in: run, log: log)
        XCTAssertEqual(summary.policyVersion, 4, "the run finished")
        XCTAssertGreaterThanOrEqual(summary.rejected["reward_failed"] ?? 0, 4, "\(summary.rejected)")
        XCTAssertGreaterThanOrEqual(summary.rejected["reward_timeout"] ?? 0, 4, "\(summary.rejected)")
        XCTAssertEqual(
            Set(summary.rejected.keys).subtracting(["reward_failed", "reward_timeout", "stale"]), [], "\(summary.rejected)")
        XCTAssertTrue(
            log.lines.contains { $0.contains("reward_failed: raised: RuntimeError: call 1 fails") }, log.lines.joined(separator: "\n"))
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(60), "a hang costs reward_timeout, not the run")
    }

    func testAFunctionThatCannotBeLoadedStopsTheRunAtItsStart() throws {
        let spec = try function("broken", "import no_such_module\n\ndef score(*args):\n    return []\n")
        XCTAssertThrowsError(try InProcessTraining(config: try config(spec), context: try Context(), log: .silent)) { error in
            let text = "\(error)"
            XCTAssertTrue(text.hasPrefix("reward_function \(spec): the reward server did not start"), text)
            XCTAssertTrue(text.contains("exit 1"), text)
        }
    }
}
