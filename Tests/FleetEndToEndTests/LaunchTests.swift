import Foundation
import FleetProcessTesting
import XCTest

/// `fleet launch`: a supervisor with a learner child and actor children.
final class LaunchTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-launch") }


    private func children(of parent: Int32, running word: String) -> [Int32] {
        LaunchedCluster.children(of: parent, running: word)
    }

    /// Waits (bounded) until the run has logged its first iteration.
    private func waitForFirstIteration(_ runDir: URL, while process: ChildProcess) {
        let metrics = runDir.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(10)
        while ((try? Data(contentsOf: metrics))?.isEmpty ?? true) && Date() < deadline && process.process.isRunning {
            usleep(20_000)
        }
    }

    func testLaunchRunsALearnerAndTwoActorsToTheEnd() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        let launch = try ChildProcess(
            ["launch", config, "--actors", "2", "--set", "total_timesteps=4096", "--run-dir", runDir.path],
            outputDirectory: directory, name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 30), 0, launch.stderr)
        XCTAssertTrue(launch.stdout.contains("[learner] CartPole-v1 ppo seed 1: 4096 steps"), launch.stdout)
        XCTAssertTrue(launch.stderr.contains("[actor-1] "), launch.stderr)
        let actors = try XCTUnwrap(try runSummary(runDir)["actors"] as? [String: Int])
        XCTAssertEqual(actors, ["started": 2, "restarts": 0, "lost": 0])
    }

    func testAnActorKilledMidRunIsRestartedAndTheRunFinishes() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        let launch = try ChildProcess(
            ["launch", config, "--actors", "2", "--set", "total_timesteps=20480", "--run-dir", runDir.path],
            outputDirectory: directory, name: "launch", test: self)
        waitForFirstIteration(runDir, while: launch)
        let actorPIDs = children(of: launch.process.processIdentifier, running: "actor")
        XCTAssertEqual(actorPIDs.count, 2)
        let victim = try XCTUnwrap(actorPIDs.first)
        kill(victim, SIGKILL)
        XCTAssertEqual(launch.wait(seconds: 30), 0, launch.stderr)
        XCTAssertTrue(launch.stderr.contains("died (signal 9); restarting"), launch.stderr)
        let summary = try runSummary(runDir)
        XCTAssertEqual(summary["env_steps"] as? Int, 20480)
        XCTAssertEqual((summary["actors"] as? [String: Int])?.filter { $0.key != "lost" }, ["started": 3, "restarts": 1])
    }

    func testInterruptStopsTheClusterAndWritesTheSummarySoFar() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        let launch = try ChildProcess(
            ["launch", config, "--actors", "2", "--set", "total_timesteps=50000000", "--run-dir", runDir.path],
            outputDirectory: directory, name: "launch", test: self)
        waitForFirstIteration(runDir, while: launch)
        let pid = launch.process.processIdentifier
        let everyChild = children(of: pid, running: "learner") + children(of: pid, running: "actor")
        XCTAssertEqual(everyChild.count, 3)
        launch.process.interrupt()
        XCTAssertEqual(launch.wait(seconds: 15), 130, launch.stderr)
        for child in everyChild { XCTAssertNotEqual(kill(child, 0), 0, "child \(child) is still running") }
        let steps = try XCTUnwrap(try runSummary(runDir)["env_steps"] as? Int)
        XCTAssertGreaterThan(steps, 0)
        XCTAssertLessThan(steps, 50_000_000)
    }

    func testKillingTheLearnerStopsTheClusterAndSaysWhy() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        let launch = try ChildProcess(
            ["launch", config, "--actors", "2", "--set", "total_timesteps=50000000", "--run-dir", runDir.path],
            outputDirectory: directory, name: "launch", test: self)
        waitForFirstIteration(runDir, while: launch)
        let pid = launch.process.processIdentifier
        let learner = try XCTUnwrap(children(of: pid, running: "learner").first)
        let actors = children(of: pid, running: "actor")
        XCTAssertEqual(actors.count, 2)
        kill(learner, SIGKILL)
        let status = launch.wait(seconds: 15)
        XCTAssertNotNil(status)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(launch.stderr.contains("the learner died (signal 9); actors stopped"), launch.stderr)
        for actor in actors { XCTAssertNotEqual(kill(actor, 0), 0, "actor \(actor) is still running") }
    }

    func testTheLearnerFailingFailsTheLaunch() throws {
        let directory = try temporaryDirectory()
        // The learner cannot start: its Prometheus port is taken.
        let taken = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(taken) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        XCTAssertTrue(withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(taken, $0, length) == 0 && listen(taken, 1) == 0 && getsockname(taken, $0, &length) == 0 }
        })
        let runDir = directory.appendingPathComponent("run")
        let launch = try ChildProcess(
            [
                "launch", config, "--actors", "1", "--set", "total_timesteps=4096", "--set", "metrics_address=127.0.0.1",
                "--set", "metrics_port=\(UInt16(bigEndian: address.sin_port))", "--run-dir", runDir.path,
            ],
            outputDirectory: directory, name: "launch", test: self)
        let status = launch.wait(seconds: 15)
        XCTAssertNotNil(status)
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(launch.stderr.contains("the learner died"), launch.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: runDir.path), "the failed start left its run directory")
    }

    func testARunDirectoryInUseIsRefusedBeforeAnythingStarts() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        try FileManager.default.createDirectory(at: runDir, withIntermediateDirectories: true)
        XCTAssertTrue(FileManager.default.createFile(atPath: runDir.appendingPathComponent("other").path, contents: Data()))
        let result = try FleetProcess.run(
            ["launch", config, "--actors", "1", "--set", "total_timesteps=4096", "--run-dir", runDir.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("fleet launch: run directory \(runDir.path) is not empty"), result.stderr)
        XCTAssertFalse(result.stdout.contains("actors; live counters"), "processes were started: \(result.stdout)")
    }

    /// `--actors` that the config's rules refuse is named as `--actors`, not as the override it travels as.
    func testActorsThatDoNotDivideTheEnvironmentsAreRefusedByName() throws {
        let result = try FleetProcess.run(["launch", config, "--actors", "3"])
        XCTAssertEqual(result.status, 64, result.stderr)
        XCTAssertTrue(result.stderr.contains("fleet launch: --actors 3: 'num_actors' must divide num_envs = 4"), result.stderr)
        XCTAssertFalse(result.stderr.contains("--set"), result.stderr)
    }
}
