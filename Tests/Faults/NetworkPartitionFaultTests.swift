import FleetCluster
import FleetConfig
import FleetProcessTesting
import Foundation
import XCTest

/// docs/reliability.md 6: an actor host cut off the network (its cable pulled: its veth on the bridge
/// set down) for 1 s, 5 s (the default suite, one cluster) and 30 s (`make faults`), then healed.
///
/// The cluster is `cluster/multihost-cartpole-ppo.yaml` in its fixed shape (`envs_per_actor: null`:
/// each update waits for a batch of every live actor) on three network namespaces (learner, actor-0,
/// actor-1) over tcp with CURVE, `actor_timeout` 2 s. What must hold, for each cut:
/// - nothing crashes: every process runs through the cut and ends cleanly when the learner is stopped;
/// - a cut longer than `actor_timeout` makes the learner declare actor-0 lost (`fleet status`:
///   `losses` + 1) and train on with actor-1; a shorter one is ridden out without a loss; after the
///   heal actor-0 is live again, its batches are trained on again, and it is no more than
///   `max_policy_lag` + 1 versions behind;
/// - the other actor loses no batch: while the learner waits for the cut-off one, it must not take
///   the wait for a sign that its own batches were lost (and send more than its pacing allows);
/// - every batch is accounted for (``NetFault/Ledger``): each batch the actors sent (their
///   `--capture`) is trained, rejected with a reason, unconsumed at the stop, or in flight at the
///   stop; none is unexplained;
/// - the learner's resident memory stays within 32 MiB of what it was before the cut.
///
/// Figure per cut: detection time (cut to the learner's "actor-0 is lost"), back (heal to "actor-0 is
/// back"), flowing (heal to the first batch of actor-0 accepted after it), the batches the cut cost
/// (rejected, by actor and reason, between the cut and the end of recovery), the learner's RSS before
/// and at its peak, and the run's ledger.
final class NetworkPartitionFaultTests: XCTestCase {
    private let actorTimeout = 2.0
    private let maxPolicyLag = 1  // the config's

    func testActorHostCutOffForOneAndFiveSecondsIsLostOnlyPastActorTimeoutAndComesBack() throws {
        try partitionRun(cuts: [1, 5], recoveryTimeout: 30)
    }

    func testActorHostCutOffForThirtySecondsIsLostAndComesBack() throws {
        try FaultReport.requireLongRuns()
        try partitionRun(cuts: [30], recoveryTimeout: 120)
    }

    private struct CutResult {
        var seconds: Double
        var detected: Double?
        var back: Double?
        var flowing: Double?
        var lossesAdded: Int
        var rejected: [String: Int]
        var rssBefore: Int
        var rssPeak: Int
    }

