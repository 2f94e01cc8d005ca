@testable import FleetCluster
import FleetAlgorithms
import FleetWire
import XCTest

/// The learner's door for batches: the staleness rule and the run's own checks, one by one.
final class LoopIngressTests: XCTestCase {
    private func ingress(maxPolicyLag: UInt64 = 1) -> BatchIngress {
        BatchIngress(
            actorIDs: ["actor-0", "actor-1"], numSteps: 2, numEnvs: 3, observationSize: 4,
            actionKind: .discrete(count: 2), maxPolicyLag: maxPolicyLag)
    }

    private func reason(_ result: Result<AdmittedBatch, BatchRejection>) -> String? {
        if case .failure(let rejection) = result { return rejection.reason }
        return nil
    }

    func testABatchOlderThanMaxPolicyLagIsDroppedAsStale() {
        var door = ingress(maxPolicyLag: 1)
        let old = cartPoleBatchFrame(sender: "actor-0", sequence: 0, policyVersion: 3, steps: 2, envs: 3)
        XCTAssertEqual(reason(door.admit(old, learnerVersion: 5)), BatchRejection.stale)
        let fresh = cartPoleBatchFrame(sender: "actor-0", sequence: 1, policyVersion: 4, steps: 2, envs: 3)
        guard case .success(let batch) = door.admit(fresh, learnerVersion: 5) else { return XCTFail("refused") }
        XCTAssertEqual(batch.rollout.policyVersion, 4)
        XCTAssertEqual(batch.rollout.streamID, "actor-0")
        XCTAssertEqual(batch.rollout.actions, .discrete([0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(batch.rollout.observations.count, 2 * 3 * 4)
    }

    func testMaxPolicyLagZeroTakesOnlyTheCurrentVersion() {
        var door = ingress(maxPolicyLag: 0)
        let previous = cartPoleBatchFrame(sender: "actor-1", policyVersion: 6, steps: 2, envs: 3)
        XCTAssertEqual(reason(door.admit(previous, learnerVersion: 7)), BatchRejection.stale)
        let current = cartPoleBatchFrame(sender: "actor-1", policyVersion: 7, steps: 2, envs: 3)
        XCTAssertNil(reason(door.admit(current, learnerVersion: 7)))
    }

    func testFutureVersionsReplaysStrangersWrongShapesAndBadActionsAreRefused() {
        var door = ingress()
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-0", policyVersion: 9, steps: 2, envs: 3), learnerVersion: 8)),
            BatchRejection.futurePolicyVersion)
        XCTAssertNil(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-0", sequence: 5, policyVersion: 8, steps: 2, envs: 3), learnerVersion: 8)))
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-0", sequence: 5, policyVersion: 8, steps: 2, envs: 3), learnerVersion: 8)),
            BatchRejection.replayed)
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-7", policyVersion: 8, steps: 2, envs: 3), learnerVersion: 8)),
            BatchRejection.unknownSender)
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-1", policyVersion: 8, steps: 2, envs: 2), learnerVersion: 8)),
            BatchRejection.specMismatch)
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-1", policyVersion: 8, steps: 2, envs: 3, action: 2), learnerVersion: 8)),
            BatchRejection.actionOutOfRange)
        XCTAssertEqual(reason(door.admit([0x0A, 0xFF, 0xFF], learnerVersion: 8)), WireError.Reason.malformed.rawValue)
    }
}
