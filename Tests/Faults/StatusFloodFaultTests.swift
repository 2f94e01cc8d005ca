@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// A peer the learner admits floods its control channel with StatusRequests, never reading the
/// answers: from a plaintext peer (`insecure: true`), and from the operator key under CURVE. Must
/// hold: training goes on at least half as fast as without the flood (measured in the same test,
/// learner and actor `fleet` processes on loopback tcp). The learner reads the control socket
/// ``ChannelLimits/controlReadsPerPass`` messages a pass, answers a peer
/// ``ChannelLimits/statusPerSecond`` times a second from a document rebuilt at most every
/// ``ChannelLimits/statusRefresh``, and counts the rest as `rate_limited`.
final class StatusFloodFaultTests: XCTestCase {
    func testAStatusFloodFromAPlaintextPeerDoesNotStopTraining() throws {
        try flood(curve: false, seconds: 3, test: "status flood (plaintext peer)")
    }

    func testAStatusFloodFromTheOperatorKeyDoesNotStopTraining() throws {
        try flood(curve: true, seconds: 3, test: "status flood (operator key, CURVE)")
    }

    func testLongStatusFloods() throws {
        try FaultReport.requireLongRuns()
        try flood(curve: false, seconds: 15, test: "status flood (plaintext peer, long)")
        try flood(curve: true, seconds: 15, test: "status flood (operator key, CURVE, long)")
    }

    private func flood(curve: Bool, seconds: Double, test: String) throws {
        let cluster = try HostilePeers.Cluster(curve: curve, test: self)
        _ = try cluster.waitForStatus("training") { $0.policyVersion >= 3 }
        let clean = try cluster.stepsPerSecond(over: seconds)
        let recipe = cluster.peerRecipe
        let request = Frame(
            envelope: Envelope(senderID: curve ? "operator" : "flooder", incarnation: 1, sequence: 0),
            payload: .statusRequest(StatusRequest())
        ).encoded()
        let flood = HostilePeers.Flood(frames: [request]) {
            try HostilePeers.Cluster.peer(recipe.context, .dealer, recipe.endpoints.control, keys: recipe.keys)
        }
        usleep(300_000)
        let flooded = try cluster.stepsPerSecond(over: seconds)
        let sent = flood.stop()
        let after = try cluster.waitForStatus("after") { _ in true }
        let limited = after.rejected[BatchRejection.Reason.rateLimited.rawValue] ?? 0
        XCTAssertGreaterThan(clean, 0)
        XCTAssertGreaterThanOrEqual(flooded, clean / 2, "training at least half as fast during the flood")
        XCTAssertGreaterThan(limited, 0, "requests past the budget counted")
        XCTAssertEqual(after.actors["actor-0"]?.state, "live")
        FaultReport.figure(
            test, mustHold: "training at least half as fast during a status flood; the excess counted as rate_limited",
            "\(FrameFaults.count(sent)) StatusRequests in \(Int(seconds)) s (never read) to a fleet learner over "
                + "loopback tcp\(curve ? " with CURVE, as the operator key" : ", plaintext"): \(Int(clean)) → "
                + "\(Int(flooded)) steps/s (\(String(format: "%.0f", 100 * flooded / clean))%); rate_limited "
                + "\(FrameFaults.count(limited))")
    }
}
