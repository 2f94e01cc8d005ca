import FleetTransport
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster
import FleetTestSupport
import FleetClusterTesting
import FleetConfig
@testable import FleetTools

/// An APPO run (PPO with V-trace) and an IMPALA run, each captured live with two actors up to two
/// versions behind, replay offline to the live run's weights.
final class VTraceCaptureReplayTests: XCTestCase {
    private func assertReplayEndsWithTheLiveWeights(_ overrides: [String], file: StaticString = #filePath, line: UInt = #line) throws {
        let config = try loopTestConfig(
            ["num_actors=2", "max_policy_lag=2", "total_timesteps=4096", "capture=true", "capture_dropped=true"] + overrides)
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("live").path)
        let live = try InProcessTraining(
            config: config, context: try Context(), directory: directory, metrics: try MetricsLogger(directory: directory),
            stallTimeout: .seconds(20)
        ).run()
        XCTAssertEqual(live.policyVersion, 8, file: file, line: line)
        // Actors sample ahead of the learner (faster than its updates): some batches are stale.
        let lags = try consumedUpdates(in: directory.capturesDirectory).joined().map { entry in
            Int(entry.learnerVersion) - Int(try Frame(decoding: entry.frame).payload.batchPolicyVersion ?? 0)
        }
        XCTAssertTrue(lags.contains { $0 > 0 }, "lags \(lags)", file: file, line: line)
        let selection = try CaptureSelection([directory.capturesDirectory.path], kinds: [.consumed])
        let outcome = try CaptureReplay(config: config).run(CaptureReader(files: selection.files, mode: .strict))
        XCTAssertEqual(outcome.updates, 8, file: file, line: line)
        XCTAssertEqual(outcome.gaps, [], file: file, line: line)
        XCTAssertEqual(outcome.summary.weightsSHA256, live.weightsSHA256, file: file, line: line)

        // Another estimator on the same batches ends elsewhere: the replay trains with the config's.
        let other = try loopTestConfig(
            ["num_actors=2", "max_policy_lag=2", "total_timesteps=4096"] + overrides + ["vtrace_rho_clip=0.5"])
        let changed = try CaptureReplay(config: other).run(CaptureReader(files: selection.files, mode: .strict))
        XCTAssertNotEqual(changed.summary.weightsSHA256, live.weightsSHA256, file: file, line: line)
    }

    func testAnAPPORunReplaysToItsWeights() throws {
        try assertReplayEndsWithTheLiveWeights(["advantage_estimator=vtrace"])
    }

    func testAnIMPALARunReplaysToItsWeights() throws {
        try assertReplayEndsWithTheLiveWeights(["algorithm=impala"])
    }
}
