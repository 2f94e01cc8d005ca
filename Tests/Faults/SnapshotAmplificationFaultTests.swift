@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// An 11-byte SnapshotRequest used to queue a weights frame (18 KB for CartPole's policy) for
/// whoever asked, up to 100 per connection: 50 connections that never read grew a learner by
/// 71 MiB. Here 50 such connections (plaintext) each send 200 requests, half of them as ids that
/// are no actors of the run, half claiming `actor-0`. Must hold: the strangers get nothing
/// (`unknown_sender`, every one counted), `actor-0` gets a snapshot at most every
/// ``ChannelLimits/snapshotInterval`` (the rest `rate_limited`), and the learner's memory grows by
/// less than 10 MiB.
final class SnapshotAmplificationFaultTests: XCTestCase {
    func testSnapshotRequestsFromStrangersAndFloodsAreRefusedAndBounded() throws {
        let cluster = try HostilePeers.Cluster(curve: false, test: self)
        let warm = try cluster.waitForStatus("training") { $0.policyVersion >= 3 }
        let before = try FrameFaults.Memory.of(pid: cluster.learnerPID)
        let connections = 50, requests = 200
        var sockets: [Socket] = []
        for index in 0..<connections {
            let socket = try cluster.controlPeer()
            let sender = index < connections / 2 ? "stranger-\(index)" : "actor-0"
            for sequence in 0..<requests {
                let frame = Frame(
                    envelope: Envelope(senderID: sender, incarnation: 1, sequence: UInt64(sequence)),
                    payload: .snapshotRequest(SnapshotRequest(haveVersion: 0)))
                try socket.send(frame.encoded())
            }
            sockets.append(socket)
        }
        let strangers = connections / 2 * requests
        let status = try cluster.waitForStatus("every request judged") {
            ($0.rejected[BatchRejection.Reason.unknownSender.rawValue] ?? 0) >= strangers
                && ($0.rejected[BatchRejection.Reason.rateLimited.rawValue] ?? 0) > 0
        }
        usleep(1_000_000)
        let after = try FrameFaults.Memory.of(pid: cluster.learnerPID)
        let growth = after.rss - before.rss
        let limited = status.rejected[BatchRejection.Reason.rateLimited.rawValue] ?? 0
        XCTAssertEqual(status.rejected[BatchRejection.Reason.unknownSender.rawValue], strangers, "every stranger's request refused")
        XCTAssertLessThan(growth, 10 << 20, "the learner grew by less than 10 MiB")
        let later = try cluster.waitForStatus("training after") { $0.policyVersion >= warm.policyVersion + 2 }
        XCTAssertEqual(later.actors["actor-0"]?.state, "live")
        withExtendedLifetime(sockets) {}
        FaultReport.figure(
            "snapshot amplification",
            mustHold: "snapshots only to the run's actors, one per 20 ms each; the learner grows < 10 MiB",
            "\(connections) connections that never read, \(requests) SnapshotRequests each (half as strangers, half "
                + "claiming actor-0), to a fleet learner over loopback tcp: unknown_sender \(FrameFaults.count(strangers)), "
                + "rate_limited \(FrameFaults.count(limited)); VmRSS \(FrameFaults.mib(before.rss)) → "
                + "\(FrameFaults.mib(after.rss)) MiB (+\(FrameFaults.mib(growth)) MiB); training v\(warm.policyVersion) → "
                + "v\(later.policyVersion)")
    }
}
