import Foundation
import XCTest

/// Capture and exact replay through the real processes: a multi-process cluster captures what its
/// learner consumed, and `fleet replay` trains on it offline, twice, ending with the live run's
/// `weights_sha256` each time.
final class CaptureReplayTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    private func json(_ url: URL) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    private func temporaryDirectory() -> URL {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-capture-tests-\(UUID().uuidString)", isDirectory: true)
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        return directory
    }

    /// Launches `arguments` with capture into `runDir`, then replays its capture twice; returns the live hash.
    @discardableResult
    private func launchAndReplayTwice(_ arguments: [String], runDir: URL, in directory: URL) throws -> String {
        let launch = try ChildProcess(
            ["launch", config, "--capture", "--run-dir", runDir.path] + arguments, outputDirectory: directory,
            name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 120), 0, launch.stderr)
        let live = try XCTUnwrap(try json(runDir.appendingPathComponent("summary.json"))["weights_sha256"] as? String)
        let captures = runDir.appendingPathComponent("captures")
        let manifest = try json(captures.appendingPathComponent("manifest.json"))
        XCTAssertEqual(manifest["weights_sha256"] as? String, live)
        XCTAssertEqual(manifest["complete"] as? Bool, true)

        for trial in 1...2 {
            let replayDir = directory.appendingPathComponent("replay-\(trial)")
            let replay = try FleetProcess.run(["replay", captures.path, "--run-dir", replayDir.path])
            XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
            XCTAssertTrue(replay.stdout.contains("matches the live run's weights_sha256"), replay.stdout)
            let replayed = try json(replayDir.appendingPathComponent("summary.json"))
            XCTAssertEqual(replayed["weights_sha256"] as? String, live, "replay \(trial)")
            print("capture replay \(trial): \(replay.stdout.split(separator: "\n").first ?? "")")
        }
        return live
    }

    func testACapturedCartPoleClusterReplaysToTheLiveWeightsTwice() throws {
        let directory = temporaryDirectory()
        let runDir = directory.appendingPathComponent("live")
        try launchAndReplayTwice(
            ["--actors", "2", "--set", "total_timesteps=16384", "--set", "capture_dropped=true"], runDir: runDir,
            in: directory)
        let summary = try json(runDir.appendingPathComponent("summary.json"))
        XCTAssertEqual(summary["policy_version"] as? Int, 32)
    }

    func testACapturedGRPOClusterReplaysToTheLiveWeightsTwice() throws {
        let directory = temporaryDirectory()
        let tiny = [
            "algorithm=grpo", "task=addition-1", "model.width=32", "model.layers=1", "model.heads=4", "rollout_n=4",
            "prompts_per_batch=4", "train_batch_size=8", "ppo_mini_batch_size=8", "eval_prompts=10", "eval_every=2",
            "total_training_steps=6",
        ]
        let runDir = directory.appendingPathComponent("live")
        try launchAndReplayTwice(["--actors", "2"] + tiny.flatMap { ["--set", $0] }, runDir: runDir, in: directory)
    }

    func testAReplayWithAnotherSeedDoesNotMatchAndSaysSo() throws {
        let directory = temporaryDirectory()
        let runDir = directory.appendingPathComponent("live")
        let launch = try ChildProcess(
            ["launch", config, "--capture", "--run-dir", runDir.path, "--set", "total_timesteps=4096"],
            outputDirectory: directory, name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 60), 0, launch.stderr)
        let replay = try FleetProcess.run(
            ["replay", runDir.appendingPathComponent("captures").path, "--seed", "2", "--run-dir",
             directory.appendingPathComponent("replay").path])
        XCTAssertEqual(replay.status, 1, replay.stdout + replay.stderr)
        XCTAssertTrue(replay.stderr.contains("the config differs from the capture's"), replay.stderr)
        XCTAssertTrue(replay.stderr.contains("differs from the live run's weights_sha256"), replay.stderr)
    }

    /// `fleet replay --into`: the capture's batches, sent by actors of their original ids, drive a
    /// fresh learner through its run; it refuses none of them.
    func testReplayIntoALiveLearnerDrivesItsRun() throws {
        let directory = temporaryDirectory()
        let liveDir = directory.appendingPathComponent("live")
        let launch = try ChildProcess(
            ["launch", config, "--capture", "--actors", "2", "--run-dir", liveDir.path, "--set", "total_timesteps=8192"],
            outputDirectory: directory, name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 60), 0, launch.stderr)

        let sockets = directory.appendingPathComponent("sockets")
        try FileManager.default.createDirectory(at: sockets, withIntermediateDirectories: true)
        let targetDir = directory.appendingPathComponent("target")
        let learner = try ChildProcess(
            ["learner", config, "--run-dir", targetDir.path, "--set", "num_actors=2", "--set", "total_timesteps=4096"]
                + ["batches", "weights", "control"].flatMap { ["--set", "endpoints.\($0)=ipc://\(sockets.path)/\($0)"] },
            outputDirectory: directory, name: "learner", test: self)
        let replay = try FleetProcess.run(
            ["replay", liveDir.appendingPathComponent("captures").path, "--into", "ipc://\(sockets.path)"])
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        XCTAssertEqual(learner.wait(seconds: 30), 0, learner.stderr)
        let target = try json(targetDir.appendingPathComponent("summary.json"))
        XCTAssertEqual(target["policy_version"] as? Int, 8)
        XCTAssertEqual(target["rejected"] as? [String: Int], [:])
        XCTAssertEqual(target["actors"] as? [String: Int], ["started": 2, "restarts": 0])
        XCTAssertTrue(replay.stdout.contains("actor-0: sent"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("actor-1: sent"), replay.stdout)
    }
}
