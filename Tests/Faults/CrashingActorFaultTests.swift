import FleetCluster
import FleetTools
import FleetConfig
import FleetProcessTesting
import Foundation
import XCTest

/// docs/reliability.md 4: an actor that crashes at start. Must hold: `fleet launch` restarts it with
/// backoff (0.25 s doubling) and stops at the cap (5 restarts), and the learner stays healthy: it
/// answers `fleet status` all along and trains on with the other actor.
///
/// How an actor comes to crash at start, honestly: the run's config file gets a bad edit (a
/// misspelt key) while the cluster runs. Processes read the config once, at their start: the
/// learner and the running actors go on, but every actor started from then on exits at once
/// (exit 64, "unknown key"). The edit is made, then actor-0 is killed: each of its restarts is an
/// actor that crashes at start. Nothing about `fleet launch` or its children is stood in for.
///
/// Figures: each restart's delay after the previous process died (from `/proc`: the new process's
/// start time, the old one's last sight, every 10 ms), the cap reached, the learner's answers.
final class CrashingActorFaultTests: XCTestCase {
    private typealias PF = ProcessFaults

    func testAnActorThatCrashesAtStartBacksOffStopsAtTheCapAndTheLearnerStaysHealthy() throws {
        let directory = try PF.temporaryDirectory(self)
        let config = directory.appendingPathComponent("cartpole.yaml")
        let text = try String(contentsOfFile: PF.config, encoding: .utf8)
        try text.write(to: config, atomically: true, encoding: .utf8)
        let launch = try PF.Launch(
            config: config.path, actors: 2,
            arguments: ["--set", "total_timesteps=50000000", "--set", "actor_timeout=1", "--set", "num_steps=32"],
            test: self, directory: directory)
        let client = try launch.statusClient()
        XCTAssertNotNil(client.wait(seconds: 30, while: { launch.isRunning }) { $0.policyVersion >= 2 }, launch.stderr)
        let survivor = try XCTUnwrap(launch.actor(index: 1))

        // The bad edit, as an editor saves it (write and rename).
        XCTAssertTrue(text.contains("num_envs: 4"))
        try text.replacingOccurrences(of: "num_envs: 4", with: "num_envz: 4")
            .write(to: config, atomically: true, encoding: .utf8)
        let first = try XCTUnwrap(launch.actor(index: 0))
        launch.noteDescendants()
        kill(first.pid, SIGKILL)
        let killedAt = PF.now()

        // Every start of actor-0 from now on: when it started, when it was last seen running
        // (a thread looks every 2 ms: a crashing actor lives some 70 ms).
        let watcher = ChildWatcher(parent: launch.pid, ignoring: first) { words in
            words.dropFirst().first == "actor" && words.firstIndex(of: "--index").map { words[$0 + 1] } == "0"
        }
        defer { watcher.stop() }
        var asked = 0, answered = 0, gaveUpAt: Double?
        let deadline = killedAt + 30
        while PF.now() < deadline, launch.isRunning {
            let now = PF.now()
            asked += 1
            if client.status(timeout: .seconds(1)) != nil { answered += 1 }
            if gaveUpAt == nil, launch.stderr.contains("giving up on it") { gaveUpAt = now }
            // After giving up, watch a while longer: no further start may come.
            if let gaveUpAt, now - gaveUpAt > 1.5 { break }
            usleep(250_000)
        }
        watcher.stop()
        let starts = watcher.seen
        for id in starts.keys { XCTAssertFalse(PF.ProcessTable.isRunning(id), "a crashing actor \(id) still runs") }
        let gaveUp = try XCTUnwrap(gaveUpAt, "the supervisor never gave up: \(launch.stderr)")

        // The delays: each start after the previous process's death (the killed one's, then each crash's).
        let ordered = starts.map { (start: $0.key.startSeconds, lastSeen: $0.value) }.sorted { $0.start < $1.start }
        XCTAssertEqual(ordered.count, 5, "5 restarts, then none: \(launch.stderr)")
        var delays: [Double] = [], died = killedAt
        for (start, lastSeen) in ordered {
            delays.append(start - died)
            died = lastSeen
        }
        let backoff = RestartBackoff()
        for (restart, delay) in delays.enumerated() {
            let planned = PF.seconds(of: try XCTUnwrap(backoff.delay(afterRestarts: restart)))
            // Not before the backoff (a start time counts in 10 ms ticks; death is seen within
            // 10 ms), nor much after (the supervisor looks every 50 ms; spawning on a loaded machine).
            XCTAssertGreaterThanOrEqual(delay, planned - 0.03, "restart \(restart + 1)")
            XCTAssertLessThanOrEqual(delay, planned + 0.6, "restart \(restart + 1)")
        }
        XCTAssertNil(backoff.delay(afterRestarts: 5))
        let crashes = launch.stderr.components(separatedBy: "\n").filter { $0.contains("actor-0 died (exit 64)") }
        XCTAssertEqual(crashes.count, 5, launch.stderr)
        XCTAssertTrue(launch.stderr.contains("actor-0 died (exit 64) after 5 restarts; giving up on it"), launch.stderr)
        XCTAssertTrue(launch.stderr.contains("unknown key 'num_envz'"), launch.stderr)

        // The learner: it answered every question, declares actor-0 lost and trains on with actor-1.
        XCTAssertEqual(answered, asked, "the learner answered every status request")
        let afterCap = try XCTUnwrap(client.status())
        XCTAssertEqual(afterCap.actors[ActorLoop.id(index: 0)]?.state, "lost")
        XCTAssertEqual(afterCap.actors[ActorLoop.id(index: 0)]?.joins, 1, "no crashed start ever joined")
        let trained = client.wait(seconds: 10, while: { launch.isRunning }) { $0.policyVersion >= afterCap.policyVersion + 3 }
        XCTAssertNotNil(trained, "the learner trains on")
        XCTAssertTrue(PF.ProcessTable.isRunning(survivor), "actor-1 was left alone")

        launch.process.process.interrupt()
        XCTAssertEqual(launch.process.wait(seconds: 15), 130, launch.stderr)
        let actors = try XCTUnwrap(try launch.summary()["actors"] as? [String: Int])
        XCTAssertEqual(actors.filter { $0.key != "lost" }, ["started": 7, "restarts": 5])

        FaultReport.figure(
            "4 an actor that crashes at start", mustHold: "restarts back off and stop at the cap; the learner stays healthy",
            "restart delays after each death \(delays.map(PF.seconds).joined(separator: ", ")) s "
                + "(backoff \((0..<5).compactMap { backoff.delay(afterRestarts: $0).map(PF.seconds(of:)) }.map { String(format: "%g", $0) }.joined(separator: ", ")) s); "
                + "cap of 5 restarts reached \(PF.seconds(gaveUp - killedAt)) s after the kill, no start in the 1.5 s after; "
                + "learner answered \(answered)/\(asked) status requests, trained v\(afterCap.policyVersion)->v\((trained?.status.policyVersion).map(String.init) ?? "?") "
                + "after the cap; summary actors started 7, restarts 5; \(PF.load)")
    }

