@testable import FleetCluster
import FleetAlgorithms
import XCTest
import FleetConfig

/// The learner's bookkeeping, without sockets: who is awaited, the queue's bytes, broadcast latency.
final class LearnerBookkeepingTests: XCTestCase {
    private let t0 = ContinuousClock.now

    private func roster() -> ActorRoster {
        ActorRoster(ids: ["actor-0", "actor-1"], actorTimeout: .seconds(5), joinTimeout: .seconds(30), start: t0)
    }

    func testPendingActorsAreAwaitedOnlyDuringTheJoinTimeout() {
        var roster = roster()
        XCTAssertEqual(roster.awaited(at: t0 + .seconds(1)), ["actor-0", "actor-1"])
        XCTAssertTrue(roster.hello("actor-0", incarnation: 7, host: "h", pid: 1, at: t0 + .seconds(1)))
        XCTAssertEqual(roster.awaited(at: t0 + .seconds(29)), ["actor-0", "actor-1"])
        roster.heard("actor-0", at: t0 + .seconds(30))
        XCTAssertEqual(roster.awaited(at: t0 + .seconds(31)), ["actor-0"])
        XCTAssertEqual(roster.ids(in: .pending), ["actor-1"])
        XCTAssertFalse(roster.hello("actor-9", incarnation: 1, host: "h", pid: 1, at: t0), "not an actor of the run")
    }

    func testASilentActorIsLostAndComesBackWhenHeard() {
        var roster = roster()
        _ = roster.hello("actor-0", incarnation: 1, host: "h", pid: 1, at: t0)
        _ = roster.hello("actor-1", incarnation: 1, host: "h", pid: 2, at: t0)
        roster.heartbeat("actor-0", weightsVersion: 3, at: t0 + .seconds(4))
        XCTAssertEqual(roster.loseSilentActors(at: t0 + .milliseconds(4999)), [])
        XCTAssertEqual(roster.loseSilentActors(at: t0 + .seconds(5)), ["actor-1"])
        XCTAssertEqual(roster.loseSilentActors(at: t0 + .seconds(6)), [], "lost once, not again")
        XCTAssertEqual(roster.awaited(at: t0 + .seconds(6)), ["actor-0"])
        XCTAssertTrue(roster.heard("actor-1", at: t0 + .seconds(7)), "back")
        XCTAssertEqual(roster.awaited(at: t0 + .seconds(7)), ["actor-0", "actor-1"])
        XCTAssertEqual(roster.records["actor-1"]?.losses, 1)
        XCTAssertEqual(roster.records["actor-0"]?.weightsVersion, 3)
    }

    func testARestartWithANewIncarnationCountsAsAJoin() {
        var roster = roster()
        _ = roster.hello("actor-0", incarnation: 1, host: "h", pid: 1, at: t0)
        _ = roster.hello("actor-0", incarnation: 1, host: "h", pid: 1, at: t0)  // a repeated hello
        _ = roster.hello("actor-0", incarnation: 2, host: "h", pid: 9, at: t0)
        XCTAssertEqual(roster.records["actor-0"]?.joins, 2)
        XCTAssertEqual(roster.records["actor-0"]?.pid, 9)
    }

    func testTheQueueCountsBytesTakesOneOfEachAndDropsStaleBatches() {
        var queue = BatchQueue()
        queue.append(batch("actor-0", version: 0, bytes: 100))
        queue.append(batch("actor-0", version: 1, bytes: 150))
        XCTAssertNil(queue.takeOneEach(of: ["actor-0", "actor-1"]), "actor-1 has none")
        XCTAssertEqual(queue.bytes, 250)
        queue.append(batch("actor-1", version: 1, bytes: 70))
        let taken = queue.takeOneEach(of: ["actor-0", "actor-1"])
        XCTAssertEqual(taken?.map(\.sender), ["actor-0", "actor-1"])
        XCTAssertEqual(taken?.map(\.policyVersion), [0, 1])
        XCTAssertEqual(queue.count, 1)
        XCTAssertEqual(queue.bytes, 150)
        XCTAssertEqual(queue.removeStale(learnerVersion: 3, maxPolicyLag: 2).count, 0)
        XCTAssertEqual(queue.removeStale(learnerVersion: 4, maxPolicyLag: 2).map(\.frameBytes), [150])
        XCTAssertEqual(queue.bytes, 0)
        XCTAssertNil(queue.oldestArrival)
    }

    /// An elastic run's update: the oldest batches whoever sent them, by policy version, then arrival.
    func testTheQueueTakesTheOldestBatchesWhoeverSentThem() {
        var queue = BatchQueue()
        queue.append(batch("actor-1", version: 1, bytes: 10, arrival: t0 + .seconds(1)))
        queue.append(batch("actor-0", version: 0, bytes: 20, arrival: t0 + .seconds(2)))
        queue.append(batch("actor-0", version: 1, bytes: 30, arrival: t0 + .seconds(3)))
        queue.append(batch("actor-2", version: 1, bytes: 40, arrival: t0))
        XCTAssertNil(queue.takeOldest(batches: 5), "only 4 queued")
        XCTAssertEqual(queue.count, 4)
        let taken = queue.takeOldest(batches: 3)
        XCTAssertEqual(taken?.map(\.sender), ["actor-0", "actor-2", "actor-1"])
        XCTAssertEqual(taken?.map(\.policyVersion), [0, 1, 1])
        XCTAssertEqual(queue.count, 1)
        XCTAssertEqual(queue.bytes, 30)
    }

    func testBroadcastLatencyWaitsForEveryLiveActorAndForgetsLostOnes() {
        var sync = WeightSyncTracker()
        sync.published(1, at: t0, to: ["actor-0", "actor-1"])
        sync.acknowledged(by: "actor-0", version: 1, at: t0 + .milliseconds(2))
        XCTAssertEqual(sync.takeCompleted(), [])
        sync.acknowledged(by: "actor-1", version: 1, at: t0 + .milliseconds(3))
        XCTAssertEqual(sync.takeCompleted().map { ($0 * 1e6).rounded() }, [3000])
        // A newer version acknowledged covers an older one; a lost actor is not waited for.
        sync.published(2, at: t0 + .milliseconds(10), to: ["actor-0", "actor-1"])
        sync.published(3, at: t0 + .milliseconds(20), to: ["actor-0", "actor-1"])
        sync.acknowledged(by: "actor-0", version: 3, at: t0 + .milliseconds(21))
        sync.forget("actor-1", at: t0 + .milliseconds(25))
        XCTAssertEqual(sync.takeCompleted().map { ($0 * 1e6).rounded() }, [15000, 5000])
        XCTAssertEqual(sync.measured, 3)
        XCTAssertEqual(sync.maxSeconds ?? 0, 0.015, accuracy: 1e-9)
        // Nobody live: nothing to measure.
        sync.published(4, at: t0, to: [])
        XCTAssertEqual(sync.measured, 3)
    }

    private func batch(
        _ sender: String, version: UInt64, bytes: Int, arrival: ContinuousClock.Instant? = nil
    ) -> AdmittedBatch {
        let rollout = Rollout(
            streamID: sender, policyVersion: version, numSteps: 1, numEnvs: 1, observationSize: 1,
            observations: [0], actions: .discrete([0]), rewards: [0], terminated: [false], truncated: [false],
            behaviourLogProbs: [0], finalObservationSteps: [], finalObservations: [], nextObservations: [0])
        return AdmittedBatch(
            sender: sender, policyVersion: version, content: .rollout(rollout, episodeReturns: [], episodeLengths: []),
            frameBytes: bytes, arrival: arrival ?? t0)
    }
}
