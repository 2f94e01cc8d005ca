import XCTest

@testable import FleetBench

/// `fleet bench-peer ppo-update` and `grpo`, Fleet's side of bench/peers/compare.py: their arguments,
/// the shared reward, and reports of the shape the script reads; no timing is asserted.
final class PeerBenchmarkTests: XCTestCase {
    func testOptionsTakeNameValuePairsAndRefuseTheRest() throws {
        let defaults = try PeerBenchmark.Options([])
        XCTAssertEqual([defaults.prompts, defaults.groupSize, defaults.promptLength, defaults.maxNewTokens, defaults.threads],
                       [8, 8, 8, 8, 1])
        let given = try PeerBenchmark.Options(["--repetitions", "3", "--warmup", "0", "--max-new-tokens", "5"])
        XCTAssertEqual([given.repetitions, given.warmup, given.maxNewTokens], [3, 0, 5])
        XCTAssertNil(defaults.learnerThreads)  // the config's learner_threads
        XCTAssertEqual(try PeerBenchmark.Options(["--learner-threads", "1"]).learnerThreads, 1)
        for bad in [["--repetitions"], ["--repetitions", "x"], ["--bogus", "1"], ["--repetitions", "0"], ["--threads", "-1"],
                    ["--learner-threads", "3"]] {
            XCTAssertThrowsError(try PeerBenchmark.Options(bad), "\(bad)")
        }
    }

    func testTheRewardIsTheFractionOfOddTokens() {
        XCTAssertEqual(PeerBenchmark.oddTokenFraction([3, 4, 5, 2]), 0.5)
        XCTAssertEqual(PeerBenchmark.oddTokenFraction([7]), 1)
        XCTAssertEqual(PeerBenchmark.oddTokenFraction([]), 0)
    }

    func testPPOUpdateReportsAWholeCleanRLUpdate() throws {
        let report = try PeerBenchmark.ppoUpdate(PeerBenchmark.Options(["--repetitions", "2", "--warmup", "0"]))
        XCTAssertEqual([report.batch, report.minibatch, report.epochs, report.minibatches], [512, 128, 4, 4])
        XCTAssertEqual(report.learnerThreads, 2)  // the CartPole config's default
        let one = try PeerBenchmark.ppoUpdate(PeerBenchmark.Options(["--repetitions", "1", "--warmup", "0", "--learner-threads", "1"]))
        XCTAssertEqual(one.learnerThreads, 1)
        XCTAssertTrue(one.updateSecondsMedian > 0 && one.finalPolicyLoss.isFinite)
        XCTAssertEqual(report.minibatchSecondsMedian, report.updateSecondsMedian / 16, accuracy: 1e-12)
        XCTAssertTrue(report.updateSecondsMedian > 0 && report.finalPolicyLoss.isFinite)
    }

    func testGRPOReportsSamplingAndTheUpdateOfEveryResponse() throws {
        let options = try PeerBenchmark.Options(["--repetitions", "2", "--warmup", "1", "--prompts", "2", "--group-size", "4"])
        let report = try PeerBenchmark.grpo(options)
        XCTAssertEqual([report.vocabulary, report.contextLength, report.width, report.heads, report.layers], [45, 32, 64, 4, 2])
        XCTAssertEqual(report.samplingResponsesPerSecond, 8 / report.samplingSecondsMedian, accuracy: 1e-9)
        XCTAssertEqual(report.updateResponsesPerSecond, 8 / report.updateSecondsMedian, accuracy: 1e-9)
        XCTAssertTrue(report.meanResponseLength >= 1 && report.meanResponseLength <= 8, "\(report.meanResponseLength)")
        XCTAssertTrue(report.meanReward >= 0 && report.meanReward <= 1)
    }
}