    /// Watches `parent`'s children from a thread of its own, every 2 ms: each whose command line
    /// `matches`, with when it was last seen running.
    private final class ChildWatcher: @unchecked Sendable {
        private let lock = NSLock()
        private var lastSeen: [PF.ProcessTable.ID: Double] = [:]
        private var stopped = false
        private var thread: Thread?

        init(parent: Int32, ignoring: PF.ProcessTable.ID, matches: @escaping @Sendable ([String]) -> Bool) {
            let thread = Thread { [self] in
                var others: Set<PF.ProcessTable.ID> = [ignoring]
                while !lock.withLock({ stopped }) {
                    for id in PF.ProcessTable.children(of: parent) where !others.contains(id) {
                        // Until it has exec'd, a child's command line is its parent's: look again next time.
                        let words = PF.ProcessTable.commandLine(of: id.pid)
                        if matches(words) {
                            let now = PF.now()
                            lock.withLock { lastSeen[id] = now }
                        } else if words.dropFirst().first == "actor" {
                            others.insert(id)
                        }
                    }
                    usleep(2_000)
                }
            }
            self.thread = thread
            thread.start()
        }

        /// The matching children seen, with when each was last seen running.
        var seen: [PF.ProcessTable.ID: Double] { lock.withLock { lastSeen } }

        func stop() { lock.withLock { stopped = true } }
    }
}
