@testable import FleetCluster
import FleetClusterTesting
import FleetTestSupport
import FleetConfig
import FleetTransport
import FleetWire
import Foundation
import XCTest

/// The operator role: a key listed `operator` is admitted on the control socket only (its own ZAP
/// domain) and served status there, and nothing else: its batch and weights connections are
/// refused in the handshake, its Hello and snapshot requests are refused as `not_permitted`. An
/// actor's key may ask for status a few times a second only.
final class OperatorRoleTests: XCTestCase {
    func testTheOperatorKeyIsServedStatusAndNothingElse() throws {
        let keys = try TestKeys.make(["actor-0", "operator"], test: self)
        let config = try tcpTestConfig(keys, ["num_envs=4", "num_actors=2", "join_timeout=600"])
        let context = try Context()
        let learner = try LearnerThread(config: config, context: context)
        let operatorKeys = keys.peers["operator"]!

        // Status: served.
        let status = try askStatus(
            context, endpoint: learner.endpoints.control, as: "operator", keys: operatorKeys, learnerKey: keys.learner.publicKey)
        XCTAssertNotNil(status, "the operator is served status")

        // Batches and weights: refused in the handshake.
        let push = try Socket(context, .push, linger: .zero)
        try push.makeCurveClient(serverPublicKey: keys.learner.publicKey, keys: operatorKeys)
        try push.connect(learner.endpoints.batches)
        try push.send(cartPoleBatchFrame(sender: "operator", sequence: 0, policyVersion: 0, steps: 128, envs: 2), flags: .dontWait)
        let sub = try Socket(context, .sub, linger: .zero)
        try sub.makeCurveClient(serverPublicKey: keys.learner.publicKey, keys: operatorKeys)
        try sub.subscribe()
        try sub.set(.receiveTimeout, to: .milliseconds(300))
        try sub.connect(learner.endpoints.weights)
        XCTAssertTrue(learner.waitForLog("an operator key is admitted on the control channel only"), learner.log.lines.joined(separator: "\n"))

        // Control messages other than status: refused, no weights sent back.
        let control = try Socket(context, .dealer, linger: .zero)
        try control.makeCurveClient(serverPublicKey: keys.learner.publicKey, keys: operatorKeys)
        try control.set(.receiveTimeout, to: .milliseconds(500))
        try control.connect(learner.endpoints.control)
        let payloads: [Payload] = [
            .snapshotRequest(SnapshotRequest(haveVersion: 0)), .hello(Hello(specHash: [], numEnvs: 0, host: "h", pid: 1)),
            .heartbeat(Heartbeat(weightsVersion: 0, batchesSent: 0)),
        ]
        for (sequence, payload) in payloads.enumerated() {
            try control.send(Frame(envelope: Envelope(senderID: "operator", incarnation: 1, sequence: UInt64(sequence)), payload: payload).encoded())
        }
        while let bytes = try? control.receive() {
            let answer = try Frame(decoding: bytes)
            guard case .refusal(let refusal) = answer.payload else { return XCTFail("answered \(answer.kind)") }
            XCTAssertEqual(refusal.reason, BatchRejection.Reason.notPermitted.rawValue)
        }
        XCTAssertThrowsError(try sub.receive(), "no weights on the weights channel")

        let final = try learner.stop()
        context.shutdown()
        XCTAssertEqual(final.rejectedBySender["operator"], [BatchRejection.Reason.notPermitted.rawValue: payloads.count])
        XCTAssertEqual(final.delivered(from: "operator"), payloads.count, "its batch never reached the learner's checks")
        XCTAssertEqual(final.actors["actor-0"]?.joins, 0)
        print("OperatorRoleTests: operator key: status served; batches and weights refused at the handshake; "
            + "\(payloads.count) control messages other than status refused as not_permitted")
    }

