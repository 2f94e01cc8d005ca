import Foundation
import FleetProcessTesting
import XCTest

/// `fleet eval` on what `fleet train` leaves behind.
final class EvalTests: XCTestCase {
    static let packageRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    func testEvalPlaysTheFinalPolicyOfATrainingRun() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-eval-tests-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let runDir = root.appendingPathComponent("run")
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let trained = try FleetProcess.run(["train", config, "--set", "total_timesteps=2048", "--run-dir", runDir.path])
        XCTAssertEqual(trained.status, 0, trained.stderr)

        let policy = runDir.appendingPathComponent("checkpoints/policy-final.fleet")
        XCTAssertTrue(FileManager.default.fileExists(atPath: policy.path), "no final policy at \(policy.path)")

        for target in [runDir.path, policy.path] {
            let result = try FleetProcess.run(["eval", target, "--episodes", "3"])
            XCTAssertEqual(result.status, 0, result.stderr)
            XCTAssertTrue(result.stdout.contains("CartPole-v1: 3 episodes (greedy), return mean"), result.stdout)
            XCTAssertTrue(result.stdout.contains("policy version 4"), result.stdout)  // 2048 / 512 updates
        }
    }

    func testEvalRefusesAFileThatIsNotAPolicy() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-eval-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        try FileManager.default.copyItem(
            at: Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml"),
            to: root.appendingPathComponent("config.yaml"))
        let bogus = root.appendingPathComponent("policy.fleet")
        try Data("not a frame".utf8).write(to: bogus)

        let result = try FleetProcess.run(["eval", bogus.path])
        XCTAssertEqual(result.status, 1)
        XCTAssertTrue(result.stderr.contains("\(bogus.path): not a Fleet policy file"), result.stderr)
    }

    func testEvalRefusesAPolicyFileWithOneFlippedBit() throws {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-eval-tests-\(UUID().uuidString)", isDirectory: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        let runDir = root.appendingPathComponent("run")
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let trained = try FleetProcess.run(["train", config, "--set", "total_timesteps=1024", "--run-dir", runDir.path])
        XCTAssertEqual(trained.status, 0, trained.stderr)
        let policy = runDir.appendingPathComponent("checkpoints/policy-final.fleet")
        var bytes = try [UInt8](Data(contentsOf: policy))
        bytes[bytes.count / 2] ^= 0x10  // inside a parameter's float32 values
        try Data(bytes).write(to: policy)

        let result = try FleetProcess.run(["eval", runDir.path])
        XCTAssertEqual(result.status, 1, result.stdout)
        XCTAssertTrue(result.stderr.contains("\(policy.path): the policy file is damaged"), result.stderr)
    }
}
