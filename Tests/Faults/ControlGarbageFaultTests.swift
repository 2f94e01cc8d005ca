@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// RELIABILITY item 10 on the control channel: 7,000 bad control messages (random bytes, mutated
/// frames, valid frames of kinds the channel does not take, messages of two parts, heartbeats,
/// stats and snapshot requests from ids that are no actors of the run) sent to a `fleet learner`
/// over loopback tcp. Must hold: every one is refused and counted by reason (none is dropped in
/// silence), the log says so a few times (1, 10, 100, ... per sender and reason), training goes on.
final class ControlGarbageFaultTests: XCTestCase {
    func testSevenThousandBadControlMessagesAreEachCountedByReason() throws {
        let cluster = try HostilePeers.Cluster(curve: false, test: self)
        let warm = try cluster.waitForStatus("training") { $0.policyVersion >= 3 }
        let messages = Self.garbage(count: 7_000)
        let socket = try cluster.controlPeer()
        for message in messages { try socket.send(multipart: message) }
        let total = messages.count
        let status = try cluster.waitForStatus("every message counted", seconds: 60) {
            $0.rejected.values.reduce(0, +) >= total
        }
        XCTAssertEqual(status.rejected.values.reduce(0, +), total, "each refused once: \(status.rejected)")
        let after = try cluster.waitForStatus("training after") { $0.policyVersion >= warm.policyVersion + 2 }
        XCTAssertEqual(after.actors["actor-0"]?.state, "live")
        let logged = cluster.learner.stderr.split(separator: "\n").filter { $0.contains("rejected a control message") }.count
        XCTAssertGreaterThan(logged, 0)
        XCTAssertLessThan(logged, 1_000, "logged at 1, 10, 100, ... per sender and reason")
        FaultReport.figure(
            "10. control garbage", mustHold: "every bad control message refused and counted by reason, logged rate-limited",
            "\(FrameFaults.count(total)) bad control messages to a fleet learner over loopback tcp: counted "
                + "\(FrameFaults.count(status.rejected.values.reduce(0, +))) (\(FrameFaults.reasons(status.rejected))); "
                + "\(logged) log lines; training v\(warm.policyVersion) → v\(after.policyVersion)")
    }

    /// `count` control messages the learner must refuse, a fifth of each sort; none decodes to a
    /// status request or names a run actor (those are redrawn).
    static func garbage(count: Int) -> [[[UInt8]]] {
        var rng = FrameFaults.Generator(seed: 0xC0_17_0010)
        let bases = FrameFaults.mutationBases()
        var messages: [[[UInt8]]] = []
        func refusable(_ bytes: [UInt8]) -> Bool {
            guard let frame = try? Frame(decoding: bytes) else { return true }
            if case .statusRequest = frame.payload { return false }
            return !frame.envelope.senderID.hasPrefix("actor-")
        }
        while messages.count < count {
            let stranger = "stranger-\(messages.count % 97)"
            let envelope = Envelope(senderID: stranger, incarnation: 1, sequence: UInt64(messages.count))
            let bytes: [[UInt8]]
            switch messages.count % 5 {
            case 0: bytes = [FrameFaults.randomFrame(&rng)]
            case 1: bytes = [FrameFaults.mutate(bases, &rng).bytes]
            case 2:
                let payloads: [Payload] = [
                    .welcome(Welcome(weightsVersion: 1, learnerIncarnation: 1, specHash: [], subject: "", policySpec: "",
                        numEnvs: 1, numSteps: 1, maxPolicyLag: 0, groupSize: 0, observationSpace: nil, actionSpace: nil)),
                    .shutdown(Shutdown(reason: "garbage")),
                ]
                bytes = [
                    rng.below(2) == 0
                        ? FrameFaults.resent(FrameFaults.cartPoleBatch(sender: stranger, steps: 2, envs: 1), as: stranger).encoded()
                        : Frame(envelope: envelope, payload: payloads[rng.below(payloads.count)]).encoded()
                ]
            case 3:
                let request = Frame(envelope: envelope, payload: .statusRequest(StatusRequest())).encoded()
                bytes = [request, request]
            default:
                let payloads: [Payload] = [
                    .heartbeat(Heartbeat(weightsVersion: 0, batchesSent: 0)), .stats(Stats(scalars: [])),
                    .snapshotRequest(SnapshotRequest(haveVersion: 0)),
                    .hello(Hello(specHash: [], numEnvs: 0, host: "garbage", pid: 1)),
                ]
                bytes = [Frame(envelope: envelope, payload: payloads[rng.below(payloads.count)]).encoded()]
            }
            if bytes.count == 1, !refusable(bytes[0]) { continue }
            messages.append(bytes)
        }
        return messages
    }
}
