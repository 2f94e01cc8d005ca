import FleetCluster
import Foundation
import Logging
import XCTest
import FleetTestSupport
import FleetConfig

/// The read-back proof: TensorBoard's own Python loader (`EventAccumulator`, the `tensorboard`
/// package pinned in Tests/Interop/requirements.txt) reads the event files Fleet writes.
/// `make test` prepares the Python side (scripts/install-deps.sh --python).
final class TensorBoardInteropTests: XCTestCase {
    static let repositoryRoot = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let script = repositoryRoot.appendingPathComponent("Tests/Interop/read_tensorboard.py").path

    private struct Read: Decodable {
        let file_version: String?
        /// tag -> [[step, value, wall_time]]
        let scalars: [String: [[Double]]]
    }

    func testTensorBoardReadsFleetsScalars() throws {
        let root = try makeTemporaryDirectory(self)
        let directory = try RunDirectory(creating: root.appendingPathComponent("run").path)
        let clock = ManualClock(1_764_000_000)
        let logger = try MetricsLogger(directory: directory, clock: clock.read)
        for iteration in 1...3 {
            clock.now += 1.5
            try logger.log(step: iteration * 512, [
                MetricTag.episodicReturn: Double(iteration) * 20.5,
                MetricTag.valueLoss: 1.0 / Double(iteration),
                MetricTag.stepsPerSecond: 4096,
            ])
        }
        try logger.log(step: 2048, [MetricTag.explainedVariance: -0.25])
        try logger.close()
        let eventFile = try XCTUnwrap(
            FileManager.default.contentsOfDirectory(atPath: directory.url.path).first { $0.contains("tfevents") })

        let output = try runPython([directory.url.appendingPathComponent(eventFile).path])
        let read = try JSONDecoder().decode(Read.self, from: Data(output.utf8))
        XCTAssertEqual(read.file_version, "brain.Event:2")
        XCTAssertEqual(
            Set(read.scalars.keys),
            ["charts/episodic_return", "losses/value_loss", "charts/SPS", "losses/explained_variance"])
        let returns = try XCTUnwrap(read.scalars["charts/episodic_return"])
        XCTAssertEqual(returns.map { $0[0] }, [512, 1024, 1536])
        XCTAssertEqual(returns.map { $0[1] }, [20.5, 41, 61.5])
        XCTAssertEqual(returns.map { $0[2] }, [1_764_000_001.5, 1_764_000_003, 1_764_000_004.5])
        let valueLoss = try XCTUnwrap(read.scalars["losses/value_loss"]).map { $0[1] }
        for (read, expected) in zip(valueLoss, [1.0, 0.5, 1.0 / 3]) {
            XCTAssertEqual(read, Double(Float(expected)), "simple_value is a float32")
        }
        XCTAssertEqual(read.scalars["losses/explained_variance"]?.first, [2048, -0.25, 1_764_000_004.5])
    }

    /// Runs Tests/Interop/read_tensorboard.py and returns its standard output.
    private func runPython(_ arguments: [String]) throws -> String {
        // `make test` names the interpreter in FLEET_PYTHON: then it must be there. A bare
        // `swift test` without the prepared environment skips, and says how to prepare it.
        let named = ProcessInfo.processInfo.environment["FLEET_PYTHON"]
        let python = named ?? Self.repositoryRoot.appendingPathComponent(".build-python/bin/python").path
        guard FileManager.default.isExecutableFile(atPath: python) else {
            let message = "no Python for the TensorBoard read-back at \(python): run `make test` or scripts/install-deps.sh --python"
            if named != nil { XCTFail(message) }
            throw XCTSkip(message)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: python)
        process.arguments = [Self.script] + arguments
        let standardOutput = Pipe(), standardError = Pipe()
        process.standardOutput = standardOutput
        process.standardError = standardError
        try process.run()
        let output = standardOutput.fileHandleForReading.readDataToEndOfFile()
        let errors = standardError.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: output, as: UTF8.self)
        XCTAssertEqual(process.terminationStatus, 0, text + String(decoding: errors, as: UTF8.self))
        return text
    }
}
