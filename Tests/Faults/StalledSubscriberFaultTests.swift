import FleetCluster
import FleetConfig
import FleetProcessTesting
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// docs/reliability.md 8: a weights subscriber that stops reading.
///
/// CartPole PPO (`cluster/cartpole-ppo.yaml`, 2 actors, `max_policy_lag` 1) over ipc. Two stalls:
/// 1. The test's own raw SUB on the learner's weights endpoint (receive high-water mark 1), never
///    read: once its socket buffer and the learner's per-subscriber queue (4) are full, the PUB must
///    drop for it, never block. The learner's update rate with the stalled subscriber is compared
///    with the mean of its rates before it connected and after it left; then the test reads what the
///    SUB got and counts the versions the PUB dropped for it.
/// 2. A real actor whose weights connection stops delivering: actor-0 reaches the weights endpoint
///    through a relay (``NetFault/Relay``) that stops passing what the learner sends for a while,
///    so every version published meanwhile is missed on its weights channel (delayed in the buffers,
///    or dropped at the learner's high-water mark), while its control channel works. The actor must
///    notice that no newer weights come, fetch them by snapshot on the control channel, and keep
///    training (`fleet status`: `weights_version` beyond every version published before the stall),
///    and hold the current version again once the relay passes bytes again.
///
/// (A SIGSTOP of an actor shorter than `actor_timeout` does not make it miss versions: updates wait
/// for a batch of every live actor, so the learner publishes at most `max_policy_lag` + 1 versions
/// while it is stopped, and they wait in its socket buffer.)
///
/// Figure: the learner's update rate with the stalled SUB over without, the versions the PUB dropped
/// for it, actor-0's resync time (stall to holding a version published after the stall began, got
/// by snapshot), the versions it got by snapshot during the stall, its catch-up time after it.
final class StalledSubscriberFaultTests: XCTestCase {
    func testStalledSubscribersNeverBlockTheLearnerAndAnActorResyncsBySnapshot() throws {
        try stalledRun(window: 3, stall: 5)
    }

    func testLongStallsNeverBlockTheLearnerAndAnActorStaysInSyncBySnapshots() throws {
        try FaultReport.requireLongRuns()
        try stalledRun(window: 10, stall: 30)
    }

