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
        // The workers are gone with the run.
        let pgrep = Process()
        pgrep.executableURL = URL(fileURLWithPath: "/usr/bin/pgrep")
        pgrep.arguments = ["-f", "fleet_env serve --endpoint ipc://.*fleet-env-"]
        try pgrep.run()
        pgrep.waitUntilExit()
        XCTAssertEqual(pgrep.terminationStatus, 1, "no environment worker outlives its run")
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
