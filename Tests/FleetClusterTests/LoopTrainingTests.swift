@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest
import FleetTestSupport
import FleetClusterTesting
import FleetConfig

/// The actor and learner loops over inproc: batches flow, versions advance, the summary is filled,
/// and bad batches are refused and counted while training goes on.
final class LoopTrainingTests: XCTestCase {
    func testTwoActorsTrainAShortCartPoleRunAndFillTheSummary() throws {
        let config = try loopTestConfig(["num_actors=2", "max_policy_lag=0"])
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("run").path)
        let metrics = try MetricsLogger(directory: directory)
        let training = try InProcessTraining(
            config: config, context: try Context(), directory: directory, metrics: metrics, stallTimeout: .seconds(20))
        let summary = try training.run()

        XCTAssertEqual(config.stepsPerIteration, 512, "num_envs 4 x num_steps 128, however many actors")
        XCTAssertEqual(config.envsPerActor, 2)
        XCTAssertEqual(summary.envSteps, 2048)
        XCTAssertEqual(summary.policyVersion, 4)
        XCTAssertEqual(summary.actors, RunSummary.Actors(started: 2, restarts: 0, lost: 0))
        XCTAssertEqual(summary.rejected, [:])
        XCTAssertGreaterThan(summary.episodes, 0)
        XCTAssertNotNil(summary.finalReturnMean100)
        XCTAssertEqual(summary.rewardThreshold, 475)
        XCTAssertEqual(summary.env, "CartPole-v1")
        XCTAssertGreaterThan(summary.sps, 0)
        XCTAssertEqual(summary.weightsSHA256?.count, 64)
        XCTAssertEqual(
            summary.weightsSHA256, weightsSHA256(training.learner.policyParameters).description)
        XCTAssertTrue(FileManager.default.fileExists(atPath: directory.summaryFile.path))

