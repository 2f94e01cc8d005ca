@testable import FleetCluster
import FleetTransport
import Foundation
import Logging
import XCTest
import FleetTestSupport
import FleetClusterTesting
import FleetConfig

/// The learner's wall time by phase (``LearnerTimeAccount``): the account itself on a clock of
/// its own, then an in-process run's `learner_time` in summary.json, `fleet status` and metrics.
final class LearnerTimeTests: XCTestCase {
    typealias Phase = LearnerTimeAccount.Phase

    func testEveryChangeChargesTheTimeSinceTheLastToThePhaseItEnds() {
        let start = ContinuousClock.now
        func at(_ milliseconds: Int) -> ContinuousClock.Instant { start + .milliseconds(milliseconds) }
        var account = LearnerTimeAccount(at: start)
        XCTAssertEqual(account.phase, .other)
        XCTAssertEqual(account.enter(.idle, at: at(100)), .other)
        XCTAssertEqual(account.enter(.update, at: at(400)), .idle)
        XCTAssertEqual(account.enter(.broadcast, at: at(1400)), .update)
        // Nested: back to the phase it left.
        let left = account.enter(.checkpoint, at: at(1410))
        XCTAssertEqual(left, .broadcast)
        account.enter(left, at: at(1460))
        account.enter(.idle, at: at(1500))

        XCTAssertEqual(account.seconds(of: .other, at: at(1500)), 0.1, accuracy: 1e-12)
        XCTAssertEqual(account.seconds(of: .update, at: at(1500)), 1.0, accuracy: 1e-12)
        XCTAssertEqual(account.seconds(of: .broadcast, at: at(1500)), 0.05, accuracy: 1e-12)
        XCTAssertEqual(account.seconds(of: .checkpoint, at: at(1500)), 0.05, accuracy: 1e-12)
        // The phase running now counts its time so far.
        XCTAssertEqual(account.seconds(of: .idle, at: at(2000)), 0.3 + 0.5, accuracy: 1e-12)
        XCTAssertEqual(account.wallSeconds(at: at(2000)), 2.0, accuracy: 1e-12)
        XCTAssertEqual(account.share(of: .broadcast, at: at(2000)) ?? -1, 0.025, accuracy: 1e-12)
        let byPhase = account.secondsByPhase(at: at(2000))
        XCTAssertEqual(Set(byPhase.keys), ["ingress", "idle", "update", "broadcast", "checkpoint", "capture", "metrics", "other"])
        XCTAssertEqual(byPhase.values.reduce(0, +), 2.0, accuracy: 1e-12)
        XCTAssertEqual(byPhase["ingress"], 0)

        // An instant read before the last change charges nothing and moves nothing back.
        account.enter(.metrics, at: at(1900))
        XCTAssertEqual(account.enter(.update, at: at(1800)), .metrics)
        XCTAssertEqual(account.seconds(of: .metrics, at: at(2000)), 0)
        XCTAssertEqual(account.seconds(of: .update, at: at(1850)), 1.0, accuracy: 1e-12)
        XCTAssertEqual(account.seconds(of: .idle, at: at(2100)), 0.7, accuracy: 1e-12)
        XCTAssertEqual(account.wallSeconds(at: at(2100)), 2.1, accuracy: 1e-12)

        account.restart(at: at(3000))
        XCTAssertEqual(account.wallSeconds(at: at(3000)), 0)
        XCTAssertNil(account.share(of: .broadcast, at: at(3000)), "no share of no time")
        XCTAssertEqual(Phase.update.metricTag, "pipeline/time/update_seconds")
    }

