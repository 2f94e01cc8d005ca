import Foundation
import XCTest

/// `fleet learner` and `fleet actor` as separate processes over `ipc://`.
final class LearnerActorTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    /// A fresh short directory (ipc socket paths must stay short), removed when the test ends.
    private func temporaryDirectory() throws -> URL {
        let url = URL(fileURLWithPath: "/tmp/fleet-la-\(UUID().uuidString.prefix(8))", isDirectory: true)
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

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
