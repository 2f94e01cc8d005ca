import FleetCluster
import FleetConfig
import FleetProcessTesting
import Foundation
import XCTest

/// docs/reliability.md 3: SIGSTOP an actor of a `fleet launch` in the middle of a rollout. Must hold: its
/// silence is detected (declared lost within actor_timeout plus the learner's 0.1 s poll), the run
/// goes on without it, and after SIGCONT the batch it was making, acted with weights the learner
/// has moved past, is rejected and counted as `stale` (never trained on); it is live again, the same
/// process, and trained with again.
///
/// Figures: detection time (SIGSTOP → status says lost), the versions trained while it was frozen,
/// stale batches counted, and SIGCONT → live again.
final class FrozenActorFaultTests: XCTestCase {
    private typealias PF = ProcessFaults

    func testAFrozenActorIsDetectedAndItsStaleBatchIsRejectedAndCounted() throws {
        let actorTimeout = 1.0
        let launch = try PF.Launch(
            actors: 2,
            arguments: [
                "--set", "total_timesteps=50000000", "--set", "actor_timeout=\(actorTimeout)", "--capture", "--set",
                "capture_dropped=true",
                // Longer rollouts (a few ms): at CleanRL's 128 steps an actor's rollout takes a
                // fraction of a millisecond, too short to be frozen in the middle of.
                "--set", "num_steps=1024",
            ],
            test: self)
        let client = try launch.statusClient()
        XCTAssertNotNil(client.wait(seconds: 30, while: { launch.isRunning }) { $0.policyVersion >= 2 }, launch.stderr)
        let id = ActorLoop.id(index: 0)
        let victim = try XCTUnwrap(launch.actor(index: 0))

        // Freeze it mid-rollout: the moment it reports new weights (its heartbeat goes as it takes
        // them) it starts acting with them. A batch of it accepted within 0.3 s, or a version that
        // moved (with max_policy_lag 0 the learner cannot train past that version without its
        // batch), means the batch got out before the freeze: the attempt is thawed and repeated.
        var frozen: (at: Double, version: UInt64, stale: Int, accepted: Int)?
        var attempts = 0
        for _ in 0..<5 where frozen == nil {
            attempts += 1
            let held = client.status()?.actors[id]?.weightsVersion ?? 0
            guard
                let report = client.wait(seconds: 10, interval: 0, while: { launch.isRunning }, where: {
                    ($0.actors[id]?.weightsVersion ?? 0) > held
                })
            else { break }
            kill(victim.pid, SIGSTOP)
            let at = PF.now()
            let version = report.status.actors[id]?.weightsVersion ?? 0
            let accepted = report.status.actors[id]?.batchesAccepted ?? 0
            usleep(300_000)
            if let settled = client.status(), settled.policyVersion == version,
                settled.actors[id]?.batchesAccepted == accepted
            {
                let stale = settled.rejectedBySender[id]?[BatchRejection.Reason.stale.rawValue] ?? 0
                frozen = (at, version, stale, settled.actors[id]?.batchesAccepted ?? 0)
            } else {
                kill(victim.pid, SIGCONT)
            }
        }
        let freeze = try XCTUnwrap(frozen, "could not freeze \(id) mid-rollout in 5 attempts: \(launch.stderr)")
        XCTAssertEqual(PF.ProcessTable.state(of: victim.pid), "T", "stopped")

        let lost = try XCTUnwrap(
            client.wait(seconds: 10, while: { launch.isRunning }) { $0.actors[id]?.state == "lost" }, launch.stderr)
        let detection = lost.at - freeze.at
        XCTAssertLessThanOrEqual(detection, actorTimeout + 0.5, "lost within actor_timeout + the learner's poll")
        let versionWhenLost = lost.status.policyVersion
        let goesOn = client.wait(seconds: 10, while: { launch.isRunning }) { $0.policyVersion >= versionWhenLost + 3 }
        XCTAssertNotNil(goesOn, "training goes on without it")
        let versionAtThaw = client.status()?.policyVersion ?? 0

        kill(victim.pid, SIGCONT)
        let thawedAt = PF.now()
        var liveAt = Double.nan
        let back = try XCTUnwrap(
            client.wait(seconds: 10, while: { launch.isRunning }) { status in
                guard let actor = status.actors[id] else { return false }
                if liveAt.isNaN, actor.state == "live" { liveAt = PF.now() }
                return actor.state == "live" && (actor.rejected[BatchRejection.Reason.stale.rawValue] ?? 0) > freeze.stale
            }, "after SIGCONT its stale batch is counted and it is live: \(launch.stderr)")
        let actor = try XCTUnwrap(back.status.actors[id])
        XCTAssertEqual(actor.losses, 1)
        XCTAssertEqual(actor.joins, 1, "the same process, not a restart")
        XCTAssertEqual(actor.pid.map(Int32.init), victim.pid)
        let acceptedWhenBack = actor.batchesAccepted
        XCTAssertNotNil(
            client.wait(seconds: 10, while: { launch.isRunning }) { ($0.actors[id]?.batchesAccepted ?? 0) > acceptedWhenBack + 2 },
            "the thawed actor's fresh batches are trained on again")
        let final = try XCTUnwrap(client.status())
        let rejected = final.rejected
        XCTAssertTrue(Set(rejected.keys).isSubset(of: [BatchRejection.Reason.stale.rawValue]), "only stale batches refused: \(rejected)")
        XCTAssertEqual(Set(final.policyLagHistogram.keys), ["0"], "only batches of the current version were trained on")
        let stale = (final.rejectedBySender[id]?[BatchRejection.Reason.stale.rawValue] ?? 0) - freeze.stale
        XCTAssertGreaterThanOrEqual(stale, 1, "what it made after the freeze is stale")

        // The learner's capture agrees: each stale batch was dropped as stale, none trained on.
        launch.process.process.interrupt()
        XCTAssertEqual(launch.process.wait(seconds: 15), 130, launch.stderr)
        let captures = launch.runDirectory.appendingPathComponent("captures")
        let consumed = try PF.capturedBatches(in: captures, prefix: "consumed").batches
        let dropped = try PF.capturedBatches(in: captures, prefix: "dropped").batches
        XCTAssertTrue(consumed.allSatisfy { $0.policyVersion == $0.learnerVersion }, "a batch off the current version trained on")
        let capturedStale = dropped.filter { $0.sender == id && $0.reason == BatchRejection.Reason.stale.rawValue }
        XCTAssertGreaterThanOrEqual(capturedStale.count, freeze.stale + stale)
        XCTAssertTrue(capturedStale.allSatisfy { $0.policyVersion < $0.learnerVersion })
        // Frozen mid-rollout, the batch it was making (of the frozen version) goes stale; frozen
        // between batches, it takes the versions queued meanwhile and its next batches go stale
        // while the learner moves on. Acting takes well under a millisecond a step, so both happen.
        XCTAssertTrue(
            !capturedStale.isEmpty && capturedStale.allSatisfy { $0.policyVersion >= freeze.version },
            "stale batches made from the frozen version on (v\(freeze.version)): "
                + capturedStale.map { "v\($0.policyVersion) at learner v\($0.learnerVersion)" }.joined(separator: ", "))
        XCTAssertTrue(launch.stderr.contains("\(id) is lost"), launch.stderr)
        XCTAssertTrue(launch.stderr.contains("\(id) is back"), launch.stderr)

        FaultReport.figure(
            "3 SIGSTOP an actor", mustHold: "lost within actor_timeout + poll, run goes on, stale batches rejected and counted",
            "detected lost \(PF.seconds(detection)) s after SIGSTOP (actor_timeout \(PF.seconds(actorTimeout)) s); "
                + "frozen at v\(freeze.version) (attempt \(attempts)), \(versionAtThaw - freeze.version) versions trained without it; "
                + "after SIGCONT: stale batches rejected and counted \(stale), each in the capture's dropped batches, none trained "
                + "(\(freeze.stale) before the freeze; learner's rejections by sender \(final.rejectedBySender)), "
                + "live again \(PF.seconds(liveAt - thawedAt)) s after; \(PF.load)")
    }
}
