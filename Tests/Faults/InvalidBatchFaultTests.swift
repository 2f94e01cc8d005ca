@testable import FleetCluster
import FleetConfig
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest

/// docs/reliability.md test 12: a wrong schema version, valid messages of other types on the batch
/// channel, NaN/Inf rewards and observations, actions out of range, future policy versions, wrong
/// shapes, a replay, and a batch whose finite numbers overflow the loss, pushed into a live
/// CartPole learner as (or beside) one of its actors. Each is refused with its reason before the
/// optimizer, except the overflowing one, whose update is undone (`non_finite_update`); no NaN
/// ever reaches the weights: every version the learner publishes decodes (the decoder refuses
/// non-finite floats) and the final parameters are finite. A sender id that does not match the
/// connection's CURVE key is refused as `sender_mismatch`: FleetClusterTests'
/// CurveAdmissionTests.testAnActorsKeySendingAsAnotherActorIsRejectedAsSenderMismatch.
final class InvalidBatchFaultTests: XCTestCase {
    /// Listens to the weights channel on a thread of its own until the context is shut down:
    /// every version published, and any that did not decode.
    private final class WeightsWatcher: @unchecked Sendable {
        private let lock = NSLock()
        private var versions: [(version: UInt64, seconds: Double)] = []
        private let start: ContinuousClock.Instant
        private var refusals: [String] = []
        private let done = DispatchSemaphore(value: 0)
        private let subscribed = DispatchSemaphore(value: 0)

        init(context: Context, endpoint: String, start: ContinuousClock.Instant) {
            self.start = start
            let thread = Thread { [self] in
                defer { done.signal() }
                guard let socket = try? Socket(context, .sub, linger: .zero), (try? socket.subscribe()) != nil,
                    (try? socket.connect(endpoint)) != nil
                else {
                    subscribed.signal()
                    return
                }
                subscribed.signal()
                while let bytes = try? socket.receive() {
                    do {
                        let frame = try Frame(decoding: bytes)
                        guard case .weights(let weights) = frame.payload else { continue }
                        lock.withLock { versions.append((weights.version, (ContinuousClock.now - start).seconds)) }
                    } catch {
                        lock.withLock { refusals.append("\(error)") }
                    }
                }
            }
            thread.start()
            subscribed.wait()
        }

        func join() -> (versions: [(version: UInt64, seconds: Double)], refusals: [String]) {
            done.wait()
            return lock.withLock { (versions, refusals) }
        }
    }

