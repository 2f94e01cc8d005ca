import FleetCluster
import FleetConfig
import FleetProcessTesting
import Foundation
import XCTest

/// docs/reliability.md 1: kill -9 an actor of a `fleet launch` at random moments. Must hold: the learner
/// never sees a torn batch (every batch it captured decodes and is byte for byte what the actor
/// captured sending; no rejection for a malformed or otherwise bad batch), the supervisor restarts
/// the actor with a new incarnation, the new incarnation resyncs the weights, and the run finishes.
///
/// Figures, per kill:
/// - **batches lost**: batches the killed incarnation handed to ZeroMQ (its `--capture-actors`
///   file: a batch is captured right after `send` returns) that the learner never received (in
///   neither its `consumed` nor its `dropped` capture: not trained on, not refused, not left
///   queued at the end). A batch the learner received but the actor had no time to capture counts
///   as sent and received.
/// - **recovery**: kill → the restarted incarnation has joined (status shows its incarnation),
///   → it has resynced (its own heartbeat reports a weights version at least the learner's in the
///   status sample just before it rejoined), → the learner accepted its first batch (with max_policy_lag 0, acted with the
///   learner's current weights); timed by asking the learner's status every 10 ms.
final class ActorKillFaultTests: XCTestCase {
    private typealias PF = ProcessFaults

    /// Default suite: one short run, three kills.
    func testKillingActorsAtRandomMomentsLosesAtMostTheBatchInFlight() throws {
        let seed = PF.seed
        report([try killRun(kills: 3, seed: seed)], seed: seed)
    }

    /// `make faults`: 24 kills in four runs.
    func testKillingActorsAtRandomMomentsManyTrials() throws {
        try FaultReport.requireLongRuns()
        let seed = PF.seed
        report(try (0..<4).map { try killRun(kills: 6, seed: seed &+ UInt64($0)) }, seed: seed)
    }

    /// What one kill did.
    private struct Kill {
        var actor: String
        var oldIncarnation: UInt64
        var killedAt: Double
        var newIncarnation: UInt64 = 0
        var joined: Double = .nan
        var current: Double = .nan
        var firstBatch: Double = .nan
        var sent = 0
        var received = 0
        var lost = 0
    }

    /// What one run did.
    private struct Run {
        var kills: [Kill] = []
        /// Batches of incarnations that were not killed that the learner never received (in
        /// flight when it shut down).
        var lostAtShutdown = 0
        /// The learner's rejections by reason.
        var rejected: [String: Int] = [:]
    }

