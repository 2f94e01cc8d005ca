import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest

@testable import FleetCluster
import FleetTestSupport
import FleetClusterTesting
import FleetConfig
@testable import FleetTools

/// A learner's capture replayed in one process: the live run's final weights, bit for bit, and
/// clear errors when the capture and the config do not fit.
final class CaptureReplayTests: XCTestCase {
    /// Runs `config` with capture (two actors a version ahead, so batches arrive in a racing
    /// order) and returns its summary and capture directory.
    private func capturedRun(_ overrides: [String] = []) throws -> (RunSummary, URL, RunConfig) {
        let config = try loopTestConfig(
            ["num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "capture=true", "capture_dropped=true"] + overrides)
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("live").path)
        let summary = try InProcessTraining(
            config: config, context: try Context(), directory: directory, metrics: try MetricsLogger(directory: directory),
            stallTimeout: .seconds(20)
        ).run()
        return (summary, directory.capturesDirectory, config)
    }

    private func replay(_ captures: URL, config: RunConfig, files: [String]? = nil) throws -> CaptureReplay.Outcome {
        let selection = try CaptureSelection([captures.path], kinds: [.consumed])
        return try CaptureReplay(config: config).run(CaptureReader(files: files ?? selection.files, mode: .strict))
    }

    func testAReplayEndsWithTheLiveRunsWeightsTwice() throws {
        let (live, captures, config) = try capturedRun()
        XCTAssertEqual(live.policyVersion, 8)
        for _ in 0..<2 {
            let outcome = try replay(captures, config: config)
            XCTAssertEqual(outcome.summary.weightsSHA256, live.weightsSHA256)
            XCTAssertEqual(outcome.updates, 8)
            XCTAssertEqual(outcome.batches, 16, "one batch of each of 2 actors per update")
            XCTAssertEqual(outcome.gaps, [])
            XCTAssertEqual(outcome.summary.envSteps, live.envSteps)
            XCTAssertEqual(outcome.summary.episodes, live.episodes)
        }
    }

    /// TRPO's and REINFORCE's captures replay to their live weights as PPO's do.
    func testTRPOAndREINFORCEReplaysEndWithTheLiveRunsWeights() throws {
        for algorithm in ["trpo", "reinforce"] {
            let (live, captures, config) = try capturedRun(["algorithm=\(algorithm)"])
            let outcome = try replay(captures, config: config)
            XCTAssertEqual(outcome.summary.weightsSHA256, live.weightsSHA256, algorithm)
            XCTAssertEqual(outcome.updates, 8, algorithm)
            XCTAssertEqual(outcome.gaps, [], algorithm)
        }
    }

    /// 3 prompts a batch and 4 groups an update: every update trains exactly 4 groups, a batch
    /// split between two updates is not counted as consumed twice, and the capture replays.
    func testAGroupUpdateTrainsExactlyTrainBatchSizeGroupsAndItsCaptureReplays() throws {
        let (live, captures, config) = try capturedRun([
            "algorithm=grpo", "task=addition-1", "model.width=16", "model.layers=1", "model.heads=2", "rollout_n=2",
            "prompts_per_batch=3", "train_batch_size=4", "ppo_mini_batch_size=2", "total_training_steps=5",
            "eval_prompts=4", "eval_every=5",
        ])
        XCTAssertEqual(live.policyVersion, 5)
        XCTAssertEqual(live.envSteps, 5 * 4 * 2, "5 updates of 4 groups of 2 responses")
        let selection = try CaptureSelection([captures.path], kinds: [.consumed])
        XCTAssertEqual(try CaptureInspection(selection).consumedTwice, 0)
        let outcome = try replay(captures, config: config)
        XCTAssertEqual(outcome.updates, 5)
        XCTAssertEqual(outcome.summary.envSteps, live.envSteps)
        XCTAssertEqual(outcome.summary.weightsSHA256, live.weightsSHA256)
    }

    /// Language PPO (ppo on a task, with a critic): its capture replays to the live weights.
    func testALanguagePPOCaptureReplaysToTheLiveWeights() throws {
        let (live, captures, config) = try capturedRun([
            "task=addition-1", "model.width=16", "model.layers=1", "model.heads=2", "rollout_n=2",
            "prompts_per_batch=3", "train_batch_size=4", "ppo_mini_batch_size=2", "total_training_steps=5",
            "eval_prompts=4", "eval_every=5", "kl_coef=0.05", "critic_warmup=1",
        ])
        XCTAssertTrue(config.isLanguagePPO)
        XCTAssertEqual(live.policyVersion, 5)
        let outcome = try replay(captures, config: config)
        XCTAssertEqual(outcome.updates, 5)
        XCTAssertEqual(outcome.summary.weightsSHA256, live.weightsSHA256)
    }

    func testAnotherSeedDoesNotReproduceTheWeights() throws {
        let (live, captures, _) = try capturedRun()
        let otherSeed = try loopTestConfig(["num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "seed=2"])
        XCTAssertNotEqual(try replay(captures, config: otherSeed).summary.weightsSHA256, live.weightsSHA256)
    }

    func testAConfigThatRefusesTheBatchesIsAnError() throws {
        let (_, captures, _) = try capturedRun()
        let wider = try loopTestConfig(["num_actors=2", "num_envs=8", "total_timesteps=8192"])
        XCTAssertThrowsError(try replay(captures, config: wider)) { error in
            XCTAssertTrue("\(error)".contains("the config's learner refuses it"), "\(error)")
            XCTAssertTrue("\(error)".contains("spec_mismatch"), "\(error)")
        }
        let shorter = try loopTestConfig(["num_actors=2", "total_timesteps=2048"])
        XCTAssertThrowsError(try replay(captures, config: shorter)) { error in
            XCTAssertTrue("\(error)".contains("more updates than the config's 4"), "\(error)")
        }
    }

    func testFilesGivenOutOfOrderAreAnError() throws {
        let (_, captures, config) = try capturedRun(["capture_file_bytes=40000"])
        let files = try CaptureSelection([captures.path], kinds: [.consumed]).files
        XCTAssertGreaterThan(files.count, 1)
        XCTAssertThrowsError(try replay(captures, config: config, files: files.reversed())) { error in
            XCTAssertTrue("\(error)".contains("out of order"), "\(error)")
        }
    }

    func testAMissingUpdateIsReportedAsAGap() throws {
        let (live, captures, config) = try capturedRun(["capture_file_bytes=40000"])
        var files = try CaptureSelection([captures.path], kinds: [.consumed]).files
        files.remove(at: 1)
        let outcome = try replay(captures, config: config, files: files)
        XCTAssertFalse(outcome.gaps.isEmpty)
        XCTAssertNotEqual(outcome.summary.weightsSHA256, live.weightsSHA256)
    }
}
