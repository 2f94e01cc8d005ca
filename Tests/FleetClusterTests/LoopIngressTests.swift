@testable import FleetCluster
import FleetAlgorithms
import FleetWire
import XCTest
import FleetClusterTesting
import FleetConfig

/// The learner's door for batches: the staleness rule and the run's own checks, one by one.
final class LoopIngressTests: XCTestCase {
    /// The shared checks and PPO's, as the learner applies them, for 2 actors of 3 CartPole
    /// environments x 2 steps each.
    private struct Door {
        var ingress: BatchIngress
        let ppo: RolloutTraining

        mutating func admit(_ bytes: [UInt8], learnerVersion: UInt64) -> Result<Rollout, BatchRejection> {
            // Both actors said Hello as incarnation 1 (the frames' own).
            let result = ingress.admit(bytes, learnerVersion: learnerVersion, announced: { _ in (1, 0) }).flatMap { admitted in
                ppo.admit(admitted.frame, sender: admitted.sender).map { (admitted, $0) }
            }
            switch result {
            case .success(let (admitted, content)):
                ingress.taken(admitted)
                guard case .rollout(let rollout, _, _) = content else { preconditionFailure("a PPO run queues rollouts") }
                return .success(rollout)
            case .failure(let rejection):
                return .failure(rejection)
            }
        }
    }

    private func ingress(maxPolicyLag: UInt64 = 1) -> Door {
        let config = try! loopTestConfig(["num_steps=2", "num_envs=6", "num_actors=2", "num_minibatches=2", "total_timesteps=12"])
        return Door(
            ingress: BatchIngress(actorIDs: ["actor-0", "actor-1"], maxPolicyLag: maxPolicyLag),
            ppo: try! RolloutTraining(config: config))
    }

    private func reason(_ result: Result<Rollout, BatchRejection>) -> BatchRejection.Reason? {
        if case .failure(let rejection) = result { return rejection.reason }
        return nil
    }

    /// A frame whose content does not validate is counted against the sender its envelope names
    /// (toward that actor's quarantine), not against no one.
    func testAnInvalidBatchIsCountedAgainstTheSenderItNames() throws {
        var door = ingress()
        let valid = try Frame(decoding: cartPoleBatchFrame(sender: "actor-1", policyVersion: 0, steps: 2, envs: 3))
        guard case .trajectoryBatch(var batch) = valid.payload else { return XCTFail("not a batch") }
        batch.rewards = WireTensor(float32: [Float](repeating: 1, count: 6), shape: [6])
        let invalid = Frame(envelope: valid.envelope, payload: .trajectoryBatch(batch)).encoded()
        guard case .failure(let rejection) = door.admit(invalid, learnerVersion: 0) else { return XCTFail("admitted") }
        XCTAssertEqual(rejection.reason, BatchRejection.Reason(.shapeMismatch))
        XCTAssertEqual(rejection.sender, "actor-1")
        XCTAssertTrue(rejection.isMisbehaviour)
    }

    func testABatchOlderThanMaxPolicyLagIsDroppedAsStale() {
        var door = ingress(maxPolicyLag: 1)
        let old = cartPoleBatchFrame(sender: "actor-0", sequence: 0, policyVersion: 3, steps: 2, envs: 3)
        XCTAssertEqual(reason(door.admit(old, learnerVersion: 5)), BatchRejection.Reason.stale)
        let fresh = cartPoleBatchFrame(sender: "actor-0", sequence: 1, policyVersion: 4, steps: 2, envs: 3)
        guard case .success(let rollout) = door.admit(fresh, learnerVersion: 5) else { return XCTFail("refused") }
        XCTAssertEqual(rollout.policyVersion, 4)
        XCTAssertEqual(rollout.streamID, "actor-0")
        XCTAssertEqual(rollout.actions, .discrete([0, 0, 0, 0, 0, 0]))
        XCTAssertEqual(rollout.observations.count, 2 * 3 * 4)
    }

    func testMaxPolicyLagZeroTakesOnlyTheCurrentVersion() {
        var door = ingress(maxPolicyLag: 0)
        let previous = cartPoleBatchFrame(sender: "actor-1", policyVersion: 6, steps: 2, envs: 3)
        XCTAssertEqual(reason(door.admit(previous, learnerVersion: 7)), BatchRejection.Reason.stale)
        let current = cartPoleBatchFrame(sender: "actor-1", policyVersion: 7, steps: 2, envs: 3)
        XCTAssertNil(reason(door.admit(current, learnerVersion: 7)))
    }

    func testFutureVersionsReplaysStrangersWrongShapesAndBadActionsAreRefused() {
        var door = ingress()
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-0", policyVersion: 9, steps: 2, envs: 3), learnerVersion: 8)),
            BatchRejection.Reason.futurePolicyVersion)
        XCTAssertNil(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-0", sequence: 5, policyVersion: 8, steps: 2, envs: 3), learnerVersion: 8)))
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-0", sequence: 5, policyVersion: 8, steps: 2, envs: 3), learnerVersion: 8)),
            BatchRejection.Reason.replayed)
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-7", policyVersion: 8, steps: 2, envs: 3), learnerVersion: 8)),
            BatchRejection.Reason.unknownSender)
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-1", policyVersion: 8, steps: 2, envs: 2), learnerVersion: 8)),
            BatchRejection.Reason.specMismatch)
        XCTAssertEqual(
            reason(door.admit(cartPoleBatchFrame(sender: "actor-1", policyVersion: 8, steps: 2, envs: 3, action: 2), learnerVersion: 8)),
            BatchRejection.Reason.actionOutOfRange)
        XCTAssertEqual(reason(door.admit([0x0A, 0xFF, 0xFF], learnerVersion: 8)), BatchRejection.Reason(.malformed))
    }

    func testGarbageOnAnAuthenticatedConnectionIsCountedAgainstItsActor() {
        var ingress = BatchIngress(actorIDs: ["actor-0"], maxPolicyLag: 1)
        guard case .failure(let rejection) = ingress.admit([0x0A, 0xFF, 0xFF], authenticatedAs: "actor-0", learnerVersion: 0)
        else { return XCTFail("garbage admitted") }
        XCTAssertEqual(rejection.sender, "actor-0")
        XCTAssertTrue(rejection.isMisbehaviour)
        guard case .failure(let anonymous) = ingress.admit([0x0A, 0xFF, 0xFF], learnerVersion: 0) else {
            return XCTFail("garbage admitted")
        }
        XCTAssertNil(anonymous.sender)
    }
}
