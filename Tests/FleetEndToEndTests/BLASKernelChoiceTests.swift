import FleetProcessTesting
import FleetTestSupport
import Foundation
import XCTest

/// `fleet` chooses OpenBLAS's kernels before the library computes anything: the library reads its
/// choice only when it loads, so `fleet` runs itself again with it. Here the choice is forced
/// (`FLEET_BLAS_CORE`), since this machine's OpenBLAS may already pick the best kernels.
final class BLASKernelChoiceTests: XCTestCase {
    private func fleet(_ arguments: [String], environment: [String: String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = FleetProcess.executable
        process.arguments = arguments
        var merged = ProcessInfo.processInfo.environment
        for key in ["OPENBLAS_CORETYPE", "FLEET_BLAS_CORE", "FLEET_BLAS_LIBRARY_CORE"] { merged[key] = nil }
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        return (process.terminationStatus, stdout, stderr)
    }

    func testTheChosenKernelsAreTheOnesThatRun() throws {
        let picked = try fleet(["bench-peer", "sgemm", "1"], environment: ["FLEET_BLAS_CORE": "library"])
        XCTAssertEqual(picked.status, 0, picked.stderr)
        let library = try XCTUnwrap(picked.stdout.split(separator: " ").last).trimmingCharacters(in: .whitespacesAndNewlines)
        // AVX kernels: every x86-64 CPU these tests run on has AVX.
        let other = library.lowercased() == "sandybridge" ? "Haswell" : "Sandybridge"
        let chosen = try fleet(["bench-peer", "sgemm", "1"], environment: ["FLEET_BLAS_CORE": other])
        XCTAssertEqual(chosen.status, 0, chosen.stderr)
        XCTAssertTrue(chosen.stdout.hasSuffix(" \(other)\n"), "the library runs what was chosen: \(chosen.stdout)")
        XCTAssertFalse(chosen.stderr.contains("warning"), chosen.stderr)
    }

    func testARunRecordsItsKernels() throws {
        let runDir = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let config = FleetProcessTesting.packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let result = try fleet(
            ["train", config, "--set", "total_timesteps=512", "--run-dir", runDir.path],
            environment: ["FLEET_BLAS_CORE": "Sandybridge"])
        XCTAssertEqual(result.status, 0, result.stderr)
        let data = try Data(contentsOf: runDir.appendingPathComponent("summary.json"))
        let summary = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let kernels = try XCTUnwrap(summary["blas_kernels"] as? String)
        XCTAssertTrue(kernels.hasPrefix("Sandybridge kernels (FLEET_BLAS_CORE; OpenBLAS picked "), kernels)
    }
}
