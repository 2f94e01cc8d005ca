import Foundation
import FleetProcessTesting
import XCTest

/// `fleet learner` and `fleet actor` as separate processes over `ipc://`.
final class LearnerActorTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    /// A fresh short directory (ipc socket paths must stay short), owner-only as the learner
    /// requires of its ipc sockets' directory, removed when the test ends.
    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-la") }

    private func ipcSettings(_ directory: URL, actors: Int) -> [String] {
        ["--set", "total_timesteps=4096", "--set", "num_actors=\(actors)"]
            + ["batches", "weights", "control"].flatMap { ["--set", "endpoints.\($0)=ipc://\(directory.path)/\($0)"] }
    }

    func testLearnerAndTwoActorProcessesTrainOverIPC() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        let settings = ipcSettings(directory, actors: 2)
        let learner = try ChildProcess(
            ["learner", config, "--run-dir", runDir.path] + settings, outputDirectory: directory, name: "learner", test: self)
        let actors = try (0..<2).map {
            try ChildProcess(
                ["actor", config, "--connect", "ipc://\(directory.path)", "--index", "\($0)", "--set", "num_actors=2"],
                outputDirectory: directory, name: "actor-\($0)", test: self)
        }
        XCTAssertEqual(learner.wait(seconds: 30), 0, learner.stderr)
        for actor in actors { XCTAssertEqual(actor.wait(seconds: 10), 0, actor.stderr) }
        XCTAssertTrue(learner.stdout.contains("4096 steps"), learner.stdout)

        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["env_steps"] as? Int, 4096)
        XCTAssertEqual((summary["actors"] as? [String: Int])?["started"], 2)
        XCTAssertEqual((summary["rejected"] as? [String: Int]), [:])
    }

    /// An actor started with another config than the learner's is told why at its Hello and exits
    /// non-zero saying so, instead of sending batches the learner refuses.
    func testAnActorOfAnotherConfigIsRefusedAtHelloAndSaysWhy() throws {
        let directory = try temporaryDirectory()
        let learner = try ChildProcess(
            ["learner", config, "--run-dir", directory.appendingPathComponent("run").path, "--set", "stall_timeout=5"]
                + ipcSettings(directory, actors: 1),
            outputDirectory: directory, name: "learner", test: self)
        let actor = try ChildProcess(
            ["actor", config, "--connect", "ipc://\(directory.path)", "--index", "0", "--set", "hidden_sizes=[8]"],
            outputDirectory: directory, name: "actor-0", test: self)
        XCTAssertEqual(actor.wait(seconds: 15), 5, actor.stderr)
        XCTAssertTrue(actor.stderr.contains("actor-0 stopped: the learner refused it: spec hash "), actor.stderr)
        XCTAssertTrue(actor.stderr.contains("starting it again does not help"), actor.stderr)
        XCTAssertEqual(learner.wait(seconds: 30), 3, "no batch came: the learner stalls, the run short")
        XCTAssertTrue(learner.stderr.contains("rejected a Hello"), learner.stderr)
    }

    /// A learner whose actors stop coming stalls: it still writes summary.json, saying how the run
    /// ended and what it lost, and exits 3 (the run fell short).
    func testAStalledRunWritesItsSummaryAndExitsThree() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("run")
        let learner = try ChildProcess(
            ["learner", config, "--run-dir", runDir.path, "--set", "stall_timeout=2"] + ipcSettings(directory, actors: 1),
            outputDirectory: directory, name: "learner", test: self)
        XCTAssertEqual(learner.wait(seconds: 30), 3, learner.stderr)
        XCTAssertTrue(learner.stderr.contains("summary.json holds the run so far"), learner.stderr)
        let summary = try Self.summary(runDir)
        XCTAssertEqual(summary["ended"] as? String, "stalled")
        XCTAssertEqual(summary["complete"] as? Bool, false)
        XCTAssertEqual(summary["updates"] as? Int, 0)
        XCTAssertEqual(summary["updates_planned"] as? Int, 8)
        XCTAssertEqual(summary["steps_short"] as? Int, 4096)
    }

    /// One of two actors never comes: every update trains on half a batch. The run finishes its
    /// updates but falls short of its steps: summary.json says by how much, and the learner exits 3,
    /// or 0 with allow_partial.
    func testARunOnPartialBatchesExitsThreeUnlessPartialIsAllowed() throws {
        for allowPartial in [false, true] {
            let directory = try temporaryDirectory()
            let runDir = directory.appendingPathComponent("run")
            let learner = try ChildProcess(
                ["learner", config, "--run-dir", runDir.path, "--set", "join_timeout=0.5", "--set", "max_policy_lag=0",
                 "--set", "allow_partial=\(allowPartial)"] + ipcSettings(directory, actors: 2),
                outputDirectory: directory, name: "learner", test: self)
            let actor = try ChildProcess(
                ["actor", config, "--connect", "ipc://\(directory.path)", "--index", "0", "--set", "num_actors=2"],
                outputDirectory: directory, name: "actor-0", test: self)
            XCTAssertEqual(learner.wait(seconds: 60), allowPartial ? 0 : 3, learner.stderr)
            XCTAssertEqual(actor.wait(seconds: 10), 0, actor.stderr)
            XCTAssertTrue(learner.stderr.contains("8 of 8 updates trained on partial batches"), learner.stderr)
            let summary = try Self.summary(runDir)
            XCTAssertEqual(summary["ended"] as? String, "finished")
            XCTAssertEqual(summary["complete"] as? Bool, false)
            XCTAssertEqual(summary["partial_updates"] as? Int, 8)
            XCTAssertEqual(summary["env_steps"] as? Int, 2048)
            XCTAssertEqual(summary["steps_planned"] as? Int, 4096)
            XCTAssertEqual(summary["steps_short"] as? Int, 2048)
        }
    }

    private static func summary(_ runDir: URL) throws -> [String: Any] {
        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        return try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    /// With no learner there (or one that never answers), an actor says so and exits 4 after
    /// `learner_timeout`, rather than waiting forever.
    func testAnActorWithoutALearnerGivesUpAfterTheLearnerTimeout() throws {
        let directory = try temporaryDirectory()
        let started = Date()
        let actor = try FleetProcess.run([
            "actor", config, "--connect", "ipc://\(directory.path)", "--index", "0", "--set", "learner_timeout=1",
        ])
        XCTAssertEqual(actor.status, 4, actor.stderr)
        XCTAssertTrue(actor.stderr.contains("actor-0 gives up: nothing from the learner at ipc://\(directory.path)/control"), actor.stderr)
        XCTAssertTrue(actor.stderr.contains("allow-list"), actor.stderr)
        XCTAssertLessThan(Date().timeIntervalSince(started), 20, "a bounded wait")
    }

    /// An ipc directory others may enter, tcp without keys: refused (exit 64, saying what to set),
    /// unless insecure: true, which says so at start.
    func testLearnerAndActorRefuseEndpointsOthersCouldReach() throws {
        let open = try temporaryDirectory()
        XCTAssertEqual(chmod(open.path, 0o755), 0)
        let ipc = try FleetProcess.run(["learner", config, "--run-dir", open.appendingPathComponent("run").path] + ipcSettings(open, actors: 1))
        XCTAssertEqual(ipc.status, 64, ipc.stderr)
        XCTAssertTrue(ipc.stderr.contains("\(open.path) is mode 755, not owner-only"), ipc.stderr)
        XCTAssertTrue(ipc.stderr.contains("insecure: true"), ipc.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: open.appendingPathComponent("run").path), "nothing written")

        let tcp = ["batches", "weights", "control"].enumerated().flatMap { ["--set", "endpoints.\($1)=tcp://127.0.0.1:\(5555 + $0)"] }
        let learner = try FleetProcess.run(["learner", config] + tcp)
        XCTAssertEqual(learner.status, 64, learner.stderr)
        XCTAssertTrue(learner.stderr.contains("set curve.learner_secret_key_file"), learner.stderr)
        XCTAssertTrue(learner.stderr.contains("curve.authorized_actors"), learner.stderr)
        let actor = try FleetProcess.run(["actor", config] + tcp)
        XCTAssertEqual(actor.status, 64, actor.stderr)
        XCTAssertTrue(actor.stderr.contains("curve.learner_public_key_file"), actor.stderr)
        XCTAssertTrue(actor.stderr.contains("curve.actor_secret_key_file"), actor.stderr)

        // insecure: true starts, and says what it lets through (stopped at once by a short stall_timeout).
        let lenient = try FleetProcess.run(
            ["learner", config, "--run-dir", open.appendingPathComponent("lenient").path, "--set", "insecure=true",
                "--set", "stall_timeout=0.2", "--set", "join_timeout=0.1"] + ipcSettings(open, actors: 1))
        XCTAssertEqual(lenient.status, 3, "stalled: " + lenient.stderr)
        XCTAssertTrue(lenient.stderr.contains("learner: warning: insecure: true: endpoints.batches"), lenient.stderr)
        XCTAssertTrue(lenient.stderr.contains("other users may connect"), lenient.stderr)
    }

    func testLearnerRefusesInprocEndpoints() throws {
        let result = try FleetProcess.run(["learner", config])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("inproc://"), result.stderr)
    }

    func testActorRejectsAMalformedConnectTarget() throws {
        let result = try FleetProcess.run(["actor", config, "--connect", "10.0.0.2"])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("tcp://HOST"), result.stderr)
    }
}
