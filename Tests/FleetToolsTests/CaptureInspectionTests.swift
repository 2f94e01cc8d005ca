import FleetCluster
import FleetWire
import Foundation
import XCTest
import FleetTestSupport
import FleetConfig
@testable import FleetTools

/// `fleet inspect`'s counting: capture files written record by record from real frames, inspected
/// to exact counts, ranges, lag histograms and damage offsets.
final class CaptureInspectionTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = try makeTemporaryDirectory(self)
    }

    // MARK: - Frames and files

    /// The sample trajectory batch (T = 2, N = 2, rewards 1, 1, 1, -0.5, episodes 21 and 9.5 long
    /// 21 and 10) from `sender`, acted with `policyVersion`.
    private func trajectory(_ sender: String, policyVersion: UInt64) -> [UInt8] {
        var frame = SampleFrames.trajectoryBatch
        frame.envelope.senderID = sender
        guard case .trajectoryBatch(var batch) = frame.payload else { fatalError("not a trajectory sample") }
        batch.policyVersion = policyVersion
        frame.payload = .trajectoryBatch(batch)
        return frame.encoded()
    }

    /// The sample group batch (P = 2, G = 2, rewards 1, 0, 0, 1) from `sender`, sampled with `policyVersion`.
    private func group(_ sender: String, policyVersion: UInt64) -> [UInt8] {
        var frame = SampleFrames.groupBatch
        frame.envelope.senderID = sender
        guard case .groupBatch(var batch) = frame.payload else { fatalError("not a group sample") }
        batch.policyVersion = policyVersion
        frame.payload = .groupBatch(batch)
        return frame.encoded()
    }

    private func entry(
        _ kind: CaptureEntry.Kind, version: UInt64, at seconds: Double, reason: String = "", _ frame: [UInt8]
    ) -> CaptureEntry {
        CaptureEntry(
            kind: kind, learnerVersion: version, arrivalSeconds: seconds, eventSeconds: seconds + 0.25, reason: reason,
            frame: frame)
    }

    /// Writes `records` as a capture file `name`; returns its path and each record's offset.
    @discardableResult
    private func write(_ name: String, _ records: [[UInt8]]) throws -> (path: String, offsets: [Int]) {
        let path = directory.appendingPathComponent(name).path
        let writer = try RecordWriter.create(
            path: path, schemaVersion: Envelope.currentSchemaVersion, runID: "inspection-test",
            maxRecordLength: CaptureEntry.maxRecordLength)
        var offsets: [Int] = []
        for record in records {
            offsets.append(writer.offset)
            try writer.append(record)
        }
        try writer.close()
        return (path, offsets)
    }

    private func size(_ path: String) throws -> Int {
        try XCTUnwrap(FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// Four consumed entries (updates at versions 5, 6, 7; lags 0, 1, 0, 2), three dropped (a stale
    /// trajectory batch at lag 4, a filtered group batch at lag 0, an undecodable frame) and one
    /// sent heartbeat, in three files.
    private func writeMixedCapture() throws -> [String] {
        let consumed = try write(
            "consumed-00000.fleetrec",
            [
                entry(.consumed, version: 5, at: 1.0, trajectory("actor-0", policyVersion: 5)),
                entry(.consumed, version: 5, at: 1.5, trajectory("actor-1", policyVersion: 4)),
                entry(.consumed, version: 6, at: 2.0, trajectory("actor-0", policyVersion: 6)),
                entry(.consumed, version: 7, at: 3.0, trajectory("actor-1", policyVersion: 5)),
            ].map { $0.encoded() })
        let dropped = try write(
            "dropped-00000.fleetrec",
            [
                entry(.dropped, version: 7, at: 3.5, reason: "stale", trajectory("actor-0", policyVersion: 3)),
                entry(.dropped, version: 9, at: 4.0, reason: "no_group_kept", group("actor-2", policyVersion: 9)),
                entry(.dropped, version: 9, at: 4.5, reason: "malformed", [0xff, 0x01, 0x02]),
            ].map { $0.encoded() })
        let sent = try write(
            "sent-00000.fleetrec", [entry(.sent, version: 2, at: 0.5, SampleFrames.heartbeat.encoded()).encoded()])
        return [consumed.path, dropped.path, sent.path]
    }

    // MARK: - Counts

    func testEntriesAreCountedByKindReasonBatchKindAndSender() throws {
        let files = try writeMixedCapture()
        let inspection = try CaptureInspection(reading: CaptureReader(files: files))

        XCTAssertEqual(inspection.records, 8)
        XCTAssertEqual(
            [inspection.recordsByKind.consumed, inspection.recordsByKind.dropped, inspection.recordsByKind.sent], [4, 3, 1])
        XCTAssertEqual(inspection.droppedByReason, ["stale": 1, "no_group_kept": 1, "malformed": 1])
        let kinds = inspection.batchKinds
        XCTAssertEqual([kinds.trajectoryBatch, kinds.groupBatch, kinds.other, kinds.undecodable], [5, 1, 1, 1])
        XCTAssertEqual(inspection.senders, ["actor-0": 3, "actor-1": 2, "actor-2": 1, "actor-7": 1])
        XCTAssertEqual(inspection.files.map(\.records), [4, 3, 1])
        XCTAssertEqual(inspection.files.map(\.bytes), try files.map { try size($0) })
        XCTAssertEqual(inspection.files.map(\.path), files)
        XCTAssertNil(inspection.manifest)
        XCTAssertEqual(inspection.damage, [])
    }

    func testVersionRangesUpdatesAndThePolicyLagHistograms() throws {
        let inspection = try CaptureInspection(reading: CaptureReader(files: try writeMixedCapture()))

        XCTAssertEqual(inspection.learnerVersions, CaptureInspection.VersionRange(2).including(9))
        XCTAssertEqual(inspection.policyVersions, CaptureInspection.VersionRange(3).including(9))
        XCTAssertEqual(inspection.updates, 3)
        // The sample frames share one envelope: actor-0 and actor-1 each have one batch consumed twice.
        XCTAssertEqual(inspection.consumedTwice, 2)
        XCTAssertEqual(inspection.policyLagHistogram.consumed, ["0": 2, "1": 1, "2": 1])
        XCTAssertEqual(inspection.policyLagHistogram.dropped, ["0": 1, "4": 1])
        XCTAssertEqual(inspection.policyLagHistogram.byLag(.consumed).map(\.lag), [0, 1, 2])
        XCTAssertEqual(inspection.policyLagHistogram.byLag(.consumed).map(\.batches), [2, 1, 1])
        let span = try XCTUnwrap(inspection.timeSpan)
        XCTAssertEqual(span.firstArrivalSeconds, 0.5)
        XCTAssertEqual(span.lastEventSeconds, 4.75)
        XCTAssertEqual(span.seconds, 4.25)
    }

    func testStepsResponsesRewardsAndEpisodesPerEntryKind() throws {
        let content = try CaptureInspection(reading: CaptureReader(files: try writeMixedCapture())).contentByKind

        // Four trajectory batches of 2 x 2 steps, rewards 1, 1, 1, -0.5 and episodes (21, 21), (9.5, 10) each.
        XCTAssertEqual(content.consumed.envSteps, 16)
        XCTAssertEqual(content.consumed.responses, 0)
        assertSummary(content.consumed.rewards, count: 16, mean: 0.625, min: -0.5, max: 1)
        let episodes = content.consumed.episodes
        XCTAssertEqual(episodes.count, 8)
        XCTAssertEqual([episodes.returnMean, episodes.returnMin, episodes.returnMax, episodes.lengthMean], [15.25, 9.5, 21, 15.5])
        // One trajectory batch and one group batch of 2 x 2 responses, rewards 1, 0, 0, 1.
        XCTAssertEqual(content.dropped.envSteps, 4)
        XCTAssertEqual(content.dropped.responses, 4)
        assertSummary(content.dropped.rewards, count: 8, mean: 0.5625, min: -0.5, max: 1)
        XCTAssertEqual(content.dropped.episodes.count, 2)
        // A heartbeat carries none.
        XCTAssertEqual(content.sent.envSteps + content.sent.responses + content.sent.rewards.count, 0)
        XCTAssertNil(content.sent.rewards.mean)
        XCTAssertNil(content.sent.episodes.returnMean)
    }

    private func assertSummary(
        _ summary: CaptureInspection.ValueSummary, count: Int, mean: Double, min: Double, max: Double,
        line: UInt = #line
    ) {
        XCTAssertEqual(summary.count, count, line: line)
        XCTAssertEqual([summary.mean, summary.min, summary.max], [mean, min, max], line: line)
    }

    // MARK: - Damage

    /// Five consumed records; record 1 is not a capture entry, a byte of record 2's data is flipped,
    /// and the file is cut inside record 4.
    func testDamageIsListedWithOffsetsAndTheIntactRecordsAreStillCounted() throws {
        var records = (0..<5).map {
            entry(.consumed, version: UInt64($0), at: Double($0), trajectory("actor-0", policyVersion: UInt64($0))).encoded()
        }
        records[1][0] = 9  // layout version 9
        let (path, offsets) = try write("consumed-00000.fleetrec", records)
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
        bytes[offsets[2] + 12 + records[2].count / 2] ^= 0x40
        let cut = offsets[4] + 20
        try Data(bytes[..<cut]).write(to: URL(fileURLWithPath: path))

        let reader = CaptureReader(files: [path])
        let inspection = try CaptureInspection(reading: reader)

        XCTAssertEqual(inspection.records, 2)
        XCTAssertEqual(inspection.files.map(\.records), [2])
        XCTAssertEqual(inspection.files.map(\.bytes), [cut])
        XCTAssertEqual(inspection.updates, 2)
        XCTAssertEqual(inspection.learnerVersions, CaptureInspection.VersionRange(0).including(3))
        XCTAssertEqual(inspection.contentByKind.consumed.envSteps, 8)
        XCTAssertEqual(inspection.damage.map(\.file), [path, path, path])
        XCTAssertEqual(inspection.damage.map(\.kind), ["bad_entry", "corrupt_record", "torn_tail"])
        XCTAssertEqual(inspection.damage.map(\.offset), [offsets[1], offsets[2], offsets[4]])
        XCTAssertEqual(inspection.damage.map(\.skippedBytes), [offsets[2] - offsets[1], offsets[3] - offsets[2], 20])
        XCTAssertEqual(
            inspection.damage.map(\.detail),
            [
                "capture entry layout version 9, this build reads 1", "corrupt record data at offset \(offsets[2])",
                "record file ends inside the record at offset \(offsets[4])",
            ])
        XCTAssertEqual(inspection.damageSummary, "1 torn tail, 1 corrupt record, 1 bad entry")
        let text = inspection.textReport
        XCTAssertTrue(text.hasSuffix("\ndamage: 1 torn tail, 1 corrupt record, 1 bad entry (see above)"), text)
        XCTAssertTrue(text.contains("corrupt_record  \(path)  offset \(offsets[2])"), text)
    }

    func testStrictModeThrowsAtTheFirstDamage() throws {
        let records = (0..<3).map {
            entry(.consumed, version: UInt64($0), at: 0, trajectory("actor-0", policyVersion: 0)).encoded()
        }
        let (path, offsets) = try write("consumed-00000.fleetrec", records)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        try bytes.prefix(offsets[2] + 5).write(to: URL(fileURLWithPath: path))

        XCTAssertThrowsError(try CaptureInspection(reading: CaptureReader(files: [path], mode: .strict))) { error in
            guard case CaptureError.record(let file, .tornTail(let offset)) = error else {
                return XCTFail("expected a torn tail, got \(error)")
            }
            XCTAssertEqual(file, path)
            XCTAssertEqual(offset, offsets[2])
        }
        XCTAssertEqual(try CaptureInspection(reading: CaptureReader(files: [path])).records, 2)
    }

    func testAFileThatIsNotARecordFileIsAnError() throws {
        let path = directory.appendingPathComponent("notes.txt").path
        try Data("not a capture".utf8).write(to: URL(fileURLWithPath: path))
        XCTAssertThrowsError(try CaptureInspection(reading: CaptureReader(files: [path]))) { error in
            guard case CaptureError.record(_, .badMagic) = error else { return XCTFail("\(error)") }
        }
    }

    // MARK: - Directories, JSON and text

    func testADirectoryWithAManifestReadsEveryKindAndNamesTheRun() throws {
        _ = try writeMixedCapture()
        let manifest = """
            {"format": "fleet-capture", "version": 1, "run_id": "run-7", "algorithm": "ppo", "subject": "CartPole-v1",
             "seed": 3, "config": "config.yaml", "learning_config_sha256": "00", "updates": 3, "complete": false,
             "files": [
               {"name": "consumed-00000.fleetrec", "kind": "consumed", "records": 4, "bytes": 0},
               {"name": "dropped-00000.fleetrec", "kind": "dropped", "records": 3, "bytes": 0},
               {"name": "sent-00000.fleetrec", "kind": "sent", "records": 1, "bytes": 0}]}
            """
        try Data(manifest.utf8).write(to: directory.appendingPathComponent(CaptureManifest.fileName))
        let selection = try CaptureSelection([directory.path], kinds: Set(CaptureEntry.Kind.allCases))
        let inspection = try CaptureInspection(selection)

        XCTAssertEqual(inspection.records, 8)
        XCTAssertEqual(inspection.files.count, 3)
        let summary = try XCTUnwrap(inspection.manifest)
        XCTAssertEqual(summary.runID, "run-7")
        XCTAssertEqual(summary.algorithm, "ppo")
        XCTAssertEqual(summary.subject, "CartPole-v1")
        XCTAssertEqual(summary.seed, 3)
        XCTAssertNil(summary.weightsSHA256)
        XCTAssertFalse(summary.complete)
        XCTAssertTrue(inspection.textReport.hasPrefix("capture     run run-7: ppo on CartPole-v1, seed 3, incomplete"))
    }

    func testTheJSONHasSnakeCaseKeysAndReadsBack() throws {
        let inspection = try CaptureInspection(reading: CaptureReader(files: try writeMixedCapture()))
        let json = try inspection.json()
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])

        XCTAssertEqual(
            Set(object.keys),
            [
                "files", "records", "records_by_kind", "dropped_by_reason", "batch_kinds", "senders", "learner_versions",
                "policy_versions", "updates", "policy_lag_histogram", "content_by_kind", "time_span", "damage",
                "consumed_twice",
            ])
        let kinds = try XCTUnwrap(object["batch_kinds"] as? [String: Int])
        XCTAssertEqual(kinds, ["trajectory_batch": 5, "group_batch": 1, "other": 1, "undecodable": 1])
        let content = try XCTUnwrap((object["content_by_kind"] as? [String: Any])?["consumed"] as? [String: Any])
        XCTAssertEqual(content["env_steps"] as? Int, 16)
        XCTAssertEqual((content["episodes"] as? [String: Any])?["return_max"] as? Double, 21)
        XCTAssertEqual((object["time_span"] as? [String: Any])?["seconds"] as? Double, 4.25)
        XCTAssertEqual(try CaptureInspection(json: json), inspection)
    }

    func testTheTextReportIsAlignedAndSaysWhatItCounted() throws {
        let text = try CaptureInspection(reading: CaptureReader(files: try writeMixedCapture())).textReport
        let files = """
            files       \(directory.path)/
                          consumed-00000.fleetrec  4 records  1.5 KiB
                          dropped-00000.fleetrec   3 records    797 B
                          sent-00000.fleetrec       1 record    108 B
            """
        XCTAssertTrue(text.hasPrefix(files + "\n"), text)
        for line in [
            "records     8 (4 consumed, 3 dropped, 1 sent)",
            "            dropped: malformed 1, no_group_kept 1, stale 1",
            "batches     5 trajectory_batch, 1 group_batch, 1 other, 1 undecodable",
            "senders     actor-0 3, actor-1 2, actor-2 1, actor-7 1",
            "versions    learner 2..9, policy 3..9",
            "            3 updates; 2 batches consumed twice",
            "policy lag  lag  consumed  dropped",
            "              0         2        1",
            "              1         1        0",
            "              2         1        0",
            "              4         0        1",
            "consumed    16 env steps",
            "            rewards: 16 values, mean 0.625 (min -0.5, max 1)",
            "            episodes: 8, return mean 15.25 (min 9.5, max 21), length mean 15.5",
            "dropped     4 env steps, 4 responses",
            "            rewards: 8 values, mean 0.562 (min -0.5, max 1)",
            "time        0.50 s to 4.75 s (4.25 s)",
            "damage: none",
        ] {
            XCTAssertTrue(text.contains(line + "\n") || text.hasSuffix(line), "missing \(line):\n\(text)")
        }
        XCTAssertFalse(text.contains("\nsent "), "a heartbeat carries nothing to report:\n\(text)")
    }
}
