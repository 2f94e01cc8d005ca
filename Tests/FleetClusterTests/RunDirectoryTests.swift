import FleetCluster
import Foundation
import XCTest
import FleetTestSupport
import FleetConfig

final class RunDirectoryTests: XCTestCase {
    func testDefaultNameIsEnvAlgoSeedTime() throws {
        XCTAssertEqual(
            RunDirectory.defaultName(envID: "CartPole-v1", algorithm: "ppo", seed: 7, unixTime: 1_764_000_000),
            "CartPole-v1__ppo__7__1764000000")
        XCTAssertEqual(
            RunDirectory.defaultName(envID: "math/gsm 8k", algorithm: "grpo", seed: 1, unixTime: 5),
            "math_gsm_8k__grpo__1__5")
        let config = try RunConfig(file: nil, overrides: ["seed=3"])
        XCTAssertEqual(
            RunDirectory.path(for: config, now: Date(timeIntervalSince1970: 1_764_000_000.9), root: "runs"),
            "runs/CartPole-v1__ppo__3__1764000000")
    }

    func testChosenRunDirWins() throws {
        let config = try RunConfig(file: nil, overrides: ["run_dir=/tmp/somewhere"])
        XCTAssertEqual(RunDirectory.path(for: config), "/tmp/somewhere")
    }

    func testCreateWritesTheResolvedConfig() throws {
        let root = try makeTemporaryDirectory(self)
        let config = try RunConfig(file: nil, overrides: ["gamma=0.97"])
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        let directory = try RunDirectory.create(for: config, now: now, root: root.path)
        XCTAssertEqual(directory.url.lastPathComponent, "CartPole-v1__ppo__1__1764000000")
        XCTAssertEqual(try ConfigResolver.resolve(file: directory.configFile.path), config.resolved)
        XCTAssertEqual(directory.checkpointsDirectory.lastPathComponent, "checkpoints")
        XCTAssertEqual(directory.capturesDirectory.lastPathComponent, "captures")
    }

    func testRefusesANonEmptyDirectoryUnlessAskedToReuse() throws {
        let root = try makeTemporaryDirectory(self)
        let path = root.appendingPathComponent("runs/a/b").path
        _ = try RunDirectory(creating: path)  // created with its parents
        _ = try RunDirectory(creating: path)  // empty: used again
        try Data("x".utf8).write(to: URL(fileURLWithPath: path).appendingPathComponent("metrics.jsonl"))
        XCTAssertThrowsError(try RunDirectory(creating: path)) { error in
            XCTAssertEqual(error as? RunDirectoryError, .notEmpty(path: path))
            XCTAssertTrue("\(error)".contains("--run-dir"), "\(error)")
        }
        XCTAssertNoThrow(try RunDirectory(creating: path, reuse: true))
    }

    func testRefusesAFile() throws {
        let root = try makeTemporaryDirectory(self)
        let file = root.appendingPathComponent("taken")
        try Data().write(to: file)
        XCTAssertThrowsError(try RunDirectory(creating: file.path)) { error in
            XCTAssertEqual(error as? RunDirectoryError, .notADirectory(path: file.path))
        }
    }

    func testRunsOfTheSameConfigInTheSameSecondGetNamesOfTheirOwn() throws {
        let root = try makeTemporaryDirectory(self)
        let config = try RunConfig(file: nil)
        let now = Date(timeIntervalSince1970: 1_764_000_000)
        let names = try (0..<3).map { _ in try RunDirectory.create(for: config, now: now, root: root.path).url.lastPathComponent }
        let base = "CartPole-v1__ppo__1__1764000000"
        XCTAssertEqual(names, [base, base + "-2", base + "-3"])
        for name in names {
            XCTAssertTrue(FileManager.default.fileExists(atPath: root.appendingPathComponent(name).appendingPathComponent("config.yaml").path))
        }
    }

    func testAChosenRunDirectoryIsClaimedEmptyAndRemovedWhole() throws {
        let path = try makeTemporaryDirectory(self).appendingPathComponent("chosen").path
        let config = try RunConfig(file: nil, overrides: ["run_dir=\(path)"])
        let directory = try RunDirectory.claim(for: config)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: path), [])
        try Data("x".utf8).write(to: directory.configFile)
        XCTAssertThrowsError(try RunDirectory.claim(for: config)) { error in
            XCTAssertEqual(error as? RunDirectoryError, .notEmpty(path: path))
        }
        directory.remove()
        XCTAssertFalse(FileManager.default.fileExists(atPath: path))
    }
}
