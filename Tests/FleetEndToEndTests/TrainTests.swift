import Foundation
import FleetProcessTesting
import XCTest

/// `fleet train` as a user runs it.
final class TrainTests: XCTestCase {
    /// The package's root, where `cluster/` lives.
    static let packageRoot = FleetProcessTesting.packageRoot

    private func temporaryRunDirectory() throws -> URL {
        let root = FileManager.default.temporaryDirectory
            .appendingPathComponent("fleet-train-tests-\(UUID().uuidString)", isDirectory: true)
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: root) }
        return root.appendingPathComponent("run")
    }

    func testTrainCartPoleWritesTheRunDirectory() throws {
        let runDir = try temporaryRunDirectory()
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let result = try FleetProcess.run([
            "train", config, "--set", "total_timesteps=4096", "--run-dir", runDir.path,
        ])
        XCTAssertEqual(result.status, 0, result.stderr)
        XCTAssertTrue(result.stdout.contains("4096 steps"), result.stdout)
        XCTAssertTrue(result.stdout.contains(runDir.path), result.stdout)

        let files = try FileManager.default.contentsOfDirectory(atPath: runDir.path)
        XCTAssertTrue(files.contains("config.yaml"), "\(files)")
        XCTAssertTrue(files.contains { $0.hasPrefix("events.out.tfevents.") }, "\(files)")
        let writtenConfig = try String(contentsOf: runDir.appendingPathComponent("config.yaml"), encoding: .utf8)
        XCTAssertTrue(writtenConfig.contains("total_timesteps: 4096"), writtenConfig)

        let metrics = try String(contentsOf: runDir.appendingPathComponent("metrics.jsonl"), encoding: .utf8)
        XCTAssertEqual(metrics.split(separator: "\n").count, 8)  // 4096 / (4 envs x 128 steps)
        XCTAssertTrue(metrics.contains("\"losses/value_loss\""))

        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(summary["env"] as? String, "CartPole-v1")
        XCTAssertEqual(summary["algorithm"] as? String, "ppo")
        XCTAssertEqual(summary["env_steps"] as? Int, 4096)
        XCTAssertEqual(summary["policy_version"] as? Int, 8)
        XCTAssertEqual(summary["seed"] as? Int, 1)
        XCTAssertEqual(summary["reward_threshold"] as? Double, 475)
        XCTAssertGreaterThan(summary["episodes"] as? Int ?? 0, 0)
        XCTAssertGreaterThan(summary["sps"] as? Double ?? 0, 0)
        XCTAssertGreaterThan(summary["final_return_mean100"] as? Double ?? 0, 8)
        XCTAssertEqual((summary["weights_sha256"] as? String)?.count, 64)
        XCTAssertEqual((summary["actors"] as? [String: Int]), ["started": 1, "restarts": 0, "lost": 0])
        XCTAssertEqual((summary["rejected"] as? [String: Int]), [:])
    }

    func testInterruptStopsCleanlyAndWritesTheSummarySoFar() throws {
        let runDir = try temporaryRunDirectory()
        let process = Process()
        process.executableURL = FleetProcess.executable
        process.arguments = [
            "train", Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path,
            "--set", "total_timesteps=50000000", "--run-dir", runDir.path,
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        // Wait (bounded) until the first iteration is logged, then press Ctrl-C.
        let metrics = runDir.appendingPathComponent("metrics.jsonl")
        let deadline = Date().addingTimeInterval(30)
        while ((try? Data(contentsOf: metrics))?.isEmpty ?? true) && Date() < deadline && process.isRunning {
            usleep(20_000)
        }
        process.interrupt()
        process.waitUntilExit()
        XCTAssertEqual(process.terminationStatus, 130)

        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let steps = try XCTUnwrap(summary["env_steps"] as? Int)
        XCTAssertGreaterThan(steps, 0)
        XCTAssertLessThan(steps, 50_000_000)
        XCTAssertEqual(summary["policy_version"] as? Int, steps / 512)
    }

    /// A listening socket on a loopback port, so that nothing else can listen there; closed when the test ends.
    private func takenPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        XCTAssertGreaterThanOrEqual(fd, 0)
        addTeardownBlock { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && listen(fd, 1) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        XCTAssertTrue(bound)
        return Int(UInt16(bigEndian: address.sin_port))
    }

    func testAFailedStartLeavesNoRunDirectoryAndTheRetryRuns() throws {
        let runDir = try temporaryRunDirectory()
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let port = try takenPort()
        let failed = try FleetProcess.run([
            "train", config, "--set", "total_timesteps=1024", "--set", "metrics_address=127.0.0.1", "--set", "metrics_port=\(port)",
            "--run-dir", runDir.path,
        ])
        XCTAssertNotEqual(failed.status, 0)
        XCTAssertFalse(FileManager.default.fileExists(atPath: runDir.path), "a start that failed left \(runDir.path)")
        let retry = try FleetProcess.run(["train", config, "--set", "total_timesteps=1024", "--run-dir", runDir.path])
        XCTAssertEqual(retry.status, 0, retry.stderr)
    }

    func testRunsStartedInTheSameSecondEachGetARunDirectory() throws {
        let root = try temporaryRunDirectory().deletingLastPathComponent()
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let runs = try (0..<3).map { _ in try FleetProcess.run(["train", config, "--set", "total_timesteps=512"], in: root) }
        for run in runs { XCTAssertEqual(run.status, 0, run.stderr) }
        let names = try FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("runs").path)
        XCTAssertEqual(Set(names).count, 3, "\(names)")
    }

    func testAnUnknownEnvironmentIsAClearErrorAndWritesNothing() throws {
        let runDir = try temporaryRunDirectory()
        let config = Self.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let result = try FleetProcess.run([
            "train", config, "--set", "env_id=CartPol-v1", "--run-dir", runDir.path,
        ])
        XCTAssertEqual(result.status, 64)
        XCTAssertTrue(result.stderr.contains("unknown environment 'CartPol-v1'"), result.stderr)
        XCTAssertFalse(FileManager.default.fileExists(atPath: runDir.path))
    }
}