    func testInvalidBatchesAreRefusedByReasonAndNoNaNReachesTheWeights() throws {
        let timesteps = 2_048
        let config = try FrameFaults.cartPoleConfig(["num_actors=2", "total_timesteps=\(timesteps)"])
        // As actor-0, incarnation 0 (announced by a Hello below): the real actor-0 (incarnation 1)
        // is not a replay of these.
        var sequence: UInt64 = 0
        func next() -> UInt64 {
            defer { sequence += 1 }
            return sequence
        }
        func batch(
            sender: String = "actor-0", schemaVersion: UInt32 = 1, policyVersion: UInt64 = 0, steps: Int = 128,
            action: Int64 = 0, reward: Float = 1, observation: Float = 0.01, nextObservation: Float = 0.01,
            logProb: Float = -0.69, episodeReturn: Float? = nil, truncatedFinal: Float? = nil
        ) -> Frame {
            FrameFaults.cartPoleBatch(
                sender: sender, incarnation: 0, sequence: next(), schemaVersion: schemaVersion,
                policyVersion: policyVersion, steps: steps, action: action, reward: reward, observation: observation,
                nextObservation: nextObservation, logProb: logProb, episodeReturn: episodeReturn,
                truncatedFinal: truncatedFinal)
        }
        let schema = WireError.Reason.unsupportedSchemaVersion.rawValue
        let nonFinite = WireError.Reason.nonFinite.rawValue
        var cases: [(what: String, bytes: [UInt8], reason: String)] = [
            ("schema version 2", batch(schemaVersion: 2).encoded(), schema),
            ("schema version 0", batch(schemaVersion: 0).encoded(), schema),
            ("schema version 2^32-1", batch(schemaVersion: .max).encoded(), schema),
            ("NaN rewards", batch(reward: .nan).encoded(), nonFinite),
            ("+Inf rewards", batch(reward: .infinity).encoded(), nonFinite),
            ("-Inf rewards", batch(reward: -.infinity).encoded(), nonFinite),
            ("NaN observations", batch(observation: .nan).encoded(), nonFinite),
            ("+Inf observations", batch(observation: .infinity).encoded(), nonFinite),
            ("NaN next observations", batch(nextObservation: .nan).encoded(), nonFinite),
            ("-Inf behaviour log-probs", batch(logProb: -.infinity).encoded(), nonFinite),
            ("+Inf final observation", batch(truncatedFinal: .infinity).encoded(), nonFinite),
            ("NaN episode return", batch(episodeReturn: .nan).encoded(), nonFinite),
            ("action -1", batch(action: -1).encoded(), WireError.Reason.outOfRange.rawValue),
            ("action 2 of 2", batch(action: 2).encoded(), BatchRejection.Reason.actionOutOfRange.rawValue),
            ("action 2^63-1", batch(action: .max).encoded(), BatchRejection.Reason.actionOutOfRange.rawValue),
            ("64 steps, the run's 128", batch(steps: 64).encoded(), BatchRejection.Reason.specMismatch.rawValue),
            ("policy version 1 (learner at 0)", batch(policyVersion: 1).encoded(), BatchRejection.Reason.futurePolicyVersion.rawValue),
            ("policy version 2^64-1", batch(policyVersion: .max).encoded(), BatchRejection.Reason.futurePolicyVersion.rawValue),
            ("a batch of actor-2 (2 actors)", batch(sender: "actor-2").encoded(), BatchRejection.Reason.unknownSender.rawValue),
        ]
        for kind in Payload.Kind.allCases where kind != .trajectoryBatch {
            var frame = FrameFaults.resent(SampleFrames.sample(kind), as: "actor-0", incarnation: 0, sequence: next())
            if case .groupBatch(var group) = frame.payload {
                group.policyVersion = 0  // not refused as a future version: as a GRPO batch in a PPO run
                frame.payload = .groupBatch(group)
            }
            cases.append(("a \(kind.rawValue) message", frame.encoded(), BatchRejection.Reason.unexpectedPayload.rawValue))
        }
        var continuous = try Frame(decoding: batch().encoded())
        if case .trajectoryBatch(var trajectory) = continuous.payload {
            trajectory.actions = WireTensor(float32: [Float](repeating: 0.5, count: 256), shape: [128, 2, 1])
            continuous.payload = .trajectoryBatch(trajectory)
        }
        cases.append(("float actions for a discrete space", continuous.encoded(), BatchRejection.Reason.specMismatch.rawValue))
        // Finite, and taken; the update's loss overflows and is undone. Then the same frame again.
        let overflow = batch(reward: 3e38).encoded()
        cases.append(("the overflow batch again", overflow, BatchRejection.Reason.replayed.rawValue))
        for item in cases where item.reason != BatchRejection.Reason.replayed.rawValue {
            // The decoder's own verdicts, checked here; the learner's checks are the run's to show.
            if let error = decodeError(item.bytes) {
                XCTAssertEqual(error.reason.rawValue, item.reason, item.what)
            }
        }
        XCTAssertNil(decodeError(overflow))

        let context = try Context()
        let log = FrameFaults.Log()
        let start = ContinuousClock.now
        let training = try InProcessTraining(
            config: config, context: context, stallTimeout: .seconds(60),
            log: Logger(label: "learner") {
                FleetLogHandler(label: $0) { log.append(String(format: "%.3f ", (ContinuousClock.now - start).seconds) + $0) }
            })
        let watcher = WeightsWatcher(context: context, endpoint: config.endpoints.weights, start: start)
        // The intruder says Hello as actor-0, incarnation 0, and the learner hears it before the real
        // actors start: its batches carry actor-0's incarnation of the moment, so their content is
        // what is judged (a batch of an incarnation never announced is refused unread).
        let hello = try Socket(context, .dealer, linger: .zero)
        try hello.connect(config.endpoints.control)
        try hello.send(
            Frame(
                envelope: Envelope(senderID: "actor-0", incarnation: 0, sequence: next()),
                payload: .hello(Hello(specHash: [], numEnvs: 0, host: "intruder", pid: 1))
            ).encoded())
        try training.learner.serviceControl()
        // Read before the run starts, at v0, the overflow batch before actor-0's first real one.
        let intruder = try Socket(context, .push, linger: .zero)
        try intruder.connect(config.endpoints.batches)
        for item in cases.dropLast() { try intruder.send(item.bytes) }
        try intruder.send(overflow)
        try intruder.send(overflow)
        _ = try training.learner.receiveBatches()
        let summary = try training.run()
        let published = watcher.join()

        var expected: [String: Int] = [BatchRejection.Reason.nonFiniteUpdate.rawValue: config.numActors]
        for item in cases { expected[item.reason, default: 0] += 1 }
        // The actors cannot tell that the undone update dropped their batches: they wait for a
        // version that does not come, then fetch a snapshot and act again; a batch one of them
        // had queued meanwhile is a version behind by then (max_policy_lag 0) and refused as stale.
        var rejected = summary.rejected
        let stale = rejected.removeValue(forKey: BatchRejection.Reason.stale.rawValue) ?? 0
        XCTAssertLessThanOrEqual(stale, config.numActors, "\(summary.rejected)")
        XCTAssertEqual(rejected, expected, "each refused with its reason; the overflow update's batches undone")
        XCTAssertEqual(training.learner.updatesAborted, 1)
        XCTAssertEqual(summary.policyVersion, timesteps / 512, "the run finished")
        XCTAssertTrue(FrameFaults.allFinite(training.learner), "every policy parameter is finite")
        XCTAssertEqual(published.refusals, [], "every published version decodes: no NaN or Inf in it")
        // The last version may go out as the context shuts down, unseen; the final weights are checked above.
        let seen = published.versions.map(\.version)
        XCTAssertFalse(seen.isEmpty)
        XCTAssertEqual(seen, Array(1...UInt64(seen.count)), "versions in order, none skipped before the last")
        let undone = try XCTUnwrap(log.lines.first { $0.contains("update 1 undone") }, "\(log.lines)")
        let undoneAt = try XCTUnwrap(Double(undone.prefix { $0 != " " }))
        let stall = (published.versions.first?.seconds ?? 0) - undoneAt

        let kinds = cases.count
        FaultReport.figure(
            "12. invalid batches",
            mustHold: "each rejected with its reason before the optimizer; no NaN ever reaches the weights",
            "\(kinds + 1) bad batches of \(kinds) kinds into a live CartPole learner: refused "
                + "\(FrameFaults.reasons(expected.filter { $0.key != BatchRejection.Reason.nonFiniteUpdate.rawValue })); "
                + "the 3e38-reward batch was taken, its update's loss overflowed and was undone "
                + "(non_finite_update \(expected[BatchRejection.Reason.nonFiniteUpdate.rawValue]!): it and actor-1's batch of that update; "
                + "updates aborted 1, no version published for it); run finished at v\(summary.policyVersion ?? 0); "
                + "the \(seen.count) published weights versions seen all decoded finite; final parameters finite; "
                + "the undone update stalled the run \(String(format: "%.1f", stall)) s (actors learn their batches were "
                + "dropped only by a snapshot after a full wait)\(stale > 0 ? ", and \(stale) real batch went stale" : ""). "
                + "Sender id vs CURVE key: sender_mismatch, CurveAdmissionTests")
    }

    /// The decoder's error for `bytes`, or nil when they decode.
    private func decodeError(_ bytes: [UInt8]) -> WireError? {
        do {
            _ = try Frame(decoding: bytes)
            return nil
        } catch {
            return error
        }
    }
}