    private func partitionRun(cuts: [Double], recoveryTimeout: Double) throws {
        let network = try TestHosts.make(count: 3, test: self)
        let learnerHost = network.hosts[0], actorHosts = Array(network.hosts.dropFirst())
        let directory = try NetFault.makeDirectory("fleet-f6", test: self)
        let runDirectory = directory.appendingPathComponent("run")
        let config = packageRoot.appendingPathComponent("cluster/multihost-cartpole-ppo.yaml").path
        for arguments in [
            ["keygen", "--out", "keys", "--name", "learner"],
            ["keygen", "--out", "keys", "--name", "actor-0", "--name", "actor-1", "--authorize", "keys/authorized_actors"],
            ["keygen", "--out", "keys", "--name", "operator", "--authorize", "keys/authorized_actors"],
        ] {
            let made = try FleetProcess.run(arguments, in: directory)
            XCTAssertEqual(made.status, 0, made.stderr)
        }
        let learner = try ChildProcess(
            ["learner", config, "--set", "envs_per_actor=null", "--set", "total_timesteps=1000000000",
                "--set", "actor_timeout=\(actorTimeout)",
                "--set", "capture=true", "--set", "capture_dropped=true", "--run-dir", runDirectory.path],
            outputDirectory: directory, name: "learner", test: self, launcher: network.launcher(learnerHost),
            currentDirectory: directory)
        let sentDirectories = (0..<2).map { directory.appendingPathComponent("sent-\($0)") }
        let actors = try actorHosts.enumerated().map { index, host in
            try ChildProcess(
                ["actor", config, "--set", "envs_per_actor=null", "--connect", "tcp://\(learnerHost.address)", "--index", "\(index)",
                    "--capture", sentDirectories[index].path],
                outputDirectory: directory, name: "actor-\(index)", test: self, launcher: network.launcher(host),
                currentDirectory: directory)
        }
        // Asked from the learner's own host, which no cut reaches.
        let status = NetFault.StatusProbe(
            endpoint: "tcp://\(learnerHost.address):5557", launcher: network.launcher(learnerHost),
            keyArguments: ["--key", "keys/operator.key", "--learner-key", "keys/learner.pub"], directory: directory)
        let warm = status.wait(seconds: 60, every: 0.2) {
            $0.policyVersion >= 3 && $0.actors.values.allSatisfy { $0.state == "live" }
        }
        XCTAssertNotNil(warm, "the cluster did not start training: \(learner.stderr)")
        guard warm != nil else { return }
        let sampler = NetFault.Sampler(["learner": learner.process.processIdentifier])
        sampler.start()
        defer { sampler.stop() }

        var results: [CutResult] = []
        for cut in cuts {
            let result = try partition(
                actor: 0, for: cut, network: network, learner: learner, status: status, sampler: sampler,
                recoveryTimeout: recoveryTimeout)
            results.append(result)
            XCTAssertTrue(learner.process.isRunning, "the learner died during a \(cut) s cut: \(learner.stderr)")
            for (index, actor) in actors.enumerated() {
                XCTAssertTrue(actor.process.isRunning, "actor-\(index) died during a \(cut) s cut: \(actor.stderr)")
            }
            if cut > actorTimeout + 1.5 {
                XCTAssertEqual(result.lossesAdded, 1, "a \(cut) s cut: actor-0 declared lost once")
                XCTAssertNotNil(result.detected, "a \(cut) s cut: lost within the cut")
                if let detected = result.detected {
                    XCTAssertGreaterThanOrEqual(detected, actorTimeout - 0.1)
                    XCTAssertLessThan(detected, actorTimeout + 2)
                }
                XCTAssertNotNil(result.back, "a \(cut) s cut: actor-0 back after the heal: \(learner.stderr)")
            } else if cut < actorTimeout - 0.5 {
                XCTAssertEqual(result.lossesAdded, 0, "a \(cut) s cut, shorter than actor_timeout: no loss")
            }
            XCTAssertNotNil(result.flowing, "a \(cut) s cut: actor-0's batches trained on again after the heal")
            // actor-1 waits with the cut-off actor-0 until it is lost, but none of its batches are wasted.
            XCTAssertEqual(
                result.rejected.filter { $0.key.hasPrefix("actor-1 ") }, [:],
                "a \(cut) s cut of actor-0 cost actor-1 batches")
            XCTAssertLessThanOrEqual(
                result.rssPeak - result.rssBefore, 32 << 20,
                "learner RSS \(NetFault.mib(result.rssBefore)) before a \(cut) s cut, \(NetFault.mib(result.rssPeak)) at its peak")
        }

        // Stop the learner (Ctrl-C): it shuts the actors down and writes its summary and captures.
        kill(learner.process.processIdentifier, SIGINT)
        XCTAssertEqual(learner.wait(seconds: 30), 130, learner.stderr)
        for (index, actor) in actors.enumerated() {
            XCTAssertEqual(actor.wait(seconds: 15), 0, "actor-\(index): \(actor.stderr)")
        }
        let ledger = try NetFault.Ledger(
            sentDirectories: sentDirectories, learnerCaptures: runDirectory.appendingPathComponent("captures"))
        ledger.assertBalanced(
            summaryRejected: try NetFault.summaryRejected(runDirectory: runDirectory),
            maxInFlightPerSender: maxPolicyLag + 2)
        XCTAssertGreaterThan(ledger.trainedCount, 0)

        for result in results {
            let rejected = result.rejected.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }
            FaultReport.figure(
                "6 network partition \(Int(result.seconds)) s",
                mustHold: "no crash; lost only past actor_timeout \(Int(actorTimeout)) s, back after heal; every batch accounted; learner RSS +<=32 MiB",
                "detected lost \(NetFault.seconds(result.detected)), back \(NetFault.seconds(result.back)) and batches "
                    + "flowing \(NetFault.seconds(result.flowing)) after heal; losses +\(result.lossesAdded); batches the cut cost: "
                    + "\(result.rejected.values.reduce(0, +))\(rejected.isEmpty ? "" : " (\(rejected.joined(separator: ", ")))"); "
                    + "learner RSS \(NetFault.mib(result.rssBefore)) -> peak \(NetFault.mib(result.rssPeak)); run: \(ledger.summary); load \(NetFault.loadAverage())")
        }
    }

    /// Cuts actor host `actor` off for `seconds`, heals it, and waits for its recovery.
    private func partition(
        actor index: Int, for seconds: Double, network: TestHosts, learner: ChildProcess,
        status: NetFault.StatusProbe, sampler: NetFault.Sampler, recoveryTimeout: Double
    ) throws -> CutResult {
        let id = "actor-\(index)"
        let before = try XCTUnwrap(status.read(), "no status before the cut")
        let lostLine = "learner: \(id) is lost", backLine = "learner: \(id) is back"
        func count(_ line: String) -> Int { learner.stderr.components(separatedBy: line).count - 1 }
        let lostBefore = count(lostLine), backBefore = count(backLine)
        let rssBefore = sampler.latest("learner")?.residentBytes ?? 0
        let acceptedBefore = before.actors[id]?.batchesAccepted ?? 0

        let cutAt = Date()
        try network.setLink(ofHost: index + 1, up: false)
        var healed = false
        defer { if !healed { try? network.setLink(ofHost: index + 1, up: true) } }
        var detected: Double?
        // What the learner had of the actor just before the heal (nothing of it gets through the cut).
        var acceptedAtHeal = acceptedBefore
        while Date().timeIntervalSince(cutAt) < seconds {
            if detected == nil, count(lostLine) > lostBefore { detected = Date().timeIntervalSince(cutAt) }
            if Date().timeIntervalSince(cutAt) + 0.3 < seconds, let now = status.read(timeout: 0.25) {
                acceptedAtHeal = now.actors[id]?.batchesAccepted ?? acceptedAtHeal
            }
            Thread.sleep(forTimeInterval: 0.02)
        }
        try network.setLink(ofHost: index + 1, up: true)
        healed = true
        let healedAt = Date()
        let wasLost = count(lostLine) > lostBefore
        if detected == nil, wasLost { detected = seconds }

        // Recovery: back (if it was lost), a batch of it accepted after the heal, and its weights
        // within max_policy_lag + 1 of the learner's.
        var back: Double?, flowing: Double?
        let deadline = healedAt.addingTimeInterval(recoveryTimeout)
        var after = before
        while Date() < deadline {
            if back == nil, count(backLine) > backBefore { back = Date().timeIntervalSince(healedAt) }
            if let now = status.read(timeout: 1) {
                after = now
                if flowing == nil, (now.actors[id]?.batchesAccepted ?? 0) > acceptedAtHeal {
                    flowing = Date().timeIntervalSince(healedAt)
                }
            }
            let caughtUp = after.actors[id]?.state == "live" && (after.actors[id]?.versionsBehind ?? 99) <= UInt64(maxPolicyLag + 1)
            if flowing != nil, (back != nil || !wasLost), caughtUp { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        // Batches that went stale in the cut arrive, and are rejected, as the actor catches up.
        Thread.sleep(forTimeInterval: 0.5)
        after = status.read() ?? after
        // What the cut cost, every actor's (the others' too: they wait with it while it is not yet lost).
        var rejected: [String: Int] = [:]
        for (actor, record) in after.actors {
            for (reason, count) in record.rejected {
                let added = count - (before.actors[actor]?.rejected[reason] ?? 0)
                if added > 0 { rejected["\(actor) \(reason)"] = added }
            }
        }
        return CutResult(
            seconds: seconds, detected: detected, back: back, flowing: flowing,
            lossesAdded: (after.actors[id]?.losses ?? 0) - (before.actors[id]?.losses ?? 0), rejected: rejected,
            rssBefore: rssBefore, rssPeak: sampler.peakBytes("learner", from: cutAt))
    }
}
