import FleetCluster
import XCTest
import FleetTestSupport
import FleetConfig

final class RunProgressTests: XCTestCase {
    func testLineShowsEveryFieldAndDashesForUnknowns() {
        XCTAssertEqual(
            ProgressSnapshot(envSteps: 1234).line,
            "steps 1234 | SPS - | return100 - | policy - | lag - | queue -")
        XCTAssertEqual(
            ProgressSnapshot(
                envSteps: 51_200, totalSteps: 500_000, stepsPerSecond: 5119.6, returnMean100: 212.4,
                policyVersion: 12, policyLag: 1.25, queueDepth: 3
            ).line,
            "steps 51200/500000 (10.2%) | SPS 5120 | return100 212.40 | policy v12 | lag 1.3 | queue 3")
        XCTAssertEqual(ProgressSnapshot(envSteps: 0, returnMean100: -0.004).line.contains("return100 0.00"), true)
        XCTAssertEqual(ProgressSnapshot(envSteps: 0, returnMean100: -150.5).line.contains("return100 -150.50"), true)
    }

    func testLanguageLineShowsUpdatesResponsesRewardAndAccuracy() {
        let language = ProgressSnapshot.Shape.languageUpdates(totalUpdates: 50)
        XCTAssertEqual(
            ProgressSnapshot(shape: language).line,
            "updates -/50 | responses 0 | responses/s - | reward - | accuracy - | policy - | lag - | queue -")
        XCTAssertEqual(
            ProgressSnapshot(
                shape: language, envSteps: 3072, totalSteps: 12_800, stepsPerSecond: 409.6, scoreMean: 0.4219,
                evalAccuracy: 0.63, policyVersion: 12, policyLag: 0.25, queueDepth: 2
            ).line,
            "updates 12/50 (24.0%) | responses 3072 | responses/s 410 | reward 0.42 | accuracy 63.0% | policy v12 | lag 0.3 | queue 2")
        XCTAssertEqual(
            ProgressSnapshot(shape: .languageUpdates(totalUpdates: nil), envSteps: 64, scoreMean: -0.5, policyVersion: 1).line,
            "updates 1 | responses 64 | responses/s - | reward -0.50 | accuracy - | policy v1 | lag - | queue -")
    }

    /// A language run logs verl's and the pipeline's tags at the responses trained; held-out
    /// accuracy comes every `eval_every` updates and stays shown in between.
    func testLanguageLineFollowsTheLoggedScalars() {
        let clock = ManualClock(0)
        var written: [String] = []
        let progress = ProgressLine(
            totalSteps: 1024, shape: .languageUpdates(totalUpdates: 4), isTerminal: false, clock: clock.read,
            output: { written.append($0) })
        progress.observe(step: 0, scalars: [MetricScalar(MetricTag.evalAccuracy, 0.125)])
        XCTAssertEqual(
            written.last, "updates -/4 | responses 0 | responses/s - | reward - | accuracy 12.5% | policy - | lag - | queue -\n")
        clock.now = 5
        progress.observe(step: 256, scalars: [
            MetricScalar(MetricTag.scoreMean, 0.25), MetricScalar("actor/pg_loss", 0.1), MetricScalar(MetricTag.stepsPerSecond, 51.2),
            MetricScalar(MetricTag.policyVersion, 1), MetricScalar(MetricTag.policyLag, 0), MetricScalar(MetricTag.queueDepth, 1),
        ])
        XCTAssertEqual(
            written.last,
            "updates 1/4 (25.0%) | responses 256 | responses/s 51 | reward 0.25 | accuracy 12.5% | policy v1 | lag 0.0 | queue 1\n")
        progress.observe(step: 512, scalars: [MetricScalar(MetricTag.scoreMean, .nan), MetricScalar(MetricTag.policyVersion, 2)])
        progress.finish()
        XCTAssertEqual(
            written.last,
            "updates 2/4 (50.0%) | responses 512 | responses/s 51 | reward 0.25 | accuracy 12.5% | policy v2 | lag 0.0 | queue 1\n")
    }

    func testShapeFollowsTheRunsAlgorithm() throws {
        let cluster = ClusterDirectoryTests.cluster
        for (file, shape) in [
            ("cartpole-ppo.yaml", ProgressSnapshot.Shape.environmentSteps),
            ("addition-grpo.yaml", nil), ("addition-dapo.yaml", nil),
        ] {
            let config = try RunConfig(file: cluster.appendingPathComponent(file).path)
            let expected = shape ?? .languageUpdates(totalUpdates: config.language.totalTrainingSteps)
            XCTAssertEqual(ProgressSnapshot.Shape(config), expected, file)
        }
        // The PPO line is the one it always was.
        XCTAssertTrue(ProgressSnapshot(shape: .environmentSteps, envSteps: 5).line.hasPrefix("steps 5 | SPS - | return100 - | "))
    }

    func testTerminalRedrawsInPlaceAtMostFourTimesASecond() {
        let clock = ManualClock(100)
        var written: [String] = []
        let progress = ProgressLine(isTerminal: true, clock: clock.read, output: { written.append($0) })
        progress.update { $0.envSteps = 1 }
        clock.now += 0.1
        progress.update { $0.envSteps = 2 }  // too soon: not drawn
        clock.now += 0.2
        progress.update { $0.envSteps = 3 }
        XCTAssertEqual(written.count, 2)
        XCTAssertTrue(written.allSatisfy { $0.hasPrefix("\r") && $0.hasSuffix("\u{1B}[K") && !$0.contains("\n") })
        XCTAssertTrue(written[1].contains("steps 3 "))
        progress.finish()
        XCTAssertEqual(written.suffix(2), ["\r" + progress.snapshot.line + "\u{1B}[K", "\n"])
    }

    func testPlainOutputWritesWholeLinesEveryFiveSeconds() {
        let clock = ManualClock(0)
        var written: [String] = []
        let progress = ProgressLine(isTerminal: false, clock: clock.read, output: { written.append($0) })
        for second in 0..<12 {
            clock.now = Double(second)
            progress.observe(step: second * 100, scalars: [MetricScalar(MetricTag.stepsPerSecond, 100)])
        }
        XCTAssertEqual(written.count, 3)  // at 0, 5 and 10 s
        XCTAssertTrue(written.allSatisfy { $0.hasSuffix("\n") && !$0.contains("\r") })
        XCTAssertTrue(written[2].hasPrefix("steps 1000 | SPS 100 "), written[2])
    }

    func testObserveTakesTheKnownTagsAndKeepsTheRest() {
        var snapshot = ProgressSnapshot()
        snapshot.observe(step: 10, scalars: [
            MetricScalar(MetricTag.returnMean100, 21), MetricScalar(MetricTag.policyVersion, 4),
            MetricScalar(MetricTag.policyLag, 0.5), MetricScalar(MetricTag.queueDepth, 2),
        ])
        snapshot.observe(step: 20, scalars: [MetricScalar(MetricTag.valueLoss, 3)])
        XCTAssertEqual(
            snapshot, ProgressSnapshot(envSteps: 20, returnMean100: 21, policyVersion: 4, policyLag: 0.5, queueDepth: 2))
    }
}