    private func report(_ runs: [Run], seed: UInt64) {
        let kills = runs.flatMap(\.kills), lost = kills.map(\.lost)
        let lostAtShutdown = runs.map(\.lostAtShutdown).reduce(0, +)
        let rejected = runs.map(\.rejected).reduce(into: [String: Int]()) { $0.merge($1, uniquingKeysWith: +) }
        FaultReport.figure(
            "1 kill -9 an actor", mustHold: "no torn batch, restart with a new incarnation, weights resynced, run finishes",
            "\(kills.count) kills in \(runs.count) runs (seed \(seed)): batches lost per kill \(lost.map(String.init).joined(separator: ",")) "
                + "(total \(lost.reduce(0, +)) of \(kills.map(\.sent).reduce(0, +)) sent by killed incarnations; max \(lost.max() ?? 0)); "
                + "kill -> rejoined \(PF.spread(kills.map(\.joined))), -> current weights \(PF.spread(kills.map(\.current))), "
                + "-> first accepted batch \(PF.spread(kills.map(\.firstBatch))) (min/median/max; with the supervisor's "
                + "backoff, 0.25 s doubling with each restart of a slot); "
                + "learner rejected \(rejected.isEmpty ? "none" : rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")); "
                + "survivors' batches in flight at shutdown \(lostAtShutdown); \(PF.load)")
    }

    /// One `fleet launch` of two actors through which `kills` actors are killed (at most three
    /// per slot: restart delays stay under 1 s, the cap of 5 is never reached), then run to its end.
    private func killRun(kills: Int, seed: UInt64) throws -> Run {
        var random = PF.Random(seed: seed)
        // 128 steps an update; the kills hold the learner up, and the pauses between them (up to
        // 0.5 s) let it run a few dozen updates each at today's speed: 100 updates a kill leave
        // the run going until the last.
        let updates = 40 + 100 * kills
        let launch = try PF.Launch(
            actors: 2,
            arguments: [
                "--capture", "--capture-actors", "--set", "capture_dropped=true", "--set", "num_steps=32",
                "--set", "total_timesteps=\(128 * updates)",
            ], test: self)
        let client = try launch.statusClient()
        XCTAssertNotNil(client.wait(seconds: 30, while: { launch.isRunning }) { $0.policyVersion >= 3 }, launch.stderr)

        var done: [Kill] = [], killsPerSlot = [0, 0]
        while done.count < kills {
            usleep(useconds_t(Double.random(in: 0...0.5, using: &random) * 1e6))
            let slot = killsPerSlot[1] >= 3 || (killsPerSlot[0] < 3 && Bool.random(using: &random)) ? 0 : 1
            let id = ActorLoop.id(index: slot)
            guard let before = client.status(), let record = before.actors[id], let victim = launch.actor(index: slot),
                before.iteration < before.iterations - 10
            else {
                XCTFail("no actor \(id) to kill, or the run is ending: \(launch.stderr)")
                return Run()
            }
            launch.noteDescendants()
            kill(victim.pid, SIGKILL)
            var event = Kill(actor: id, oldIncarnation: record.incarnation ?? 0, killedAt: PF.now())
            killsPerSlot[slot] += 1
            // The learner's version in the sample before the one that shows the new incarnation:
            // at most what it was at the Hello, so at most what the snapshot brought.
            var acceptedAtJoin = 0, versionAtJoin: UInt64 = 0, lastVersion = before.policyVersion
            let recovered = client.wait(seconds: 30, while: { launch.isRunning }) { status in
                defer { lastVersion = status.policyVersion }
                guard let actor = status.actors[id], let incarnation = actor.incarnation,
                    incarnation != event.oldIncarnation, actor.joins > record.joins
                else { return false }
                let now = PF.now()
                if event.joined.isNaN {
                    event.newIncarnation = incarnation
                    event.joined = now - event.killedAt
                    acceptedAtJoin = actor.batchesAccepted
                    versionAtJoin = lastVersion
                }
                // Its own heartbeat's version (a new incarnation shows none until it reports one).
                if event.current.isNaN, let held = actor.weightsVersion, held >= versionAtJoin {
                    event.current = now - event.killedAt
                }
                if event.firstBatch.isNaN, actor.batchesAccepted > acceptedAtJoin { event.firstBatch = now - event.killedAt }
                return !event.current.isNaN && !event.firstBatch.isNaN
            }
            XCTAssertNotNil(recovered, "\(id) killed (incarnation \(event.oldIncarnation)) did not recover: \(event)\n\(launch.stderr)")
            XCTAssertGreaterThan(event.newIncarnation, event.oldIncarnation, "a restart's incarnation is a newer one")
            done.append(event)
            if recovered == nil { break }
        }

        XCTAssertEqual(launch.process.wait(seconds: 120), 0, "the run finishes: \(launch.stderr)")
        let restartLines = launch.stderr.components(separatedBy: "\n").filter { $0.contains("died (signal 9); restarting") }
        XCTAssertEqual(restartLines.count, done.count, launch.stderr)
        let summary = try launch.summary()
        XCTAssertEqual(summary["env_steps"] as? Int, 128 * updates)
        XCTAssertEqual(
            (summary["actors"] as? [String: Int])?.filter { $0.key != "lost" }, ["started": 2 + done.count, "restarts": done.count])
        let rejected = summary["rejected"] as? [String: Int] ?? [:]
        XCTAssertTrue(Set(rejected.keys).isSubset(of: PF.benignRejections), "bad batches refused: \(rejected)")
        for id in launch.descendantsSeen { XCTAssertFalse(PF.ProcessTable.isRunning(id), "process \(id) outlived the launch") }

        let lostAtShutdown = try accountForBatches(of: &done, in: launch.runDirectory.appendingPathComponent("captures"))
        return Run(kills: done, lostAtShutdown: lostAtShutdown, rejected: rejected)
    }

    /// Matches what each incarnation sent with what the learner received; fills in the kills'
    /// `sent`, `received` and `lost`; returns the batches of incarnations that were not killed that
    /// the learner never received (in flight when it shut down).
    private func accountForBatches(of kills: inout [Kill], in captures: URL) throws -> Int {
        let learner = try PF.capturedBatches(in: captures, prefix: "consumed").batches
            + PF.capturedBatches(in: captures, prefix: "dropped").batches
        struct Key: Hashable {
            var sender: String
            var incarnation: UInt64
            var sequence: UInt64
        }
        var received: [Key: [UInt8]] = [:]
        var consumedTwice = 0
        for batch in learner {
            let key = Key(sender: batch.sender, incarnation: batch.incarnation, sequence: batch.sequence)
            if received[key] != nil { consumedTwice += 1 }
            received[key] = batch.frame
        }
        XCTAssertEqual(consumedTwice, 0, "a batch received twice")
        let killed = Set(kills.map(\.oldIncarnation))
        var sent: [Key: [UInt8]] = [:], lostAtShutdown = 0
        for index in 0..<2 {
            let captured = try PF.capturedBatches(in: captures, prefix: "\(ActorLoop.id(index: index))-i")
            XCTAssertEqual(captured.undecodable, 0, "an actor captured a frame that does not decode")
            for batch in captured.batches {
                sent[Key(sender: batch.sender, incarnation: batch.incarnation, sequence: batch.sequence)] = batch.frame
            }
        }
        for (key, frame) in received {
            // No torn batch: what the learner got is what the actor sent, byte for byte.
            if let original = sent[key] { XCTAssertEqual(frame, original, "\(key) differs from what its actor sent") }
            else { XCTAssertTrue(killed.contains(key.incarnation), "\(key) received but never captured by a live actor") }
        }
        for key in sent.keys where received[key] == nil && !killed.contains(key.incarnation) { lostAtShutdown += 1 }
        for index in kills.indices {
            let incarnation = kills[index].oldIncarnation
            let sentKeys = Set(sent.keys.filter { $0.incarnation == incarnation })
            let receivedKeys = Set(received.keys.filter { $0.incarnation == incarnation })
            kills[index].sent = sentKeys.union(receivedKeys).count
            kills[index].received = receivedKeys.count
            kills[index].lost = sentKeys.subtracting(receivedKeys).count
        }
        return lostAtShutdown
    }
}