    func testAnActorsKeyIsRateLimitedOnStatus() throws {
        let keys = try TestKeys.make(["actor-0"], test: self)
        let config = try tcpTestConfig(keys, ["num_envs=4", "num_actors=2", "join_timeout=600"])
        let context = try Context()
        let learner = try LearnerThread(config: config, context: context)
        var answered = 0
        for _ in 0..<10 {
            let status = try askStatus(
                context, endpoint: learner.endpoints.control, as: "actor-0", keys: keys.peers["actor-0"],
                learnerKey: keys.learner.publicKey, timeout: .milliseconds(300))
            if status != nil { answered += 1 }
        }
        let final = try learner.stop()
        context.shutdown()
        print("OperatorRoleTests: an actor's key: \(answered) of 10 status requests in a row answered, the rest rate_limited")
        XCTAssertLessThan(answered, 10)
        XCTAssertGreaterThanOrEqual(answered, 5, "a burst of 5")
        XCTAssertEqual(final.rejectedBySender["actor-0"]?[BatchRejection.Reason.rateLimited.rawValue], 10 - answered)
    }

    func testTheAllowListReadsRolesAndTheOperatorIsAdmittedOnTheControlDomainOnly() throws {
        let a = try CurveKeyPair.generate().publicKey, b = try CurveKeyPair.generate().publicKey, c = try CurveKeyPair.generate().publicKey
        let entries = try ActorAllowList.parseEntries("actor-0 \(a)\nactor-1 \(b) actor\nops \(c) operator\n", path: "list")
        XCTAssertEqual(entries["actor-0"]?.role, .actor, "no role: an actor")
        XCTAssertEqual(entries["actor-1"]?.role, .actor)
        XCTAssertEqual(entries["ops"]?.role, .operator)

        let directory = try makeTemporaryDirectory(self)
        let file = directory.appendingPathComponent("authorized_actors").path
        try ActorAllowList.authorize([("actor-0", a)], inFile: file)
        try ActorAllowList.authorize([("ops", c)], role: .operator, inFile: file)
        XCTAssertTrue(try String(contentsOfFile: file, encoding: .utf8).contains("ops \(c) operator\n"))
        let list = try ActorAllowList(path: file)
        XCTAssertEqual(list.roles, ["actor-0": .actor, "ops": .operator])
        func request(_ key: String, _ domain: String) -> ZAPRequest {
            ZAPRequest(requestID: [1], domain: domain, address: "10.0.0.9", routingID: [], mechanism: "CURVE", credentials: [Z85.decode(key)!])
        }
        XCTAssertEqual(
            list.authenticate(request(c, ActorAllowList.controlDomain)),
            .allow(userID: "ops", metadata: ["X-Public-Key": c, "X-Fleet-Role": "operator"]))
        guard case .deny = list.authenticate(request(c, ActorAllowList.actorDomain)) else { return XCTFail("the operator got onto batches") }
        XCTAssertEqual(list.takeEvents(), [.operatorRefused(id: "ops", domain: "fleet", address: "10.0.0.9", count: 1)])
        guard case .allow = list.authenticate(request(a, ActorAllowList.actorDomain)) else { return XCTFail("an actor was refused") }
        XCTAssertTrue(list.isListed("ops", key: c, role: .operator))
        XCTAssertFalse(list.isListed("ops", key: c, role: .actor))
    }

    func testAnOperatorListedWithoutARoleIsTakenAsAnActorWithAWarning() throws {
        let keys = try TestKeys.make(["actor-0", "actor-1"], test: self)
        // As `fleet keygen --name operator --authorize` wrote it before roles.
        let key = try CurveKeyPair.generate().publicKey
        let text = try String(contentsOf: keys.allowList, encoding: .utf8) + "operator \(key)\n"
        try Data(text.utf8).write(to: keys.allowList)
        let security = try tcpTestConfig(keys, ["num_actors=2"]).learnerSecurity()
        XCTAssertEqual(security.curve?.allowList.roles["operator"], .actor)
        XCTAssertTrue(security.warnings.contains { $0.contains("operator is listed as an actor") && $0.contains("' operator'") }, "\(security.warnings)")
    }
}
