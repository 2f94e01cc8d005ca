@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// A peer connects to the learner's weights socket and sends megabytes of distinct subscriptions
/// (libzmq 4.3.4 keeps a PUB's subscriptions in a tree: 8 MiB of them grew a learner by 250 MiB).
/// Must hold: the learner's resident memory grows by less than 10 MiB, the subscriptions are
/// counted as `bad_subscription`, and training goes on. The weights socket is an XPUB in manual
/// mode with a 512-byte message cap: the learner reads each subscription itself (a few per pass),
/// subscribes actors to everything, and on anything else drops the socket's connections, which
/// frees what libzmq kept of them.
final class SubscriptionBombFaultTests: XCTestCase {
    func testEightMebibytesOfSubscriptionsDoNotGrowTheLearner() throws {
        try bomb(megabytes: 8, curve: false, test: "subscription bomb (8 MiB, plaintext peer)")
    }

    func testSixteenMebibytesOfSubscriptionsFromAnActorKeyDoNotGrowTheLearner() throws {
        try FaultReport.requireLongRuns()
        try bomb(megabytes: 16, curve: true, test: "subscription bomb (16 MiB, an actor's key under CURVE, long)")
    }

    private func bomb(megabytes: Int, curve: Bool, test: String) throws {
        let cluster = try HostilePeers.Cluster(curve: curve, test: self)
        let warm = try cluster.waitForStatus("training") { $0.policyVersion >= 3 }
        let before = try FrameFaults.Memory.of(pid: cluster.learnerPID)
        // Distinct 20-byte subscriptions (the worst for the tree: a node per byte), and longer
        // ones up to the cap, and one over it.
        var generator = FrameFaults.Generator(seed: 0x5B5C)
        var subscriptions: [[UInt8]] = []
        var bytes = 0
        while bytes < megabytes << 20 {
            let length = subscriptions.count % 100 == 99 ? 400 : 20
            let subscription = [1] + (1..<length).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            subscriptions.append(subscription)
            bytes += subscription.count
        }
        let recipe = cluster.peerRecipe
        var peak = before
        let start = ContinuousClock.now
        // Reconnecting as fast as it is cut off, until every subscription was sent once.
        let sent = LockedCount()
        let total = subscriptions.count
        let sender = HostilePeers.Flood(frames: subscriptions) {
            let socket = try HostilePeers.Cluster.peer(
                recipe.context, .xsub, recipe.endpoints.weights, keys: recipe.keys, asOperator: false)
            try socket.set(.sendHighWaterMark, to: 0)
            return socket
        }
        while ContinuousClock.now - start < .seconds(curve ? 20 : 8) {
            usleep(100_000)
            let now = try FrameFaults.Memory.of(pid: cluster.learnerPID)
            peak = FrameFaults.Memory(rss: max(peak.rss, now.rss), hwm: max(peak.hwm, now.hwm))
        }
        sent.value = sender.stop()
        let after = try cluster.waitForStatus("training after") { $0.policyVersion >= warm.policyVersion + 3 }
        let end = try FrameFaults.Memory.of(pid: cluster.learnerPID)
        let refused = after.rejected[BatchRejection.Reason.badSubscription.rawValue] ?? 0
        let growth = max(peak.rss, end.rss) - before.rss
        XCTAssertGreaterThanOrEqual(sent.value, total / 4, "the peer got a good part of its bomb out")
        XCTAssertLessThan(growth, 10 << 20, "the learner grew by less than 10 MiB")
        XCTAssertGreaterThan(refused, 0, "the bad subscriptions were counted")
        XCTAssertEqual(after.actors["actor-0"]?.state, "live")
        FaultReport.figure(
            test, mustHold: "the learner's memory grows < 10 MiB under a subscription bomb; refused and counted; training goes on",
            "\(FrameFaults.count(sent.value)) subscriptions (\(FrameFaults.mib(sent.value * bytes / subscriptions.count)) MiB "
                + "sent of \(megabytes) MiB made; \(curve ? "CURVE, actor-0's key" : "plaintext")) to the weights socket "
                + "of a fleet learner: VmRSS \(FrameFaults.mib(before.rss)) → peak \(FrameFaults.mib(peak.rss)) → "
                + "\(FrameFaults.mib(end.rss)) MiB (+\(FrameFaults.mib(growth)) MiB); bad_subscription "
                + "\(FrameFaults.count(refused)) (each drops the weights socket's connections); training "
                + "v\(warm.policyVersion) → v\(after.policyVersion), actor live")
    }

    private final class LockedCount: @unchecked Sendable {
        var value = 0
    }
}
