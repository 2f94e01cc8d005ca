import Foundation
import FleetProcessTesting
import XCTest

/// `--resume` as a user runs it: `fleet train` and `fleet launch` stopped with Ctrl-C go on to the
/// end with `--resume`, `fleet status` shows the newest checkpoint, and a resume without a run
/// directory or a checkpoint says so.
final class ResumeTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-resume") }


    private func metricsLines(_ runDir: URL) -> Int {
        ((try? String(contentsOf: runDir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)) ?? "")
            .split(separator: "\n").count
    }

    /// Small updates (4 envs x 32 steps, one epoch): `updates` of them.
    private func settings(updates: Int, _ extra: [String] = []) -> [String] {
        (["total_timesteps=\(128 * updates)", "num_steps=32", "update_epochs=1"] + extra).flatMap { ["--set", $0] }
    }

    func testTrainStoppedWithCtrlCGoesOnToTheEndWithResume() throws {
        let runDir = try temporaryDirectory().appendingPathComponent("run")
        let arguments = ["train", config, "--run-dir", runDir.path] + settings(updates: 200, ["checkpoint_every=50"])
        let first = Process()
        first.executableURL = FleetProcess.executable
        first.arguments = arguments
        first.standardOutput = FileHandle.nullDevice
        first.standardError = FileHandle.nullDevice
        try first.run()
        let deadline = Date().addingTimeInterval(30)
        while metricsLines(runDir) < 3 && Date() < deadline && first.isRunning { usleep(20_000) }
        first.interrupt()
        first.waitUntilExit()
        XCTAssertEqual(first.terminationStatus, 130)
        let stopped = try XCTUnwrap(try runSummary(runDir)["policy_version"] as? Int)
        XCTAssertLessThan(stopped, 200)

        let resumed = try FleetProcess.run(arguments + ["--resume"])
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("learner: resumed from version-"), resumed.stderr)
        let run = try runSummary(runDir)
        XCTAssertEqual(run["env_steps"] as? Int, 128 * 200)
        XCTAssertEqual(run["policy_version"] as? Int, 200, "a checkpoint written at Ctrl-C is resumed at its own version")
        XCTAssertEqual(run["actors"] as? [String: Int], ["started": 2, "restarts": 0, "lost": 0])
        XCTAssertEqual(metricsLines(runDir), 200, "metrics.jsonl goes on where it stopped")
        let checkpoints = try FileManager.default.contentsOfDirectory(
            atPath: runDir.appendingPathComponent("checkpoints").path)
        let kept = checkpoints.filter { $0.hasPrefix("version-") }.sorted()
        XCTAssertEqual(kept.count, 2, "checkpoint_keep 2: \(kept)")
        XCTAssertEqual(kept.last, "version-000200", "the last written when the run ended")
        XCTAssertTrue(checkpoints.contains("policy-final.fleet"))
    }

    func testLaunchShowsItsCheckpointInStatusAndGoesOnWithResume() throws {
        let extra = settings(updates: 300, ["checkpoint_every=5"])
        let cluster = try LaunchedCluster(config: config, actors: 2, arguments: extra, test: self)
        let document = try XCTUnwrap(
            try cluster.waitForStatus(seconds: 30) { (($0["checkpoint"] as? [String: Any])?["version"] as? Int ?? 0) >= 5 },
            cluster.launch.stderr)
        let checkpoint = try XCTUnwrap(document["checkpoint"] as? [String: Any])
        XCTAssertEqual(checkpoint["every"] as? Int, 5)
        XCTAssertLessThan(try XCTUnwrap(checkpoint["age_seconds"] as? Double), 30)
        XCTAssertGreaterThan(try XCTUnwrap(checkpoint["write_seconds"] as? Double), 0)
        cluster.launch.process.interrupt()
        XCTAssertEqual(cluster.launch.wait(seconds: 20), 130, cluster.launch.stderr)
        XCTAssertEqual(try runSummary(cluster.runDirectory)["actors"] as? [String: Int], ["started": 2, "restarts": 0, "lost": 0])

        let resumed = try FleetProcess.run(
            ["launch", config, "--actors", "2", "--run-dir", cluster.runDirectory.path, "--resume"] + extra)
        XCTAssertEqual(resumed.status, 0, resumed.stderr)
        XCTAssertTrue(resumed.stderr.contains("[learner] learner: resumed from version-"), resumed.stderr)
        let run = try runSummary(cluster.runDirectory)
        XCTAssertEqual(run["env_steps"] as? Int, 128 * 300)
        XCTAssertEqual(run["actors"] as? [String: Int], ["started": 4, "restarts": 0, "lost": 0], "both sessions' actors")
    }

    /// The start command of a job a scheduler may restart: `fleet learner --resume-if-present` starts
    /// the run in a directory without a checkpoint; SIGTERM (a scheduler's stop) ends the learner's
    /// process, not the run, so its actors keep waiting; the same command again resumes, and the
    /// actors, never restarted, train to the end.
    func testResumeIfPresentStartsTheRunThenAfterSIGTERMResumesItUnderTheSameActors() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        let sockets = ["batches", "weights", "control"].flatMap { ["--set", "endpoints.\($0)=ipc://\(directory.path)/\($0)"] }
        let learnerArguments =
            ["learner", config, "--run-dir", runDir.path, "--resume-if-present", "--set", "num_actors=2"]
            + settings(updates: 400, ["checkpoint_every=5", "max_policy_lag=1"]) + sockets
        let first = try ChildProcess(learnerArguments, outputDirectory: directory, name: "learner-1", test: self)
        let actors = try (0..<2).map {
            try ChildProcess(
                ["actor", config, "--connect", "ipc://\(directory.path)", "--index", "\($0)", "--set", "num_actors=2",
                 "--set", "learner_timeout=60"] + settings(updates: 400, ["max_policy_lag=1"]),
                outputDirectory: directory, name: "actor-\($0)", test: self)
        }
        let deadline = Date().addingTimeInterval(60)
        while !RunDirectoryProbe.holdsCheckpoint(runDir) && Date() < deadline && first.process.isRunning { usleep(20_000) }
        first.process.terminate()
        XCTAssertEqual(first.wait(seconds: 20), 130, first.stderr)
        XCTAssertFalse(first.stderr.contains("resumed from"), "a new run: \(first.stderr)")
        let stopped = try runSummary(runDir)
        XCTAssertEqual(stopped["ended"] as? String, "interrupted")
        XCTAssertEqual(stopped["complete"] as? Bool, false)
        usleep(1_500_000)
        for actor in actors { XCTAssertTrue(actor.process.isRunning, "not told to stop: \(actor.stderr)") }

        let second = try ChildProcess(learnerArguments, outputDirectory: directory, name: "learner-2", test: self)
        XCTAssertEqual(second.wait(seconds: 120), 0, second.stderr)
        XCTAssertTrue(second.stderr.contains("learner: resumed from version-"), second.stderr)
        for actor in actors { XCTAssertEqual(actor.wait(seconds: 20), 0, actor.stderr) }
        let run = try runSummary(runDir)
        XCTAssertEqual(run["env_steps"] as? Int, 128 * 400)
        XCTAssertEqual(run["ended"] as? String, "finished")
        XCTAssertEqual(run["complete"] as? Bool, true)
        XCTAssertEqual((run["actors"] as? [String: Int])?["started"], 2, "the same two actors, never restarted")
    }

    func testResumeWithoutARunDirectoryOrACheckpointSaysSo() throws {
        let noDirectory = try FleetProcess.run(["train", config, "--resume"])
        XCTAssertEqual(noDirectory.status, 64)
        XCTAssertTrue(noDirectory.stderr.contains("--resume needs the run directory to continue"), noDirectory.stderr)

        let directory = try temporaryDirectory()
        let missing = directory.appendingPathComponent("missing").path
        let nothing = try FleetProcess.run(["train", config, "--resume", "--run-dir", missing])
        XCTAssertEqual(nothing.status, 1)
        XCTAssertTrue(nothing.stderr.contains("nothing to resume: run directory \(missing) does not exist"), nothing.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: missing))

        let empty = directory.appendingPathComponent("empty")
        try FileManager.default.createDirectory(at: empty, withIntermediateDirectories: false)
        let none = try FleetProcess.run(["train", config, "--resume", "--run-dir", empty.path])
        XCTAssertEqual(none.status, 1)
        XCTAssertTrue(none.stderr.contains("no valid checkpoint to resume from"), none.stderr)

        let launch = try FleetProcess.run(["launch", config, "--resume"])
        XCTAssertEqual(launch.status, 64)
        XCTAssertTrue(launch.stderr.contains("--resume needs the run directory"), launch.stderr)
    }
}

/// Whether a run directory holds a checkpoint directory yet.
private enum RunDirectoryProbe {
    static func holdsCheckpoint(_ runDir: URL) -> Bool {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: runDir.appendingPathComponent("checkpoints").path)) ?? []
        return names.contains { $0.hasPrefix("version-") }
    }
}