    private func stalledRun(window: Double, stall: Double) throws {
        let directory = try NetFault.makeDirectory("fleet-f8", test: self)
        let endpoint = { (name: String) in "ipc://\(directory.path)/\(name)" }
        let config = packageRoot.appendingPathComponent("cluster/cartpole-ppo.yaml").path
        let shared = [
            "num_actors=2", "max_policy_lag=1", "total_timesteps=1000000000",
            "endpoints.batches=\(endpoint("batches"))", "endpoints.control=\(endpoint("control"))",
        ].flatMap { ["--set", $0] }
        let learner = try ChildProcess(
            ["learner", config, "--set", "endpoints.weights=\(endpoint("weights"))", "--run-dir",
                directory.appendingPathComponent("run").path] + shared,
            outputDirectory: directory, name: "learner", test: self)
        let relay = try NetFault.Relay(
            listenPath: directory.appendingPathComponent("relayed-weights").path,
            upstreamPath: directory.appendingPathComponent("weights").path)
        defer { relay.close() }
        let actors = try (0..<2).map { index in
            try ChildProcess(
                ["actor", config, "--index", "\(index)", "--set",
                    "endpoints.weights=\(endpoint(index == 0 ? "relayed-weights" : "weights"))"] + shared,
                outputDirectory: directory, name: "actor-\(index)", test: self)
        }
        let status = NetFault.StatusProbe(endpoint: endpoint("control"), directory: directory)
        XCTAssertNotNil(status.wait(seconds: 60, every: 0.2) { $0.policyVersion >= 5 }, learner.stderr)

        // 1. The learner's update rate without, then with, a raw SUB that is never read.
        func rate(over seconds: Double) throws -> (rate: Double, end: LearnerStatus) {
            let first = try XCTUnwrap(status.read())
            let start = Date()
            Thread.sleep(forTimeInterval: seconds)
            let last = try XCTUnwrap(status.read())
            return (Double(last.policyVersion - first.policyVersion) / Date().timeIntervalSince(start), last)
        }
        let without = try rate(over: window)
        let context = try Context()
        defer { context.shutdown() }
        let stalled = try Socket(context, .sub, linger: .zero)
        try stalled.set(.receiveHighWaterMark, to: 1)
        try stalled.subscribe()
        try stalled.connect(endpoint("weights"))
        let subscribedAt = without.end.policyVersion
        let with = try rate(over: window)
        // What the stalled SUB got: what its buffers held, oldest first; the PUB dropped the rest. Once
        // it reads, newer versions flow again: read until one newer than `published` comes.
        let published = with.end.policyVersion
        var received: [UInt64] = []
        let readUntil = Date().addingTimeInterval(5)
        reading: while Date() < readUntil {
            do {
                let bytes = try stalled.receive(flags: .dontWait)
                guard case .weights(let weights) = try Frame(decoding: bytes).payload else { continue }
                if weights.version > published { break reading }
                received.append(weights.version)
            } catch ZMQError.wouldBlock {
                Thread.sleep(forTimeInterval: 0.01)
            }
        }
        // From the first version it got (its subscription had taken effect) to `published`.
        let firstReceived = try XCTUnwrap(received.first, "the stalled SUB got nothing at all")
        XCTAssertGreaterThan(firstReceived, subscribedAt)
        let publishedWhileStalled = Int(published - firstReceived + 1)
        let dropped = publishedWhileStalled - received.count
        XCTAssertLessThan(received.count, publishedWhileStalled, "the stalled SUB got every version: nothing to drop?")
        XCTAssertEqual(received, received.sorted(), "versions out of order")

        try stalled.disconnect(endpoint("weights"))
        // Without it again: the ratio is against the mean of the rates before and after.
        let after = try rate(over: window)
        let ratio = with.rate / max((without.rate + after.rate) / 2, 1e-9)
        XCTAssertGreaterThan(ratio, 0.5, "the learner slowed down with a stalled subscriber: \(with.rate) vs \(without.rate), \(after.rate) updates/s")

        // 2. actor-0's weights channel stalls; its control channel still works.
        let before = try XCTUnwrap(status.read())
        relay.setPaused(true)
        let stalledAt = Date()
        let relayedBefore = relay.bytesDownstream
        var resync: Double?
        var versionsBySnapshot: Set<UInt64> = []
        var maxBehind: UInt64 = 0
        var during = before
        while Date().timeIntervalSince(stalledAt) < stall {
            guard let now = status.read() else { continue }
            during = now
            let record = try XCTUnwrap(now.actors["actor-0"])
            if let held = record.weightsVersion, held > before.policyVersion {
                versionsBySnapshot.insert(held)
                if resync == nil { resync = Date().timeIntervalSince(stalledAt) }
            }
            maxBehind = max(maxBehind, record.versionsBehind ?? 0)
            XCTAssertEqual(record.state, "live", "actor-0 with a stalled weights channel is still heard")
            Thread.sleep(forTimeInterval: 0.1)
        }
        XCTAssertEqual(relay.bytesDownstream, relayedBefore, "the relay passed weights while paused")
        let stallUpdates = during.policyVersion - before.policyVersion
        relay.setPaused(false)
        let resumedAt = Date()
        let caughtUp = status.wait(seconds: 10, every: 0.1) {
            ($0.actors["actor-0"]?.versionsBehind ?? 99) <= 1 && $0.policyVersion > during.policyVersion
        }
        let catchUp = caughtUp.map { _ in Date().timeIntervalSince(resumedAt) }

        XCTAssertNotNil(resync, "actor-0 never held a version published after its weights channel stalled")
        if let resync {
            // It asks for a snapshot after 2 s (ChannelLimits.snapshotRetry) without newer weights.
            XCTAssertLessThan(resync, 2 * Double(ChannelLimits.snapshotRetry.components.seconds) + 1.5)
        }
        XCTAssertGreaterThan(stallUpdates, 0, "training stopped while actor-0's weights channel stalled")
        XCTAssertNotNil(catchUp, "actor-0 did not catch up after the stall")

        XCTAssertTrue(learner.process.isRunning, learner.stderr)
        kill(learner.process.processIdentifier, SIGINT)
        XCTAssertEqual(learner.wait(seconds: 30), 130, learner.stderr)
        for (index, actor) in actors.enumerated() {
            XCTAssertEqual(actor.wait(seconds: 15), 0, "actor-\(index): \(actor.stderr)")
        }
        FaultReport.figure(
            "8 stalled weights subscriber, \(Int(stall)) s actor stall",
            mustHold: "learner never blocks (rate ratio > 0.5); PUB drops for the stalled SUB; actor resyncs by snapshot",
            String(
                format: "learner updates/s with stalled SUB %.2f, without %.2f before and %.2f after: ratio %.2f; ",
                with.rate, without.rate, after.rate, ratio)
                + "stalled SUB got \(received.count) of \(publishedWhileStalled) versions (PUB dropped \(dropped)); "
                + "actor-0 weights stalled \(Int(stall)) s: resync by snapshot \(NetFault.seconds(resync)), "
                + "\(versionsBySnapshot.count) versions by snapshot while the learner made \(stallUpdates) updates, "
                + "at most \(maxBehind) behind; caught up \(NetFault.seconds(catchUp)) after the stall; "
                + "load \(NetFault.loadAverage())")
    }
}
