import Foundation
import FleetProcessTesting
import XCTest

/// The Slurm template in `cluster/`: the sbatch script's syntax and requeue settings. Its runs on a
/// real Slurm cluster are `make slurm` (cluster/slurm/testbed/). (The Kubernetes manifests are
/// checked by cluster/tests/, which `make test` runs.)
final class ClusterTemplateTests: XCTestCase {
    private static let cluster = TrainTests.packageRoot.appendingPathComponent("cluster")
    private static let sbatch = cluster.appendingPathComponent("slurm/fleet-cluster.sbatch")

    // MARK: - Slurm

    func testSbatchScriptPassesBashSyntaxCheck() throws {
        let result = try run("/bin/bash", ["-n", Self.sbatch.path])
        XCTAssertEqual(result.status, 0, result.stderr)
        let text = try String(contentsOf: Self.sbatch, encoding: .utf8)
        XCTAssertTrue(text.hasPrefix("#!/bin/bash\n"))
        XCTAssertTrue(text.contains("#SBATCH --nodes=3\n"))
        // Requeue-safe: the output is appended to, and a restarted learner resumes its run.
        XCTAssertTrue(text.contains("#SBATCH --open-mode=append\n"))
        XCTAssertTrue(text.contains("#SBATCH --requeue\n"))
        XCTAssertTrue(text.contains("--resume-if-present"))
    }

    // MARK: - Helpers

    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, stderr: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stderr, as: UTF8.self))
    }
}
