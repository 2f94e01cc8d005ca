import FleetCluster
import FleetClusterTesting
import FleetConfig
import FleetTestSupport
import FleetWire
import Foundation
import XCTest

@testable import FleetTools

/// A capture that a resume cut back to its checkpoint still replays to the live weights, and its
/// manifest records the versions skipped past what a dead learner may have published.
final class ResumedCaptureReplayTests: XCTestCase {
    private func runDirectory() throws -> RunDirectory {
        try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("run").path)
    }

    func testAResumeAfterATornCheckpointCutsTheCaptureBackSkipsVersionsAndStillReplaysToTheLiveWeights() throws {
        let config = try loopTestConfig([
            "num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "checkpoint_every=2", "capture=true",
            "capture_dropped=true",
        ])
        let directory = try runDirectory()
        try runInProcess(config, in: directory, stopAt: 5)
        // As if the learner had died writing the checkpoint of version 5: the newest complete one is 4.
        let torn = directory.checkpointsDirectory.appendingPathComponent("version-000005")
        try FileManager.default.removeItem(at: torn.appendingPathComponent("manifest.json"))
        XCTAssertEqual(try consumedUpdates(in: directory.capturesDirectory).count, 5)

        let log = LogLines()
        let (second, summary) = try runInProcess(config, in: directory, resume: true, log: log)
        XCTAssertEqual(second.learner.resumedFrom?.lastPathComponent, "version-000004")
        XCTAssertTrue(
            log.lines.contains("learner: passed over checkpoint version-000005: no manifest.json (a write that did not finish)"),
            "\(log.lines)")
        // Version 5 may have been published by the learner that wrote checkpoint 4: the resume goes on at 6.
        XCTAssertTrue(log.lines.contains { $0.contains("weights version 6 (versions 5..<6 skipped") }, "\(log.lines)")
        XCTAssertEqual(summary.policyVersion, 10, "8 updates, versions 5 skipped once")
        XCTAssertEqual(summary.envSteps, 4096)

        // The capture holds the updates the final weights come from: 4 before the checkpoint, 4 after.
        let updates = try consumedUpdates(in: directory.capturesDirectory)
        XCTAssertEqual(updates.map { $0[0].learnerVersion }, [0, 1, 2, 3, 6, 7, 8, 9])
        var seen = Set<String>()
        for entry in updates.joined() {
            let envelope = try Frame(decoding: entry.frame).envelope
            XCTAssertTrue(
                seen.insert("\(envelope.senderID)/\(envelope.incarnation)/\(envelope.sequence)").inserted,
                "a batch trained twice: \(envelope)")
        }
        XCTAssertEqual(
            try CaptureInspection(CaptureSelection([directory.capturesDirectory.path], kinds: [.consumed])).consumedTwice, 0)
        let manifest = try CaptureManifest.read(directory: directory.capturesDirectory)
        XCTAssertEqual(manifest.versionSkips, [.init(from: 4, to: 6)])
        XCTAssertEqual(manifest.weightsSHA256, summary.weightsSHA256)
        let selection = try CaptureSelection([directory.capturesDirectory.path], kinds: [.consumed])
        let replay = try CaptureReplay(config: config)
            .run(CaptureReader(files: selection.files, mode: .strict), versionSkips: manifest.versionSkips ?? [])
        XCTAssertEqual(replay.gaps, [])
        XCTAssertEqual(replay.updates, 8)
        XCTAssertEqual(replay.summary.weightsSHA256, summary.weightsSHA256, "the resumed capture replays to the live weights")
    }
}
