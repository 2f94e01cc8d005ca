import FleetCluster
import Foundation
import XCTest
import FleetTestSupport
import FleetConfig

final class RunSummaryTests: XCTestCase {
    func testEveryFieldIsWrittenWithNullsForUnknowns() throws {
        let summary = RunSummary(algorithm: "ppo", env: "Pendulum-v1", seed: 1, envSteps: 2048, wallSeconds: 2, sps: 1024)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: summary.jsonData()) as? [String: Any])
        XCTAssertEqual(
            Set(object.keys),
            [
                "algorithm", "env", "seed", "env_steps", "wall_seconds", "sps", "episodes", "final_return_mean100",
                "reward_threshold", "solved_at_step", "solved_wall_seconds", "policy_version", "weights_sha256",
                "actors", "rejected", "eval", "learner_time", "broadcast_share", "broadcast_cpu_seconds", "blas_kernels",
                "steps_received", "trained_share", "updates", "updates_planned", "steps_planned", "steps_short",
                "partial_updates", "ended", "complete",
            ])
        for key in ["final_return_mean100", "reward_threshold", "solved_at_step", "solved_wall_seconds",
                    "policy_version", "weights_sha256", "eval", "learner_time", "broadcast_share", "broadcast_cpu_seconds",
                    "blas_kernels", "steps_received", "trained_share", "updates", "updates_planned", "steps_planned",
                    "steps_short", "partial_updates", "ended", "complete"]
        {
            XCTAssertTrue(object[key] is NSNull, "\(key) should be null, is \(String(describing: object[key]))")
        }
        XCTAssertEqual(object["env_steps"] as? Int, 2048)
        let actors = try XCTUnwrap(object["actors"] as? [String: Any])
        XCTAssertEqual(actors["started"] as? Int, 0)
        XCTAssertEqual(actors["restarts"] as? Int, 0)
        XCTAssertTrue(actors["lost"] is NSNull, "unknown: null")
    }

    func testFullSummaryRoundTripsAndReadsAsSnakeCase() throws {
        var summary = RunSummary(
            algorithm: "ppo", env: "CartPole-v1", seed: 3, envSteps: 500_000, wallSeconds: 120.5, sps: 4149.4,
            episodes: 1800, finalReturnMean100: 490.25, rewardThreshold: 475, solvedAtStep: 230_400,
            solvedWallSeconds: 55.5, policyVersion: 976, weightsSHA256: String(repeating: "ab", count: 32),
            actors: .init(started: 4, restarts: 1), rejected: ["stale": 3, "invalid": 1],
            eval: .init(episodes: 10, returnMean: 500, returnStd: 0, deterministic: true))
        summary.learnerTime = ["update": 100, "broadcast": 0.5, "idle": 20]
        summary.broadcastShare = 0.5 / 120.5
        let data = try summary.jsonData()
        XCTAssertEqual(try JSONDecoder().decode(RunSummary.self, from: data), summary)
        let text = String(decoding: data, as: UTF8.self)
        XCTAssertTrue(text.contains("\"solved_at_step\" : 230400"), text)
        XCTAssertTrue(text.contains("\"return_mean\" : 500"), text)
        XCTAssertTrue(text.contains("\"learner_time\" : {"), text)
        XCTAssertTrue(text.hasSuffix("}\n"))
    }

    func testNonFiniteNumbersAreNull() throws {
        let summary = RunSummary(algorithm: "ppo", env: "CartPole-v1", seed: 1, sps: .nan, finalReturnMean100: .infinity)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: summary.jsonData()) as? [String: Any])
        XCTAssertTrue(object["sps"] is NSNull)
        XCTAssertTrue(object["final_return_mean100"] is NSNull)
    }

    func testWrittenAtomicallyIntoTheRunDirectory() throws {
        let root = try makeTemporaryDirectory(self)
        let directory = try RunDirectory(creating: root.appendingPathComponent("run").path)
        var summary = RunSummary(algorithm: "ppo", env: "CartPole-v1", seed: 1)
        try directory.writeSummary(summary)
        summary.envSteps = 512
        try directory.writeSummary(summary)  // replaces the first
        let read = try JSONDecoder().decode(RunSummary.self, from: Data(contentsOf: directory.summaryFile))
        XCTAssertEqual(read.envSteps, 512)
        XCTAssertEqual(try FileManager.default.contentsOfDirectory(atPath: directory.url.path), ["summary.json"],
            "no temporary file is left behind")
    }
}

final class ReturnTrackerTests: XCTestCase {
    func testMeanOfTheLast100Episodes() {
        var tracker = ReturnTracker(threshold: nil)
        XCTAssertNil(tracker.meanReturn)
        for i in 1...150 { tracker.record(episodeReturn: Double(i), envStep: i * 10, wallSeconds: Double(i)) }
        XCTAssertEqual(tracker.episodes, 150)
        XCTAssertEqual(tracker.meanReturn, (51...150).reduce(0.0) { $0 + Double($1) } / 100)
        XCTAssertNil(tracker.solvedAtStep, "no threshold: never solved")
    }

    func testSolvedAtTheFirstStepTheFullWindowReachesTheThreshold() {
        var tracker = ReturnTracker(threshold: 475)
        // 99 perfect episodes: above the threshold, but the window is not full yet.
        for i in 1...99 { tracker.record(episodeReturn: 500, envStep: i * 500, wallSeconds: Double(i)) }
        XCTAssertNil(tracker.solvedAtStep)
        tracker.record(episodeReturn: 0, envStep: 50_000, wallSeconds: 100)  // mean 495
        XCTAssertEqual(tracker.solvedAtStep, 50_000)
        XCTAssertEqual(tracker.solvedWallSeconds, 100)
        for _ in 0..<200 { tracker.record(episodeReturn: 0, envStep: 99_999, wallSeconds: 999) }
        XCTAssertEqual(tracker.meanReturn, 0)
        XCTAssertEqual(tracker.solvedAtStep, 50_000, "the first time is kept")
    }

    func testJustBelowTheThresholdIsNotSolved() {
        var tracker = ReturnTracker(threshold: 475, window: 4)
        for step in [1, 2, 3, 4] { tracker.record(episodeReturn: 474.99, envStep: step, wallSeconds: 0) }
        XCTAssertNil(tracker.solvedAtStep)
        tracker.record(episodeReturn: 475.04, envStep: 5, wallSeconds: 0)  // mean 475.0025
        XCTAssertEqual(tracker.solvedAtStep, 5)
    }
}
