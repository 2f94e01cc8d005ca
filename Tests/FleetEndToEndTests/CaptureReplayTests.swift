import Foundation
import FleetProcessTesting
import XCTest

/// Capture and exact replay through the real processes: a multi-process cluster captures what its
/// learner consumed, and `fleet replay` trains on it offline, twice, ending with the live run's
/// `weights_sha256` each time.
final class CaptureReplayTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }


    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-capture") }

    /// Launches `arguments` with capture into `runDir`, then replays its capture twice; returns the live hash.
    @discardableResult
    private func launchAndReplayTwice(
        _ arguments: [String], runDir: URL, in directory: URL, config: String? = nil
    ) throws -> String {
        let launch = try ChildProcess(
            ["launch", config ?? self.config, "--capture", "--run-dir", runDir.path] + arguments, outputDirectory: directory,
            name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 120), 0, launch.stderr)
        let live = try XCTUnwrap(try readJSONObject(runDir.appendingPathComponent("summary.json"))["weights_sha256"] as? String)
        let captures = runDir.appendingPathComponent("captures")
        let manifest = try readJSONObject(captures.appendingPathComponent("manifest.json"))
        XCTAssertEqual(manifest["weights_sha256"] as? String, live)
        XCTAssertEqual(manifest["complete"] as? Bool, true)

        for trial in 1...2 {
            let replayDir = directory.appendingPathComponent("replay-\(trial)")
            let replay = try FleetProcess.run(["replay", captures.path, "--run-dir", replayDir.path])
            XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
            XCTAssertTrue(replay.stdout.contains("matches the live run's weights_sha256"), replay.stdout)
            let replayed = try readJSONObject(replayDir.appendingPathComponent("summary.json"))
            XCTAssertEqual(replayed["weights_sha256"] as? String, live, "replay \(trial)")
            print("capture replay \(trial): \(replay.stdout.split(separator: "\n").first ?? "")")
        }
        return live
    }

    func testACapturedCartPoleClusterReplaysToTheLiveWeightsTwice() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("live")
        try launchAndReplayTwice(
            ["--actors", "2", "--capture-actors", "--set", "total_timesteps=8192", "--set", "capture_dropped=true"],
            runDir: runDir, in: directory)
        let summary = try readJSONObject(runDir.appendingPathComponent("summary.json"))
        XCTAssertEqual(summary["policy_version"] as? Int, 16)
        // Each actor captured what it sent, beside the learner's capture.
        let names = try FileManager.default.contentsOfDirectory(atPath: runDir.appendingPathComponent("captures").path)
        XCTAssertEqual(names.filter { $0.hasPrefix("actor-0-i") && $0.hasSuffix("-sent-00000.fleetrec") }.count, 1, "\(names)")
        XCTAssertEqual(names.filter { $0.hasPrefix("actor-1-i") && $0.hasSuffix("-sent-00000.fleetrec") }.count, 1, "\(names)")
    }

    /// Pixels: the actors of `cluster/catch-ppo.yaml` ship uint8 frames, the capture keeps them,
    /// and the replays widen them exactly as the live learner did.
    func testACapturedCatchClusterLearningFromPixelsReplaysToTheLiveWeightsTwice() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("live")
        let catchConfig = TrainTests.packageRoot.appendingPathComponent("cluster/catch-ppo.yaml").path
        try launchAndReplayTwice(
            ["--actors", "2", "--set", "total_timesteps=2048"], runDir: runDir, in: directory, config: catchConfig)
        let summary = try readJSONObject(runDir.appendingPathComponent("summary.json"))
        XCTAssertEqual(summary["env"] as? String, "Catch-v0")
        XCTAssertEqual(summary["policy_version"] as? Int, 8)
    }

    func testACapturedGRPOClusterReplaysToTheLiveWeightsTwice() throws {
        let directory = try temporaryDirectory()
        let tiny = [
            "algorithm=grpo", "task=addition-1", "model.width=32", "model.layers=1", "model.heads=4", "rollout_n=4",
            "prompts_per_batch=4", "train_batch_size=8", "ppo_mini_batch_size=8", "eval_prompts=10", "eval_every=2",
            "total_training_steps=6",
        ]
        let runDir = directory.appendingPathComponent("live")
        try launchAndReplayTwice(["--actors", "2"] + tiny.flatMap { ["--set", $0] }, runDir: runDir, in: directory)
    }

    /// Another seed, a corrupt record (lenient: skipped and reported), the same in strict mode:
    /// each replay fails (exit 1) and says why.
    func testWhatAReplayCannotReproduceItSays() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("live")
        let launch = try ChildProcess(
            ["launch", config, "--capture", "--run-dir", runDir.path, "--set", "total_timesteps=4096"],
            outputDirectory: directory, name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 60), 0, launch.stderr)
        let captures = runDir.appendingPathComponent("captures")
        func replay(_ extra: [String], _ name: String) throws -> FleetProcess.Result {
            try FleetProcess.run(["replay", captures.path, "--run-dir", directory.appendingPathComponent(name).path] + extra)
        }

        let otherSeed = try replay(["--seed", "2"], "seed")
        XCTAssertEqual(otherSeed.status, 1, otherSeed.stdout + otherSeed.stderr)
        XCTAssertTrue(otherSeed.stderr.contains("the config differs from the capture's"), otherSeed.stderr)
        XCTAssertTrue(otherSeed.stderr.contains("differs from the live run's weights_sha256"), otherSeed.stderr)

        // A flipped byte in the middle of the file: inside some record's data.
        let file = captures.appendingPathComponent("consumed-00000.fleetrec")
        let size = try XCTUnwrap(FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int)
        let handle = try FileHandle(forUpdating: file)
        try handle.seek(toOffset: UInt64(size / 2))
        let byte = try XCTUnwrap(handle.readData(ofLength: 1).first)
        try handle.seek(toOffset: UInt64(size / 2))
        try handle.write(contentsOf: [byte ^ 0x10])
        try handle.close()

        let lenient = try replay([], "lenient")
        XCTAssertEqual(lenient.status, 1, lenient.stdout + lenient.stderr)
        XCTAssertTrue(lenient.stderr.contains("skipped corrupt_record in \(file.path) at offset"), lenient.stderr)
        XCTAssertTrue(lenient.stderr.contains("differs from the live run's weights_sha256"), lenient.stderr)

        let strict = try replay(["--strict"], "strict")
        XCTAssertEqual(strict.status, 1, strict.stdout + strict.stderr)
        XCTAssertTrue(strict.stderr.contains("corrupt record"), strict.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: directory.appendingPathComponent("strict/summary.json").path))
    }

    /// `fleet replay --into`: the capture's batches, sent by actors of their original ids, drive a
    /// fresh learner through its run; it refuses none of them.
    func testReplayIntoALiveLearnerDrivesItsRun() throws {
        let directory = try temporaryDirectory()
        let liveDir = directory.appendingPathComponent("live")
        let launch = try ChildProcess(
            ["launch", config, "--capture", "--actors", "2", "--run-dir", liveDir.path, "--set", "total_timesteps=8192"],
            outputDirectory: directory, name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 60), 0, launch.stderr)

        let sockets = directory.appendingPathComponent("sockets")
        // Owner-only: the learner refuses ipc sockets others could reach.
        try FileManager.default.createDirectory(
            at: sockets, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let targetDir = directory.appendingPathComponent("target")
        let learner = try ChildProcess(
            ["learner", config, "--run-dir", targetDir.path, "--set", "num_actors=2", "--set", "total_timesteps=4096"]
                + ["batches", "weights", "control"].flatMap { ["--set", "endpoints.\($0)=ipc://\(sockets.path)/\($0)"] },
            outputDirectory: directory, name: "learner", test: self)
        let replay = try FleetProcess.run(
            ["replay", liveDir.appendingPathComponent("captures").path, "--into", "ipc://\(sockets.path)"])
        XCTAssertEqual(replay.status, 0, replay.stdout + replay.stderr)
        XCTAssertEqual(learner.wait(seconds: 30), 0, learner.stderr)
        let target = try readJSONObject(targetDir.appendingPathComponent("summary.json"))
        XCTAssertEqual(target["policy_version"] as? Int, 8)
        XCTAssertEqual(target["rejected"] as? [String: Int], [:])
        XCTAssertEqual((target["actors"] as? [String: Int])?.filter { $0.key != "lost" }, ["started": 2, "restarts": 0])
        XCTAssertTrue(replay.stdout.contains("actor-0: sent"), replay.stdout)
        XCTAssertTrue(replay.stdout.contains("actor-1: sent"), replay.stdout)
    }
}
