import FleetCluster
import Foundation
import XCTest

@testable import FleetTools

/// `fleet launch`'s supervisor with stand-in children: `sh` as the learner, `false` as an actor.
final class ClusterSupervisorTests: XCTestCase {
    private let shell = URL(fileURLWithPath: "/bin/sh")

    /// An actor that crashes at start is restarted with backoff until the cap, then given up on;
    /// the learner runs on and its clean end is the supervisor's.
    func testAnActorThatCrashesAtStartIsGivenUpOnAtTheCap() throws {
        let supervisor = ClusterSupervisor(
            learner: ChildCommand(executable: shell, arguments: ["-c", "sleep 1.5"]), actorCount: 1,
            actor: { _ in ChildCommand(executable: self.shell, arguments: ["-c", "exit 3"]) },
            backoff: RestartBackoff(initialDelay: .milliseconds(20), maxDelay: .milliseconds(80), maxRestarts: 3),
            stopRequested: { false })
        let outcome = try supervisor.run()
        XCTAssertTrue(outcome.learnerSucceeded)
        XCTAssertEqual(outcome.actors, RunSummary.Actors(started: 4, restarts: 3))
    }

    /// A learner that dies ends the supervision with its status; running actors are stopped.
    func testALearnerThatDiesEndsTheClusterWithItsStatus() throws {
        let start = Date()
        let supervisor = ClusterSupervisor(
            learner: ChildCommand(executable: shell, arguments: ["-c", "sleep 0.3; exit 7"]), actorCount: 2,
            actor: { _ in ChildCommand(executable: self.shell, arguments: ["-c", "exec sleep 30"]) },
            stopRequested: { false })
        let outcome = try supervisor.run()
        XCTAssertFalse(outcome.learnerSucceeded)
        XCTAssertEqual(outcome.learnerEnding, "exit 7")
        XCTAssertEqual(outcome.actors, RunSummary.Actors(started: 2, restarts: 0))
        XCTAssertLessThan(Date().timeIntervalSince(start), 10)
    }
}
