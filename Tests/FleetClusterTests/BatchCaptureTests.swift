import FleetConfig
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster
import FleetTestSupport
import FleetClusterTesting

/// The learner's capture of a run: its directory, manifests and files of each kind.
final class BatchCaptureTests: XCTestCase {
    private func entry(_ version: UInt64, kind: CaptureEntry.Kind = .consumed, reason: String = "", size: Int = 100)
        -> CaptureEntry
    {
        CaptureEntry(
            kind: kind, learnerVersion: version, arrivalSeconds: Double(version) / 4, eventSeconds: Double(version) / 2,
            reason: reason, frame: (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ Int(version)) })
    }

    func testACaptureDirectoryStandsForItsManifestsFilesOfTheKindsAsked() throws {
        let directory = try makeTemporaryDirectory(self).appendingPathComponent("run")
        let run = try RunDirectory(creating: directory.path)
        let config = try loopTestConfig(["capture=true", "capture_dropped=true", "capture_file_bytes=600"])
        let capture = try BatchCapture(config: config, subject: "CartPole-v1", runDirectory: run, start: .now)
        for version in 0..<4 {
            try capture.consumed([(entry(UInt64(version)).frame, .now)], learnerVersion: UInt64(version), update: version + 1, at: .now)
        }
        try capture.dropped(entry(9).frame, reason: .stale, learnerVersion: 3, arrival: .now, at: .now)
        try capture.finish(policyVersion: 4, weightsSHA256: "abc")

        let consumed = try CaptureSelection([run.capturesDirectory.path], kinds: [.consumed])
        XCTAssertEqual(consumed.files.map { ($0 as NSString).lastPathComponent }, ["consumed-00000.fleetrec", "consumed-00001.fleetrec"])
        XCTAssertEqual(consumed.manifest?.weightsSHA256, "abc")
        XCTAssertEqual(consumed.manifest?.complete, true)
        XCTAssertEqual(consumed.manifest?.updates, 4)
        XCTAssertEqual(consumed.manifest?.learningConfigSHA256, config.resolved.learningSHA256)
        XCTAssertEqual(consumed.configFile, run.capturesDirectory.appendingPathComponent("config.yaml").path)
        let all = try CaptureSelection([run.capturesDirectory.path], kinds: Set(CaptureEntry.Kind.allCases))
        XCTAssertEqual(all.files.count, 3)
        let entries = try CaptureReader(files: all.files).readAll().map(\.entry)
        XCTAssertEqual(entries.map(\.kind), [.consumed, .consumed, .consumed, .consumed, .dropped])
        XCTAssertEqual(entries.last?.reason, "stale")
        XCTAssertThrowsError(try CaptureSelection([directory.appendingPathComponent("nothing").path], kinds: [.consumed]))
    }
}
