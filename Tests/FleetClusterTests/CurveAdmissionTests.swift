@testable import FleetCluster
import FleetTransport
import FleetWire
import Foundation
import Logging
import XCTest
import FleetClusterTesting
import FleetConfig

/// RELIABILITY test 13 and the sender binding: a learner on tcp with CURVE admits only the
/// allow-list's keys, each as its actor id. Messages are counted where the learner's checks see
/// them (``LearnerStatus/delivered(from:)``): a refused peer's count stays 0.
final class CurveAdmissionTests: XCTestCase {
    /// Batch frames each client sends.
    private let sent = 5

    /// A PUSH to the learner's batch endpoint: plain, or a CURVE client with `keys` that takes the
    /// learner to have public key `serverKey`.
    private func pusher(_ context: Context, _ endpoint: String, keys: CurveKeyPair? = nil, serverKey: String = "") throws -> Socket {
        let socket = try Socket(context, .push, linger: .zero)
        if let keys { try socket.makeCurveClient(serverPublicKey: serverKey, keys: keys) }
        try socket.connect(endpoint)
        return socket
    }

    /// Sends `count` well-formed batch frames as `sender` (sequences from `first`); a full queue
    /// (a connection that never completes) just keeps them.
    private func send(_ count: Int, as sender: String, from first: UInt64 = 0, on socket: Socket) {
        for sequence in first..<first + UInt64(count) {
            let frame = cartPoleBatchFrame(sender: sender, sequence: sequence, policyVersion: 0, steps: 128, envs: 2)
            try? socket.send(frame, flags: .dontWait)
        }
    }

    /// Polls the learner's counters as `operator` until `condition` holds (or 10 s pass).
    private func waitFor(
        _ context: Context, _ learner: LearnerThread, _ keys: TestKeys, _ condition: (LearnerStatus) -> Bool
    ) throws -> LearnerStatus {
        let deadline = ContinuousClock.now + .seconds(10)
        var last: LearnerStatus?
        while ContinuousClock.now < deadline {
            last = try askStatus(
                context, endpoint: learner.endpoints.control, as: "operator", keys: keys.peers["operator"],
                learnerKey: keys.learner.publicKey)
            if let last, condition(last) { return last }
            Thread.sleep(forTimeInterval: 0.05)
        }
        return try XCTUnwrap(last, "the learner never answered its operator")
    }

    func testPlainWrongServerKeyUnlistedAndRevokedClientsDeliverNothingAndAListedOneGetsThrough() throws {
        // 3 actors of 2 environments each; actor-2 never comes, so no update runs (join_timeout).
        let keys = try TestKeys.make(["actor-0", "actor-1", "operator"], test: self)
        let config = try tcpTestConfig(keys, ["num_envs=6", "num_actors=3", "join_timeout=600"])
        let context = try Context()
        let learner = try LearnerThread(config: config, context: context)
        let batches = learner.endpoints.batches
        XCTAssertTrue(batches.hasPrefix("tcp://127.0.0.1:") && !batches.hasSuffix(":*"), batches)

        let plain = try pusher(context, batches)
        let wrongServerKey = try pusher(
            context, batches, keys: keys.peers["actor-0"]!, serverKey: try CurveKeyPair.generate().publicKey)
        let unlisted = try pusher(context, batches, keys: try CurveKeyPair.generate(), serverKey: keys.learner.publicKey)
        let listed = try pusher(context, batches, keys: keys.peers["actor-0"]!, serverKey: keys.learner.publicKey)
        send(sent, as: "plain", on: plain)
        send(sent, as: "wrong-server-key", on: wrongServerKey)
        send(sent, as: "unlisted", on: unlisted)
        send(sent, as: "actor-0", on: listed)

        // actor-1, listed, gets one batch in; then it is taken off the list.
        let revoked = try pusher(context, batches, keys: keys.peers["actor-1"]!, serverKey: keys.learner.publicKey)
        send(1, as: "actor-1", on: revoked)
        let before = try waitFor(context, learner, keys) { $0.delivered(from: "actor-0") == self.sent && $0.delivered(from: "actor-1") == 1 }
        XCTAssertEqual(before.delivered(from: "actor-0"), sent)
        XCTAssertEqual(before.delivered(from: "actor-1"), 1, "listed, actor-1 gets in")
        try keys.list(["actor-0", "operator"])
        XCTAssertTrue(learner.waitForLog("revoked actor-1"), learner.log.lines.joined(separator: "\n"))
        // Its connection from before, and a new one: nothing more gets in.
        send(sent, as: "actor-1", from: 1, on: revoked)
        let reconnected = try pusher(context, batches, keys: keys.peers["actor-1"]!, serverKey: keys.learner.publicKey)
        send(sent, as: "actor-1", from: 100, on: reconnected)
        // actor-0 reconnects after the drop and gets a last batch in: the learner has read what came before it.
        send(1, as: "actor-0", from: UInt64(sent), on: listed)
        _ = try waitFor(context, learner, keys) { $0.delivered(from: "actor-0") == self.sent + 1 }
        Thread.sleep(forTimeInterval: 0.3)

        let status = try learner.stop()
        context.shutdown()
        // (name, delivered, sent); actor-1's one batch from before its revocation is not counted.
        let figures = [
            ("plain", status.delivered(from: "plain"), sent),
            ("wrong server key", status.delivered(from: "wrong-server-key"), sent),
            ("unlisted", status.delivered(from: "unlisted"), sent),
            ("revoked", status.delivered(from: "actor-1") - 1, 2 * sent),
        ]
        print(
            "CurveAdmissionTests: " + figures.map { "\($0.0) \($0.1)/\($0.2)" }.joined(separator: ", ")
                + " delivered (revoked: \(sent) on its connection from before, \(sent) on a new one); "
                + "listed \(status.delivered(from: "actor-0") - 1)/\(sent)")
        for (name, delivered, _) in figures { XCTAssertEqual(delivered, 0, "\(name) got messages in") }
        XCTAssertEqual(status.delivered(from: "actor-0"), sent + 1)
        XCTAssertEqual(status.deliveredInAll, sent + 1 + 1, "actor-0's batches and actor-1's one from before")
        XCTAssertNil(status.rejected[BatchRejection.Reason.revokedKey.rawValue], "the revoked connection was cut before it could send")
        XCTAssertTrue(
            learner.log.lines.contains { $0.contains("refused a connection from 127.0.0.1: key \(keys.peers["actor-1"]!.publicKey)") },
            learner.log.lines.joined(separator: "\n"))
    }

