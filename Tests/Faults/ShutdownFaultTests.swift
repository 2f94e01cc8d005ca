import FleetCluster
import FleetConfig
import FleetProcessTesting
import Foundation
import XCTest

/// docs/reliability.md 5: Ctrl-C (SIGINT) or SIGTERM under load, to `fleet launch` and to a `fleet
/// learner` of actor processes of its own. Must hold: a clean shutdown within a bound (exit 130,
/// "interrupted"), `summary.json` and `checkpoints/policy-final.fleet` written, and no process
/// left behind: every process under the launch (learner, actors) has ended when it exits; a
/// learner's actors hear Shutdown and end by themselves (exit 0).
///
/// Figure: seconds from the signal to the exit (of the launch; of the learner, then of its last
/// actor).
final class ShutdownFaultTests: XCTestCase {
    private typealias PF = ProcessFaults
    /// The bound: the learner notices a stop within 0.1 s and finishes its update; actors get
    /// Shutdown; `fleet launch` gives a child at most 2 s after SIGTERM.
    private let bound = 10.0

    /// Default suite: SIGTERM to a launch, Ctrl-C to a learner.
    func testSIGTERMToALaunchAndCtrlCToALearnerShutDownCleanly() throws {
        let launch = try launchShutdown(signal: SIGTERM, pause: 0)
        let learner = try learnerShutdown(signal: SIGINT, pause: 0)
        FaultReport.figure(
            "5 Ctrl-C / SIGTERM under load", mustHold: "clean exit within \(Int(bound)) s, summary + final policy, no orphans",
            "fleet launch SIGTERM: exit 130 in \(PF.seconds(launch.exit)) s, \(launch.processes) processes ended, 0 left; "
                + "fleet learner Ctrl-C: exit 130 in \(PF.seconds(learner.exit)) s, its \(learner.processes) actors ended "
                + "(exit 0) \(PF.seconds(learner.lastActor ?? .nan)) s after the signal, 0 left; "
                + "summary.json and checkpoints/policy-final.fleet written each time; \(PF.load)")
    }

    /// `make faults`: three rounds of SIGINT and SIGTERM to a launch and to a learner, each at a
    /// random moment of its run.
    func testShutdownManyTrials() throws {
        try FaultReport.requireLongRuns()
        let seed = PF.seed
        var random = PF.Random(seed: seed)
        var launchExits: [Double] = [], learnerExits: [Double] = [], actorExits: [Double] = []
        for _ in 0..<3 {
            for signal in [SIGINT, SIGTERM] {
                launchExits.append(try launchShutdown(signal: signal, pause: .random(in: 0...2, using: &random)).exit)
                let learner = try learnerShutdown(signal: signal, pause: .random(in: 0...2, using: &random))
                learnerExits.append(learner.exit)
                actorExits.append(learner.lastActor ?? .nan)
            }
        }
        FaultReport.figure(
            "5 Ctrl-C / SIGTERM under load (many)", mustHold: "clean exit within \(Int(bound)) s, summary + final policy, no orphans",
            "12 shutdowns (seed \(seed)), SIGINT and SIGTERM 3 times each: fleet launch exit 130 in \(PF.spread(launchExits)), "
                + "fleet learner exit 130 in \(PF.spread(learnerExits)), its last actor ended \(PF.spread(actorExits)) "
                + "after the signal (min/median/max); 0 processes left; \(PF.load)")
    }

    /// Seconds from `kill(pid, signal)` until `process` has ended (looked at every 5 ms), or nil.
    private func signal(_ signal: Int32, _ process: ChildProcess) -> (seconds: Double, status: Int32)? {
        let start = PF.now()
        kill(process.process.processIdentifier, signal)
        while process.process.isRunning, PF.now() - start < bound + 20 { usleep(5_000) }
        return process.process.isRunning ? nil : (PF.now() - start, process.process.terminationStatus)
    }

    /// The run's files a clean end writes.
    private func checkFiles(_ runDirectory: URL, _ output: String) throws {
        let summary = runDirectory.appendingPathComponent("summary.json")
        let data = try XCTUnwrap(FileManager.default.contents(atPath: summary.path), "no summary.json: \(output)")
        let document = try XCTUnwrap(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertGreaterThan(document["env_steps"] as? Int ?? 0, 0)
        XCTAssertNotNil(document["weights_sha256"] as? String)
        let policy = runDirectory.appendingPathComponent("checkpoints").appendingPathComponent(PolicyFile.finalName)
        XCTAssertTrue(FileManager.default.fileExists(atPath: policy.path), "no final policy: \(output)")
    }

    /// `fleet launch` of two actors, signalled `pause` s after its third update.
    private func launchShutdown(signal number: Int32, pause: Double) throws -> (exit: Double, processes: Int) {
        let launch = try PF.Launch(actors: 2, arguments: ["--set", "total_timesteps=50000000"], test: self)
        let client = try launch.statusClient()
        XCTAssertNotNil(client.wait(seconds: 30, while: { launch.isRunning }) { $0.policyVersion >= 3 }, launch.stderr)
        usleep(useconds_t(pause * 1e6))
        let tree = launch.noteDescendants()
        XCTAssertEqual(tree.count, 3, "a learner and two actors")
        let ended = try XCTUnwrap(signal(number, launch.process), "fleet launch still runs: \(launch.stderr)")
        let left = tree.filter(PF.ProcessTable.isRunning)
        XCTAssertEqual(ended.status, 130, launch.stderr)
        XCTAssertLessThan(ended.seconds, bound)
        XCTAssertEqual(left, [], "processes left behind")
        XCTAssertTrue(launch.stderr.contains("fleet launch: interrupted"), launch.stderr)
        try checkFiles(launch.runDirectory, launch.stderr)
        return (ended.seconds, tree.count)
    }

    /// `fleet learner` with two `fleet actor`s, signalled `pause` s after its third update.
    private func learnerShutdown(signal number: Int32, pause: Double) throws -> (
        exit: Double, lastActor: Double?, processes: Int
    ) {
        let cluster = try PF.Cluster(overrides: ["num_actors=2", "total_timesteps=50000000"], test: self)
        let actors = try (0..<2).map { try cluster.startActor(index: $0) }
        let client = try PF.StatusClient(endpoint: cluster.controlEndpoint)
        XCTAssertNotNil(
            client.wait(seconds: 30, while: { cluster.learner.process.isRunning }) { $0.policyVersion >= 3 },
            cluster.learner.stderr)
        usleep(useconds_t(pause * 1e6))
        let start = PF.now()
        let ended = try XCTUnwrap(signal(number, cluster.learner), "fleet learner still runs: \(cluster.learner.stderr)")
        XCTAssertEqual(ended.status, 130, cluster.learner.stderr)
        XCTAssertLessThan(ended.seconds, bound)
        XCTAssertTrue(cluster.learner.stderr.contains("interrupted"), cluster.learner.stderr)
        // Its actors hear Shutdown and end by themselves.
        var lastActor: Double?
        for actor in actors {
            XCTAssertEqual(actor.wait(seconds: bound), 0, actor.stderr)
            XCTAssertTrue(actor.stderr.contains("stopped (interrupted)"), actor.stderr)
            lastActor = max(lastActor ?? 0, PF.now() - start)
        }
        try checkFiles(cluster.runDirectory, cluster.learner.stderr)
        return (ended.seconds, lastActor, actors.count)
    }
}