    /// Two actors, lag 1, checkpoints and capture on: every phase is in the summary, they add up
    /// to the learner's wall time, and publishing versions took time.
    func testAnInProcessRunsPhasesAddUpToItsWallTime() throws {
        let config = try loopTestConfig([
            "num_actors=2", "max_policy_lag=1", "total_timesteps=4096", "checkpoint_every=2", "capture=true",
        ])
        let directory = try RunDirectory(creating: try makeTemporaryDirectory(self).appendingPathComponent("run").path)
        let training = try InProcessTraining(
            config: config, context: try Context(), directory: directory, metrics: try MetricsLogger(directory: directory),
            stallTimeout: .seconds(30))
        let summary = try training.run()
        XCTAssertEqual(summary.policyVersion, 8)

        let time = try XCTUnwrap(summary.learnerTime)
        XCTAssertEqual(Set(time.keys), Set(Phase.allCases.map(\.name)))
        XCTAssertTrue(time.values.allSatisfy { $0 >= 0 }, "\(time)")
        let accounted = time.values.reduce(0, +)
        // The summary's wall time and its learner_time are read microseconds apart.
        XCTAssertEqual(accounted, summary.wallSeconds, accuracy: 0.01 + 0.001 * summary.wallSeconds, "\(time)")
        for phase in ["update", "broadcast", "checkpoint", "capture", "ingress", "metrics"] {
            XCTAssertGreaterThan(time[phase] ?? 0, 0, "\(phase) took no time: \(time)")
        }
        let share = try XCTUnwrap(summary.broadcastShare)
        XCTAssertEqual(share, (time["broadcast"] ?? 0) / accounted, accuracy: 1e-12)
        XCTAssertGreaterThan(share, 0)
        XCTAssertLessThan(share, 1)
        let cpu = try XCTUnwrap(summary.broadcastCPUSeconds)
        XCTAssertGreaterThan(cpu, 0, "encoding 8 versions takes some CPU")
        XCTAssertLessThanOrEqual(cpu, (time["broadcast"] ?? 0) + 0.01, "CPU time within the phase's wall time")

        // summary.json on disk carries both keys.
        let object = try XCTUnwrap(
            JSONSerialization.jsonObject(with: Data(contentsOf: directory.summaryFile)) as? [String: Any])
        let written = try XCTUnwrap(object["learner_time"] as? [String: Double], "\(object)")
        XCTAssertEqual(Set(written.keys), Set(time.keys))
        XCTAssertEqual(try XCTUnwrap(object["broadcast_share"] as? Double), share, accuracy: 1e-12)
        XCTAssertEqual(try XCTUnwrap(object["broadcast_cpu_seconds"] as? Double), cpu, accuracy: 1e-12)

        // The metrics: every phase's cumulative seconds at every update, never going down.
        let lines = try metricsLines(directory)
        XCTAssertEqual(lines.count, 8)
        for phase in Phase.allCases {
            let values = lines.compactMap { $0[phase.metricTag] as? Double }
            XCTAssertEqual(values.count, lines.count, "\(phase.metricTag) missing from metrics.jsonl")
            XCTAssertEqual(values, values.sorted(), "\(phase.metricTag) is cumulative")
        }
        XCTAssertGreaterThan(lines.last?[Phase.update.metricTag] as? Double ?? 0, 0)

        // fleet status carries it too.
        let status = try LearnerStatus(json: try training.learner.status(at: .now).json())
        let statusTime = try XCTUnwrap(status.learnerTime)
        XCTAssertEqual(Set(statusTime.keys), Set(time.keys))
        XCTAssertGreaterThanOrEqual(statusTime["update"] ?? 0, time["update"] ?? 0)
        XCTAssertNotNil(status.broadcastShare)
        XCTAssertNotNil(status.broadcastCPUSeconds)
        XCTAssertTrue(try status.json().contains("\"learner_time\""))

        let line = try XCTUnwrap(summary.learnerTimeLine)
        XCTAssertTrue(line.hasPrefix("learner time "), line)
        XCTAssertTrue(line.contains("broadcast "), line)
        XCTAssertTrue(line.contains("; weight broadcast "), line)
    }

    func testTheReportLineListsThePhasesInOrderWithTheirShares() {
        var summary = RunSummary(algorithm: "ppo", env: "CartPole-v1", seed: 1)
        XCTAssertNil(summary.learnerTimeLine, "no learner ran")
        summary.learnerTime = [
            "ingress": 1, "idle": 2, "update": 6, "broadcast": 0.1, "checkpoint": 0.4, "capture": 0, "metrics": 0.25,
            "other": 0.25,
        ]
        summary.broadcastShare = 0.01
        summary.broadcastCPUSeconds = 0.02
        XCTAssertEqual(
            summary.learnerTimeLine,
            "learner time 10.00 s: ingress 1.000 s (10.0%), idle 2.000 s (20.0%), update 6.000 s (60.0%), "
                + "broadcast 0.100 s (1.0%), checkpoint 0.400 s (4.0%), capture 0.000 s (0.0%), metrics 0.250 s (2.5%), "
                + "other 0.250 s (2.5%); weight broadcast 1.00% of it (0.20% in CPU time)")
    }
}