    func testAnActorsKeySendingAsAnotherActorIsRejectedAsSenderMismatch() throws {
        let keys = try TestKeys.make(["actor-0", "actor-1", "operator"], test: self)
        let config = try tcpTestConfig(keys, ["num_envs=6", "num_actors=3", "join_timeout=600"])
        let context = try Context()
        let learner = try LearnerThread(config: config, context: context)
        let impostor = try pusher(context, learner.endpoints.batches, keys: keys.peers["actor-1"]!, serverKey: keys.learner.publicKey)
        send(sent, as: "actor-0", on: impostor)
        // On the control channel too: a Hello as actor-0 from actor-1's key gets no Welcome (at most
        // a Refusal, back on actor-1's own connection, when its count of sender_mismatch is 1, 10, ...).
        let control = try Socket(context, .dealer, linger: .zero)
        try control.makeCurveClient(serverPublicKey: keys.learner.publicKey, keys: keys.peers["actor-1"]!)
        try control.set(.receiveTimeout, to: .milliseconds(500))
        try control.connect(learner.endpoints.control)
        let hello = Hello(specHash: [], numEnvs: 2, host: "impostor", pid: 1)
        try control.send(Frame(envelope: Envelope(senderID: "actor-0", incarnation: 1, sequence: 0), payload: .hello(hello)).encoded())
        while let bytes = try? control.receive() {
            let answer = try Frame(decoding: bytes)
            guard case .refusal(let refusal) = answer.payload else { return XCTFail("answered \(answer.kind)") }
            XCTAssertEqual(refusal.reason, BatchRejection.Reason.senderMismatch.rawValue)
        }

        let seen = try waitFor(context, learner, keys) { $0.rejected[BatchRejection.Reason.senderMismatch.rawValue] == self.sent + 1 }
        let status = try learner.stop()
        context.shutdown()
        print(
            "CurveAdmissionTests: actor-1's key sending as actor-0: \(sent) batches and 1 hello, "
                + "\(status.rejected[BatchRejection.Reason.senderMismatch.rawValue] ?? 0) rejected as sender_mismatch, "
                + "\(status.actors["actor-0"]?.batchesAccepted ?? -1) taken as actor-0's")
        XCTAssertEqual(seen.rejected, [BatchRejection.Reason.senderMismatch.rawValue: sent + 1])
        XCTAssertEqual(status.rejectedBySender["actor-1"], [BatchRejection.Reason.senderMismatch.rawValue: sent + 1], "counted under the authenticated id")
        XCTAssertEqual(status.actors["actor-0"]?.batchesAccepted, 0)
        XCTAssertEqual(status.actors["actor-0"]?.joins, 0, "the impostor's hello did not count as actor-0 joining")
    }

    /// Learner and actors with CURVE keys train over loopback tcp, nothing refused; the actors'
    /// messages came authenticated as their own ids.
    func testActorsWithTheirKeysTrainOverCURVE() throws {
        let keys = try TestKeys.make(["actor-0", "actor-1"], test: self)
        let config = try tcpTestConfig(keys, ["num_actors=2", "max_policy_lag=1"])
        let context = try Context()
        let log = LogLines()
        let learner = try LearnerLoop(config: config, context: context, options: .init(stallTimeout: .seconds(30), log: log.logger))
        var actorConfig = config
        actorConfig.endpoints = learner.boundEndpoints
        let actors = (0..<2).map { ActorThread(index: $0, config: actorConfig, context: context, log: log.logger) }
        let summary = try learner.run()
        context.shutdown()
        for actor in actors { XCTAssertNil(actor.join()) }
        XCTAssertEqual(summary.envSteps, 2048)
        XCTAssertEqual(summary.rejected, [:], log.lines.joined(separator: "\n"))
        XCTAssertEqual(summary.actors.started, 2)
        XCTAssertTrue(log.lines.contains { $0.contains("learner: CURVE on tcp://127.0.0.1:") }, "\(log.lines)")
        XCTAssertFalse(log.lines.contains { $0.contains("warning") }, "\(log.lines)")
    }
}
