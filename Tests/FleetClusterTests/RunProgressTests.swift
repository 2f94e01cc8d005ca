import FleetCluster
import XCTest

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
