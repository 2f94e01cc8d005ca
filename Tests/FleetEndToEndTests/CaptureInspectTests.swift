import Foundation
import FleetProcessTesting
import XCTest

/// `fleet inspect` on the capture of a real launched cluster: the JSON for scripts and the text
/// report agree with the run.
final class CaptureInspectTests: XCTestCase {
    private var config: String { TrainTests.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path }

    private func temporaryDirectory() throws -> URL { try makeTestDirectory("fleet-inspect") }

    private func object(_ json: String) throws -> [String: Any] {
        try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
    }

    /// Two PPO actors, one batch each per update: the capture holds two consumed records per update.
    func testInspectingALaunchedCaptureCountsTwoBatchesPerUpdate() throws {
        let directory = try temporaryDirectory()
        let runDir = directory.appendingPathComponent("live")
        let launch = try ChildProcess(
            ["launch", config, "--capture", "--run-dir", runDir.path, "--actors", "2", "--set", "total_timesteps=4096",
             "--set", "capture_dropped=true"],
            outputDirectory: directory, name: "launch", test: self)
        XCTAssertEqual(launch.wait(seconds: 60), 0, launch.stderr)
        let summary = try object(String(decoding: Data(contentsOf: runDir.appendingPathComponent("summary.json")), as: UTF8.self))
        let captures = runDir.appendingPathComponent("captures").path

        let result = try FleetProcess.run(["inspect", captures, "--json"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let inspection = try object(result.stdout)
        let updates = try XCTUnwrap(inspection["updates"] as? Int)
        XCTAssertEqual(updates, summary["policy_version"] as? Int)
        let byKind = try XCTUnwrap(inspection["records_by_kind"] as? [String: Int])
        XCTAssertEqual(byKind["consumed"], 2 * updates)
        XCTAssertEqual(inspection["records"] as? Int, 2 * updates + (byKind["dropped"] ?? 0))
        let records = try XCTUnwrap(inspection["records"] as? Int)
        XCTAssertEqual(
            inspection["batch_kinds"] as? [String: Int],
            ["trajectory_batch": records, "group_batch": 0, "other": 0, "undecodable": 0])
        XCTAssertEqual((inspection["senders"] as? [String: Int]).map { Set($0.keys) }, ["actor-0", "actor-1"])
        let consumed = try XCTUnwrap((inspection["content_by_kind"] as? [String: Any])?["consumed"] as? [String: Any])
        XCTAssertEqual(consumed["env_steps"] as? Int, 4096)
        let manifest = try XCTUnwrap(inspection["manifest"] as? [String: Any])
        XCTAssertEqual(manifest["complete"] as? Bool, true)
        XCTAssertEqual(manifest["weights_sha256"] as? String, summary["weights_sha256"] as? String)
        XCTAssertEqual((inspection["damage"] as? [Any])?.count, 0)

        let text = try FleetProcess.run(["inspect", captures])
        XCTAssertEqual(text.status, 0, text.stderr)
        XCTAssertTrue(text.stdout.contains("\(updates) updates\n"), text.stdout)
        XCTAssertTrue(text.stdout.hasSuffix("damage: none\n"), text.stdout)
        print("fleet inspect:\n\(text.stdout)")
    }

    func testAPathThatIsNotACaptureExitsOne() throws {
        let result = try FleetProcess.run(["inspect", "/nonexistent/captures"])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("neither a capture directory nor a capture file"), result.stderr)
    }
}