        let lines = try metricsLines(directory)
        XCTAssertEqual(lines.map { $0["step"] as? Int }, [512, 1024, 1536, 2048])
        XCTAssertEqual(lines.map { $0[MetricTag.policyVersion] as? Double }, [1, 2, 3, 4])
        // max_policy_lag 0: every batch was acted with the learner's current weights.
        XCTAssertEqual(lines.map { $0[MetricTag.policyLag] as? Double }, [0, 0, 0, 0])
        for tag in [
            MetricTag.stepsPerSecond, MetricTag.learningRate, MetricTag.valueLoss, MetricTag.policyLoss,
            MetricTag.entropy, MetricTag.oldApproxKL, MetricTag.approxKL, MetricTag.clipFraction,
            MetricTag.explainedVariance, MetricTag.episodicReturn, MetricTag.episodicLength,
        ] {
            XCTAssertNotNil(lines.last?[tag], "metrics.jsonl lacks \(tag)")
        }
    }

    func testActorsAheadByOneVersionLoseNoBatchToStaleness() throws {
        let config = try loopTestConfig(["num_actors=2", "max_policy_lag=1", "total_timesteps=4096"])
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("run").path)
        let training = try InProcessTraining(
            config: config, context: try Context(), directory: directory, metrics: try MetricsLogger(directory: directory),
            stallTimeout: .seconds(20))
        let summary = try training.run()
        XCTAssertEqual(summary.envSteps, 4096)
        XCTAssertEqual(summary.policyVersion, 8)
        XCTAssertEqual(summary.rejected, [:])
        let lags = try metricsLines(directory).compactMap { $0[MetricTag.policyLag] as? Double }
        XCTAssertEqual(lags.count, 8)
        // An update trains one batch of each actor: its mean lag is 0, 0.5 or 1, and the logged lags
        // add up to the learner's histogram of lags (a lag of 1 once logged as 5e-324).
        XCTAssertTrue(lags.allSatisfy { [0, 0.5, 1].contains($0) }, "\(lags)")
        let histogram = training.learner.status(at: .now).policyLagHistogram
        let lagSum = histogram.reduce(0) { $0 + Double(UInt64($1.key)!) * Double($1.value) }
        XCTAssertEqual(2 * lags.reduce(0, +), lagSum, "\(lags) vs \(histogram)")
    }

    func testSynchronousRunsWithTheSameSeedEndWithBitIdenticalWeights() throws {
        func finalWeights(seed: Int) throws -> String? {
            let config = try loopTestConfig(["total_timesteps=1536", "max_policy_lag=0", "seed=\(seed)"])
            return try InProcessTraining(config: config, context: try Context(), stallTimeout: .seconds(20))
                .run().weightsSHA256
        }
        let first = try finalWeights(seed: 5)
        XCTAssertNotNil(first)
        XCTAssertEqual(try finalWeights(seed: 5), first)
        XCTAssertNotEqual(try finalWeights(seed: 6), first)
    }

    func testBadFramesIntoTheBatchEndpointAreRejectedAndCountedWhileTrainingGoesOn() throws {
        let config = try loopTestConfig(["total_timesteps=1024"])
        let context = try Context()
        let log = LogLines()
        let training = try InProcessTraining(
            config: config, context: context, stallTimeout: .seconds(20), log: log.logger)
        // The intruder says Hello as actor-0 with its incarnation (1), and its frames are read before
        // the run starts: judged by their content, not refused as of an unknown incarnation.
        let hello = try announce("actor-0", incarnation: 1, to: training, context: context)
        let intruder = try Socket(context, .push, linger: .zero)
        try intruder.connect(config.endpoints.batches)
        try intruder.send([0x0A, 0xFF, 0xFF])  // a length that runs past the end
        try intruder.send([0x0A, 0xFF, 0xFF])
        var wrongSchema = try Frame(decoding: cartPoleBatchFrame(sender: "actor-0", policyVersion: 0, steps: 128, envs: 4))
        wrongSchema.envelope.schemaVersion = 7
        try intruder.send(wrongSchema.encoded())
        try intruder.send(cartPoleBatchFrame(sender: "actor-0", sequence: 1_000_000, policyVersion: 99, steps: 128, envs: 4))
        try intruder.send(cartPoleBatchFrame(sender: "stranger", policyVersion: 0, steps: 128, envs: 4))
        try intruder.send(cartPoleBatchFrame(sender: "actor-0", policyVersion: 0, steps: 3, envs: 4))
        _ = try training.learner.receiveBatches()

        let summary = try withExtendedLifetime(hello) { try training.run() }
        XCTAssertEqual(summary.envSteps, 1024)
        XCTAssertEqual(summary.policyVersion, 2)
        XCTAssertEqual(
            summary.rejected,
            [
                WireError.Reason.malformed.rawValue: 2, WireError.Reason.unsupportedSchemaVersion.rawValue: 1,
                BatchRejection.Reason.futurePolicyVersion.rawValue: 1, BatchRejection.Reason.unknownSender.rawValue: 1,
                BatchRejection.Reason.specMismatch.rawValue: 1,
            ])
        // Logged once per sender and reason.
        XCTAssertEqual(log.lines.filter { $0.contains("rejected") }.count, 5)
    }

    func testOneSenderCannotQueueMoreBatchesThanAPacedActorWould() throws {
        // max_policy_lag 0: at most two batches of one actor wait at the learner.
        let config = try loopTestConfig(["total_timesteps=512", "max_policy_lag=0"])
        let context = try Context()
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(20), log: .silent)
        // Incarnation 0, announced by a Hello: the real actor-0 (incarnation 1) is not refused as a
        // replay of these.
        let hello = try announce("actor-0", incarnation: 0, to: training, context: context)
        let flood = try Socket(context, .push, linger: .zero)
        try flood.connect(config.endpoints.batches)
        for sequence: UInt64 in 1...3 {
            try flood.send(
                cartPoleBatchFrame(
                    sender: "actor-0", sequence: sequence, incarnation: 0, policyVersion: 0, steps: 128, envs: 4))
        }
        _ = try training.learner.receiveBatches()
        let summary = try withExtendedLifetime(hello) { try training.run() }
        XCTAssertEqual(summary.policyVersion, 1)
        XCTAssertEqual(summary.rejected, [BatchRejection.Reason.queueFull.rawValue: 1])
    }

    func testAnActorOfAnotherSpecIsRefusedAtHelloAndTheLearnerReportsTheStall() throws {
        // The actor's agent is built for other hidden sizes than the learner's: its Hello is refused.
        let name = "loop-test-\(UUID().uuidString)"
        let context = try Context()
        let training = try InProcessTraining(
            config: try loopTestConfig(["total_timesteps=512"], name: name), context: context,
            stallTimeout: .milliseconds(1500), log: .silent)
        let otherSpec = try loopTestConfig(["total_timesteps=512", "hidden_sizes=[8]"], name: name)
        let actor = ActorThread(index: 0, config: otherSpec, context: context, log: .silent)
        XCTAssertThrowsError(try training.learner.run()) { error in
            guard case LearnerError.stalled = error else { return XCTFail("\(error)") }
        }
        context.shutdown()
        let refused = try XCTUnwrap(actor.join() as? ActorLoop.Refused, "the actor was told why")
        XCTAssertTrue(refused.description.hasPrefix("the learner refused it: spec hash "), refused.description)
        XCTAssertEqual(training.learner.rejected, [BatchRejection.Reason.specMismatch.rawValue: 1])
    }

    /// An actor that keeps sending bad batches is quarantined at `quarantine_after`: its batches
    /// are refused from then on, and the run goes on with the others instead of waiting for it.
    func testAnActorSendingBadBatchesIsQuarantinedAndTheRunGoesOnWithoutIt() throws {
        let config = try loopTestConfig(["num_actors=2", "total_timesteps=2048", "quarantine_after=3"])
        let context = try Context()
        let log = LogLines()
        let training = try InProcessTraining(config: config, context: context, stallTimeout: .seconds(20), log: log.logger)
        // Incarnation 0, announced by a Hello: frames of it are actor-1's own as far as the learner can tell.
        let hello = try announce("actor-1", incarnation: 0, to: training, context: context)
        let flood = try Socket(context, .push, linger: .zero)
        try flood.connect(config.endpoints.batches)
        for sequence: UInt64 in 1...5 {
            try flood.send(
                cartPoleBatchFrame(
                    sender: "actor-1", sequence: sequence, incarnation: 0, policyVersion: 0, steps: 128, envs: 2,
                    action: 7))
        }
        _ = try training.learner.receiveBatches()
        let summary = try withExtendedLifetime(hello) { try training.run() }
        XCTAssertEqual(summary.policyVersion, 4)
        XCTAssertEqual(summary.rejected[BatchRejection.Reason.actionOutOfRange.rawValue], 3, "\(summary.rejected)")
        XCTAssertGreaterThanOrEqual(summary.rejected[BatchRejection.Reason.quarantined.rawValue] ?? 0, 2, "\(summary.rejected)")
        XCTAssertTrue(log.lines.contains { $0.contains("actor-1 quarantined after 3 bad batches") }, "\(log.lines)")
        let status = training.learner.status(at: .now)
        XCTAssertEqual(status.quarantined, ["actor-1"])
        XCTAssertEqual(status.actors["actor-1"]?.state, "quarantined")
        XCTAssertEqual(status.actors["actor-1"]?.badBatches, 3)
        XCTAssertEqual(status.actors["actor-0"]?.badBatches, 0)
    }
}
