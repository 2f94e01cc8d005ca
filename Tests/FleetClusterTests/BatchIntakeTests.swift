import FleetClusterTesting
import FleetConfig
import FleetWire
import XCTest

@testable import FleetCluster

/// The learner's door without a socket: admitted batches, then the same frame as a replay; a
/// quarantined sender; a sender whose queue is full; a batch the algorithm refuses.
final class BatchIntakeTests: XCTestCase {
    private var roster = ActorRoster(ids: ["actor-0"], actorTimeout: .seconds(5), joinTimeout: .seconds(30))
    private var queue = BatchQueue()
    private var intake = BatchIntake(actorIDs: ["actor-0"], maxPolicyLag: 1)

    override func setUp() {
        // Batches are taken with the incarnation of the actor's latest Hello.
        _ = roster.hello("actor-0", incarnation: 1, host: "host", pid: 1, at: .now)
    }

    private func admit(_ bytes: [UInt8], algorithm: any LearnerAlgorithm) -> BatchIntake.Outcome {
        intake.admit(
            bytes, authenticatedAs: nil, at: .now, version: 0, roster: roster, queue: queue, algorithm: algorithm,
            keepFrame: true)
    }

    private func reason(_ outcome: BatchIntake.Outcome) -> BatchRejection.Reason? {
        if case .refused(let rejection) = outcome { return rejection.reason }
        return nil
    }

    func testAdmittedThenReplayedThenQueueFullThenQuarantined() throws {
        let algorithm = try RolloutTraining(config: try loopTestConfig(["max_policy_lag=0"]))
        let frame = { (sequence: UInt64) in
            cartPoleBatchFrame(sender: "actor-0", sequence: sequence, policyVersion: 0, steps: 128, envs: 4)
        }
        guard case .admitted(let batch) = admit(frame(0), algorithm: algorithm) else { return XCTFail("refused") }
        XCTAssertEqual(batch.sender, "actor-0")
        XCTAssertEqual(batch.frame, frame(0), "kept for the capture")
        XCTAssertEqual(reason(admit(frame(0), algorithm: algorithm)), .replayed)

        for _ in 0..<algorithm.maxQueuedPerActor { queue.append(batch) }
        XCTAssertEqual(reason(admit(frame(1), algorithm: algorithm)), .queueFull)
        queue.removeAll(from: "actor-0")
        roster.quarantine("actor-0")
        XCTAssertEqual(reason(admit(frame(2), algorithm: algorithm)), .quarantined)
    }

    func testTheAlgorithmsRefusalComesThrough() throws {
        let algorithm = try RolloutTraining(config: try loopTestConfig())
        let wrongShape = cartPoleBatchFrame(sender: "actor-0", policyVersion: 0, steps: 3, envs: 4)
        XCTAssertEqual(reason(admit(wrongShape, algorithm: algorithm)), .specMismatch)
    }
}
