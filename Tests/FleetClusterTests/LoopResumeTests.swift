import FleetTransport
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster
import FleetTestSupport
import FleetClusterTesting
import FleetConfig

/// The learner loop's checkpoints and resume, in one process: a stopped run goes on where it
/// stopped and its summary covers the whole run; batches already taken stay taken; a resume with another config or without a checkpoint fails clearly.
final class LoopResumeTests: XCTestCase {
    private func runDirectory() throws -> RunDirectory {
        try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("run").path)
    }

    @discardableResult
    private func run(
        _ config: RunConfig, in directory: RunDirectory, stopAt: UInt64? = nil, resume: Bool = false,
        log: LogLines = LogLines(), context: Context? = nil, before: (InProcessTraining) throws -> Void = { _ in }
    ) throws -> (InProcessTraining, RunSummary) {
        try runInProcess(config, in: directory, stopAt: stopAt, resume: resume, log: log, context: context, before: before)
    }

    private func checkpointNames(_ directory: RunDirectory) throws -> [String] {
        try FileManager.default.contentsOfDirectory(atPath: directory.checkpointsDirectory.path)
            .filter { $0.hasPrefix("version-") }.sorted()
    }

    func testAStoppedRunGoesOnWhereItStoppedAndItsSummaryCoversTheWholeRun() throws {
        let config = try loopTestConfig(["num_actors=2", "max_policy_lag=0", "total_timesteps=4096", "checkpoint_every=3"])
        let directory = try runDirectory()
        let (first, stopped) = try run(config, in: directory, stopAt: 4)
        XCTAssertTrue(first.learner.wasInterrupted)
        XCTAssertEqual(stopped.policyVersion, 4)
        XCTAssertEqual(try checkpointNames(directory), ["version-000003", "version-000004"], "periodic 3, and 4 at the stop")

        let log = LogLines()
        let (second, summary) = try run(config, in: directory, resume: true, log: log)
        XCTAssertEqual(second.learner.resumedFrom?.lastPathComponent, "version-000004")
        XCTAssertTrue(log.lines.contains { $0.hasPrefix("learner: resumed from version-000004 (4 updates, 2048 steps)") }, "\(log.lines)")
        XCTAssertEqual(summary.envSteps, 4096)
        XCTAssertEqual(summary.policyVersion, 8, "a checkpoint written at a stop is resumed at its own version")
        XCTAssertEqual(summary.actors, RunSummary.Actors(started: 4, restarts: 0, lost: 0), "two actors in each session")
        XCTAssertGreaterThan(summary.wallSeconds, stopped.wallSeconds)
        XCTAssertGreaterThanOrEqual(summary.episodes, stopped.episodes)
        XCTAssertEqual(try metricsLines(directory).map { $0["step"] as? Int }, (1...8).map { $0 * 512 })
        XCTAssertEqual(try checkpointNames(directory), ["version-000007", "version-000008"], "periodic 7, and 8 at the end")

        let status = second.learner.status(at: .now)
        XCTAssertEqual(status.checkpoint?.version, 8)
        XCTAssertEqual(status.checkpoint?.every, 3)
        XCTAssertLessThan(status.checkpoint?.ageSeconds ?? .infinity, 60)
        let json = try status.json()
        XCTAssertTrue(json.contains("\"checkpoint\":{\"age_seconds\":"), json)
    }

    func testBatchesTakenBeforeTheCheckpointAreReplaysAfterTheResume() throws {
        let config = try loopTestConfig(["max_policy_lag=0", "total_timesteps=2048"])
        let directory = try runDirectory()
        try run(config, in: directory, stopAt: 2)
        let state = try LearnerCheckpoint(
            files: try CheckpointStore(directory: directory.checkpointsDirectory, keep: 2).loadNewest { $0 }.loaded.files
        ).state
        let taken = try XCTUnwrap(state.lastTaken["actor-0"])
        XCTAssertEqual(taken.incarnation, 1)

        let context = try Context()
        let (second, summary) = try run(config, in: directory, resume: true, context: context) { training in
            XCTAssertEqual(training.learner.nextActorIncarnation, 2, "the actors of the resumed run start as incarnation 2")
            let replayer = try Socket(context, .push, linger: .zero)
            try replayer.connect(config.endpoints.batches)
            // The batch taken last, and an older one, sent again.
            for sequence in [taken.sequence, taken.sequence - 1] {
                try replayer.send(
                    cartPoleBatchFrame(sender: "actor-0", sequence: sequence, policyVersion: 2, steps: 128, envs: 4))
            }
        }
        XCTAssertEqual(summary.rejected, [BatchRejection.Reason.replayed.rawValue: 2])
        XCTAssertEqual(summary.policyVersion, 4)
        XCTAssertEqual(second.learner.rejected, [BatchRejection.Reason.replayed.rawValue: 2])
    }

    func testAResumeFromAnOlderCheckpointLogsNoStepTwice() throws {
        let config = try loopTestConfig(["max_policy_lag=0", "total_timesteps=4096", "checkpoint_every=2"])
        let directory = try runDirectory()
        try run(config, in: directory, stopAt: 5)
        // As if the learner had died writing the checkpoint of version 5: the resume goes on from 4.
        try FileManager.default.removeItem(
            at: directory.checkpointsDirectory.appendingPathComponent("version-000005").appendingPathComponent("manifest.json"))
        XCTAssertEqual(try metricsLines(directory).map { $0["step"] as? Int }, (1...5).map { $0 * 512 })
        try run(config, in: directory, resume: true)
        XCTAssertEqual(
            try metricsLines(directory).map { $0["step"] as? Int }, (1...8).map { $0 * 512 },
            "the steps after the checkpoint are logged once, by the resumed run")
    }

    func testAResumeWithAnotherLearningConfigNamesTheKeysThatDiffer() throws {
        let config = try loopTestConfig(["total_timesteps=1024"])
        let directory = try runDirectory()
        try run(config, in: directory)
        var other = try loopTestConfig(["total_timesteps=1024", "learning_rate=0.001", "checkpoint_every=7"])
        other.endpoints = config.endpoints
        XCTAssertThrowsError(try run(other, in: directory, resume: true)) { error in
            guard case CheckpointError.configMismatch(_, let keys) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(keys, ["learning_rate (0.00025, now 0.001)"], "checkpoint_every may change; learning_rate may not")
            XCTAssertTrue("\(error)".contains("resume with the run's own config"), "\(error)")
        }
    }

    func testAResumeWithoutACheckpointIsAClearError() throws {
        let config = try loopTestConfig(["total_timesteps=1024"])
        XCTAssertThrowsError(try run(config, in: try runDirectory(), resume: true)) { error in
            XCTAssertTrue("\(error)".contains("no valid checkpoint to resume from"), "\(error)")
            XCTAssertTrue("\(error)".contains("(none written yet)"), "\(error)")
        }
        XCTAssertThrowsError(
            try LearnerLoop(config: config, context: try Context(), options: LearnerLoop.Options(resume: true))
        ) { error in
            XCTAssertEqual(error as? CheckpointError, .noRunDirectory)
        }
    }

    func testCheckpointKeepBelowTwoIsAConfigErrorNamingTheKey() {
        XCTAssertThrowsError(try loopTestConfig(["checkpoint_keep=1"])) { error in
            XCTAssertTrue("\(error)".contains("'checkpoint_keep' must be at least 2, got"), "\(error)")
        }
        XCTAssertThrowsError(try loopTestConfig(["checkpoint_every=-1"])) { error in
            XCTAssertTrue("\(error)".contains("'checkpoint_every' must be at least 0"), "\(error)")
        }
    }
}
