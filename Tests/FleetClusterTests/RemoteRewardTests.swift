import FleetTestSupport
import FleetWire
import Foundation
import XCTest

@testable import FleetCluster

/// The learner's side of the reward protocol against real `python -m fleet_env reward` servers
/// (the reward functions of the Python package's tests, `toy_rewards`).
final class RemoteRewardTests: XCTestCase {
    static let toyRewards = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("python/tests").path

    override func setUp() {
        setenv("PYTHONPATH", Self.toyRewards, 1)
    }

    private func client(
        _ function: String? = "toy_rewards:scripted", endpoint: String? = nil, workers: Int = 1, timeout: Duration = .seconds(30),
        maxRestarts: Int = 3, replyMargin: Duration = .seconds(5)
    ) throws -> RemoteReward {
        let reward = try RemoteReward(
            settings: RemoteReward.Settings(
                function: function, endpoint: endpoint, workers: workers, timeout: timeout, python: try servingPython(),
                maxRestarts: maxRestarts, startTimeout: .seconds(60), replyMargin: replyMargin))
        addTeardownBlock { reward.close() }
        return reward
    }

    /// Items answering `prompt` (the scripted function's command), one per response, answer `52`.
    private func items(_ responses: [String], prompt: String = "07+45=") -> [RewardItem] {
        responses.enumerated().map { i, response in
            RewardItem(promptID: Int64(i), prompt: prompt, response: response, answer: "52", truncated: false)
        }
    }

    private func failure(_ result: Result<[Double], RemoteRewardFailure>) -> RemoteRewardFailure? {
        if case .failure(let failure) = result { return failure }
        return nil
    }

    func testExactMatchRewardsInOrder() throws {
        let reward = try client("toy_rewards:exact_match")
        XCTAssertEqual(try reward.score(items(["52", "25", " 52", "", "5\u{0}2"])).get(), [1, 0, 1, 0, 0])
        XCTAssertEqual(try reward.score([]).get(), [], "a ping")
        XCTAssertEqual(reward.calls, 2)
        XCTAssertEqual(reward.failures, [:])
    }

    func testEachFailureCostsOneCallAndTheNextGoesAhead() throws {
        let reward = try client(workers: 1, timeout: .seconds(1))
        let cases: [(String, RemoteRewardFailure.Reason)] = [
            ("raise", .raised), ("nan", .notFinite), ("short", .badResult), ("text", .badResult), ("die", .workerDied),
            ("hang", .timeout),
        ]
        for (command, reason) in cases {
            let start = ContinuousClock.now
            let failed = try XCTUnwrap(failure(reward.score(items(["52", "1"], prompt: command))), command)
            XCTAssertEqual(failed.reason, reason, "\(command): \(failed)")
            XCTAssertFalse(failed.detail.isEmpty)
            XCTAssertLessThan(ContinuousClock.now - start, .seconds(5), "\(command): answered by the server, not the backstop")
            XCTAssertEqual(try reward.score(items(["52", "1"])).get(), [1, 0], "after \(command)")
        }
        XCTAssertEqual(reward.failures, ["raised": 1, "not_finite": 1, "bad_result": 2, "worker_died": 1, "timeout": 1])
        XCTAssertEqual(reward.restarts, 0, "the server itself never stopped")
    }

    func testAKilledServerIsRestartedBoundedlyAndCounted() throws {
        let reward = try client("toy_rewards:exact_match", maxRestarts: 1)
        let first = try XCTUnwrap(reward.serverPID)
        kill(first, SIGKILL)
        let gone = try XCTUnwrap(failure(reward.score(items(["52"]))))
        XCTAssertEqual(gone.reason, .serverGone, "\(gone)")
        XCTAssertTrue(gone.detail.contains("signal 9"), gone.detail)
        XCTAssertEqual(try reward.score(items(["52"])).get(), [1], "a new server answers")
        XCTAssertEqual(reward.restarts, 1)
        XCTAssertNotEqual(reward.serverPID, first)
        kill(try XCTUnwrap(reward.serverPID), SIGKILL)
        XCTAssertEqual(failure(reward.score(items(["52"])))?.reason, .serverGone)
        let exhausted = try XCTUnwrap(failure(reward.score(items(["52"]))))
        XCTAssertEqual(exhausted.reason, .serverGone)
        XCTAssertTrue(exhausted.detail.contains("at most 1"), exhausted.detail)
        XCTAssertEqual(reward.restarts, 1)
    }

    func testAReplyToARequestGivenUpOnIsDropped() throws {
        // A server the test runs, whose calls may take 30 s, and a client that waits 0.5 s.
        let server = try RewardServerProcess(
            python: try servingPython(), function: "toy_rewards:scripted", workers: 2, timeout: .seconds(30), name: "test-server")
        defer { server.stop() }
        let reward = try client(nil, endpoint: server.endpoint, timeout: .milliseconds(200), replyMargin: .milliseconds(300))
        XCTAssertEqual(failure(reward.score(items(["52"], prompt: "slow:1")))?.reason, .timeout)
        // The other worker answers the next call at once; the slow call's reply comes later.
        XCTAssertEqual(try reward.score(items(["52", "0"])).get(), [1, 0])
        XCTAssertEqual(reward.staleReplies, 0)
        Thread.sleep(forTimeInterval: 1)
        XCTAssertEqual(try reward.score(items(["0", "52"])).get(), [0, 1], "not the slow call's [1]")
        XCTAssertEqual(reward.staleReplies, 1)
    }

    func testAFunctionThatCannotBeImportedFailsAtStart() throws {
        XCTAssertThrowsError(try client("toy_rewards:no_such_function")) { error in
            let failure = error as? RemoteRewardFailure
            XCTAssertEqual(failure?.reason, .serverGone, "\(error)")
            XCTAssertTrue(failure?.detail.contains("exit 1") ?? false, "\(error)")
        }
    }
}
