@testable import FleetCluster
import FleetConfig
import FleetTransport
import Foundation
import XCTest
import FleetClusterTesting
import FleetTestSupport

/// An elastic run (`envs_per_actor` set): every update takes `num_envs / envs_per_actor` batches
/// from whichever actors sent them, so actors may join and leave without changing the batch.
final class LoopElasticTests: XCTestCase {
    /// Three actors of 2 environments feed updates of 2 batches: every update is full, on credit
    /// nothing goes stale, and the learning hash does not depend on how many actors there are.
    func testMoreActorsThanAnUpdateTakesFillEveryUpdateWithNothingStale() throws {
        let config = try loopTestConfig(["num_actors=3", "envs_per_actor=2", "max_policy_lag=1", "total_timesteps=4096"])
        XCTAssertTrue(config.isElastic)
        XCTAssertEqual(config.batchesPerUpdate, 2)
        XCTAssertEqual(
            config.resolved.learningSHA256,
            try loopTestConfig(["num_actors=1", "envs_per_actor=2", "max_policy_lag=1", "total_timesteps=4096"])
                .resolved.learningSHA256)
        let training = try InProcessTraining(config: config, context: try Context(), stallTimeout: .seconds(20), log: .silent)
        let summary = try training.run()
        XCTAssertEqual(summary.updates, 8)
        XCTAssertEqual(summary.envSteps, 4096)
        XCTAssertEqual(summary.partialUpdates, 0)
        XCTAssertEqual(summary.complete, true)
        XCTAssertEqual(summary.rejected, [:])
        XCTAssertEqual(summary.actors.started, 3)
    }

    /// A third actor that joins a running two-actor run adds its batches, never steps to an
    /// update: every update still trains on `num_envs * num_steps`.
    func testAnActorJoiningARunningRunLeavesTheBatchAsItIs() throws {
        let config = try loopTestConfig(["num_actors=2", "envs_per_actor=2", "max_policy_lag=1", "total_timesteps=65536"])
        let context = try Context()
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("run").path)
        let metrics = try MetricsLogger(directory: directory)
        let training = try InProcessTraining(
            config: config, context: context, directory: directory, metrics: metrics, stallTimeout: .seconds(20), log: .silent)
        // 128 updates take seconds; the third actor comes a tenth of a second in.
        let joiner = LateStart(after: 0.1) { ActorThread(index: 2, config: config, context: context, log: .silent) }
        let summary = try training.run()
        let status = training.learner.status(at: ContinuousClock.now)
        joiner.finish()
        XCTAssertEqual(summary.updates, 128)
        XCTAssertEqual(summary.envSteps, 65536)
        XCTAssertEqual(summary.partialUpdates, 0)
        XCTAssertEqual(summary.complete, true)
        let steps = try metricsLines(directory).compactMap { $0["step"] as? Int }
        XCTAssertEqual(steps, (1...128).map { $0 * 512 }, "every update 512 steps")
        let late = try XCTUnwrap(status.actors["actor-2"], "actor-2 joined: \(status.actors.keys.sorted())")
        XCTAssertGreaterThan(late.batchesAccepted, 0, "its batches were taken")
        XCTAssertNil(status.actors["actor-3"], "actors that never joined are not listed")
    }

    /// An elastic run admits the indices below max_actors only.
    func testAnIndexPastMaxActorsIsRefused() throws {
        let config = try loopTestConfig(["envs_per_actor=2", "max_actors=2", "total_timesteps=1024"])
        let context = try Context()
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(20), log: .silent)
        let stranger = ActorThread(index: 2, config: config, context: context, log: .silent)
        let summary = try training.run()
        XCTAssertEqual(summary.complete, true)
        let error = try XCTUnwrap(stranger.join())
        XCTAssertTrue(error is ActorLoop.Refused, "\(error)")
    }
}

/// Starts something on a thread of its own after a delay, and keeps it until ``finish()``.
private final class LateStart: @unchecked Sendable {
    private let lock = NSLock()
    private var started: ActorThread?
    private let done = DispatchSemaphore(value: 0)

    init(after seconds: Double, _ start: @escaping @Sendable () -> ActorThread) {
        Thread { [self] in
            usleep(useconds_t(seconds * 1e6))
            let actor = start()
            lock.withLock { started = actor }
            done.signal()
        }.start()
    }

    /// Waits until it started, then for the started actor to end.
    func finish() {
        done.wait()
        _ = lock.withLock { started }?.join()
    }
}
