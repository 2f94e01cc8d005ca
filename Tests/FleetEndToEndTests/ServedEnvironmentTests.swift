import FleetProcessTesting
import FleetTestSupport
import Foundation
import XCTest

/// Gymnasium environments served by Fleet's Python package, through the commands a user runs.
final class ServedEnvironmentTests: XCTestCase {
    private let config = FleetProcessTesting.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path

    /// `fleet train` on `gymnasium:CartPole-v1`: the actor starts the workers, trains, and stops them.
    func testTrainOnAGymnasiumEnvironment() throws {
        let python = try servingPython()
        let runDir = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let workersBefore = try servingWorkers()
        let result = try FleetProcess.run([
            "train", config, "--set", "env_id=gymnasium:CartPole-v1", "--set", "env_python=\(python)",
            "--set", "env_workers=2", "--set", "total_timesteps=4096", "--run-dir", runDir.path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("gymnasium:CartPole-v1 ppo seed 1: 4096 steps"), result.stdout)
        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["env"] as? String, "gymnasium:CartPole-v1")
        XCTAssertGreaterThan(summary["episodes"] as? Int ?? 0, 50)
        // The workers are gone with the run (others' workers may run meanwhile).
        XCTAssertTrue(try servingWorkers().isSubset(of: workersBefore), "no environment worker outlives its run")
    }

    /// The process ids of every environment worker on the machine.
    private func servingWorkers() throws -> Set<String> {
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        pgrep.arguments = ["-f", "fleet_env serve --endpoint"]
        let pipe = Pipe()
        pgrep.standardOutput = pipe
        try pgrep.run()
        let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        pgrep.waitUntilExit()
        return Set(output.split(separator: "\n").map(String.init))
    }

    /// A worker killed mid-run stops `fleet train` (nobody could restart its actor) with the reason,
    /// at once rather than after the learner's stall timeout.
    func testAWorkerThatDiesStopsTrainWithTheReason() throws {
        let python = try servingPython()
        let directory = try makeTemporaryDirectory(self)
        let train = try ChildProcess(
            [
                "train", config, "--set", "env_id=gymnasium:CartPole-v1", "--set", "env_python=\(python)",
                "--run-dir", directory.appendingPathComponent("run").path,
            ], outputDirectory: directory, name: "train", test: self)
        let deadline = Date().addingTimeInterval(60)
        while !train.stdout.contains("steps ") && !train.stderr.contains("steps "), Date() < deadline {
            usleep(50_000)
        }
        let pkill = Process()
        pkill.executableURL = URL(fileURLWithPath: "/usr/bin/pkill")
        pkill.arguments = ["-9", "-P", "\(train.process.processIdentifier)", "-f", "fleet_env serve"]
        try pkill.run()
        pkill.waitUntilExit()
        XCTAssertEqual(pkill.terminationStatus, 0, "a worker was there to kill")
        let status = train.wait(seconds: 30)
        XCTAssertNotNil(status, "train stops well before its stall timeout")
        XCTAssertNotEqual(status, 0)
        XCTAssertTrue(train.stderr.contains("env-worker-0 (gymnasium:CartPole-v1) exited (signal 9)"), train.stderr)
        XCTAssertFalse(train.stderr.contains("is fleet_env installed"), "it had answered before: \(train.stderr)")
    }

    /// An environment id that Gymnasium does not know is refused at start, saying so.
    func testAnUnknownGymnasiumIDIsRefusedAtStart() throws {
        let python = try servingPython()
        let runDir = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let result = try FleetProcess.run([
            "train", config, "--set", "env_id=gymnasium:NoSuchThing-v0", "--set", "env_python=\(python)",
            "--run-dir", runDir.path,
        ])
        XCTAssertNotEqual(result.status, 0)
        XCTAssertTrue(result.stderr.contains("NoSuchThing-v0"), result.stderr)
    }
}
