import FleetClusterTesting
import FleetWire
import XCTest

@testable import FleetCluster

/// The incarnation and sequence rules of ``BatchIngress``: one forged frame can neither lock an
/// actor out (by a huge incarnation or sequence adopted as taken) nor count toward its quarantine.
final class IncarnationRuleTests: XCTestCase {
    private var ingress = BatchIngress(actorIDs: ["actor-0"], maxPolicyLag: 1)
    /// actor-0's latest Hello: incarnation 5, sent as its frame 0.
    private var hello: (incarnation: UInt64, sequence: UInt64)? = (5, 0)

    private func admit(incarnation: UInt64, sequence: UInt64, policyVersion: UInt64 = 0) -> BatchRejection? {
        let bytes = cartPoleBatchFrame(
            sender: "actor-0", sequence: sequence, incarnation: incarnation, policyVersion: policyVersion, steps: 2, envs: 3)
        let hello = self.hello
        switch ingress.admit(bytes, learnerVersion: 0, announced: { $0 == "actor-0" ? hello : nil }) {
        case .success(let admitted):
            ingress.taken(admitted)
            return nil
        case .failure(let rejection):
            return rejection
        }
    }

    func testAForgedFarFutureFrameIsRefusedAndTheActorGoesOn() {
        let forged = admit(incarnation: .max, sequence: .max - 1)
        XCTAssertEqual(forged?.reason, .wrongIncarnation)
        XCTAssertEqual(forged?.isMisbehaviour, false, "not pinned on actor-0: it does not carry its incarnation")
        XCTAssertNil(ingress.lastTaken["actor-0"], "nothing adopted")
        XCTAssertNil(admit(incarnation: 5, sequence: 2), "the honest actor's next batch is taken")
        XCTAssertEqual(ingress.lastTaken["actor-0"]?.sequence, 2)
    }

    func testASequenceJumpWithinTheIncarnationIsRefusedNotAdopted() {
        XCTAssertEqual(admit(incarnation: 5, sequence: BatchIngress.maxSequenceJump + 1)?.reason, .sequenceJump, "past the Hello")
        XCTAssertNil(admit(incarnation: 5, sequence: 3))
        let jump = admit(incarnation: 5, sequence: .max)
        XCTAssertEqual(jump?.reason, .sequenceJump)
        XCTAssertEqual(jump?.isMisbehaviour, true, "it carries the actor's incarnation")
        XCTAssertEqual(ingress.lastTaken["actor-0"]?.sequence, 3)
        XCTAssertNil(admit(incarnation: 5, sequence: 3 + BatchIngress.maxSequenceJump), "a jump of the window itself is fine")
        XCTAssertEqual(admit(incarnation: 5, sequence: 4)?.reason, .replayed)
    }

    func testFutureVersionsCountAgainstTheActorOnlyWithItsIncarnation() {
        let impostor = admit(incarnation: 1, sequence: 1, policyVersion: 7)
        XCTAssertEqual(impostor?.reason, .wrongIncarnation, "refused before its version is looked at")
        XCTAssertEqual(impostor?.isMisbehaviour, false)
        let own = admit(incarnation: 5, sequence: 1, policyVersion: 7)
        XCTAssertEqual(own?.reason, .futurePolicyVersion)
        XCTAssertEqual(own?.isMisbehaviour, true)
    }

    func testARestartedActorsPredecessorMayStillDeliverAndIsThenARelic() {
        XCTAssertNil(admit(incarnation: 5, sequence: 10))
        hello = (6, 0)  // restarted: a Hello of incarnation 6
        XCTAssertNil(admit(incarnation: 5, sequence: 11), "a batch of incarnation 5 still on the way")
        XCTAssertNil(admit(incarnation: 6, sequence: 2))
        XCTAssertEqual(admit(incarnation: 5, sequence: 12)?.reason, .wrongIncarnation, "incarnation 6 has taken over")
    }

    func testWithoutAHelloOnlyTheCheckpointsIncarnationIsTaken() {
        hello = nil  // a resumed learner: no Hello yet, the checkpoint's last taken restored
        ingress.lastTaken["actor-0"] = (5, 40)
        XCTAssertNil(admit(incarnation: 5, sequence: 41))
        XCTAssertEqual(admit(incarnation: 9, sequence: 1)?.reason, .wrongIncarnation)
        ingress.lastTaken = [:]
        XCTAssertEqual(admit(incarnation: 5, sequence: 42)?.reason, .wrongIncarnation, "nothing known: say Hello")
    }

    func testStaleAndForeignFramesAreRefusedBeforeDecoding() {
        // A frame whose tensors are garbage but whose header is stale: refused as stale, from the header.
        var bytes = cartPoleBatchFrame(sender: "actor-0", sequence: 1, incarnation: 5, policyVersion: 0, steps: 2, envs: 3)
        bytes += [0x12, 0x04, 0x22, 0x02, 0xFF, 0xFF]  // more trajectory batch: observations with a broken tensor
        XCTAssertEqual(
            try? ingress.admit(bytes, learnerVersion: 9, announced: { _ in (5, 0) }).get().sender, nil)
        guard case .failure(let stale) = ingress.admit(bytes, learnerVersion: 9, announced: { _ in (5, 0) }) else {
            return XCTFail("admitted")
        }
        XCTAssertEqual(stale.reason, .stale)
        guard case .failure(let broken) = ingress.admit(bytes, learnerVersion: 0, announced: { _ in (5, 0) }) else {
            return XCTFail("admitted")
        }
        XCTAssertEqual(broken.reason, BatchRejection.Reason(.malformed), "decoded once it passes the header checks")
    }
}
