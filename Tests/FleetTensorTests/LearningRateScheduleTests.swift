import XCTest

@testable import FleetTensor

/// Schedules: docs/algorithms.md's linear anneal, warm-up then constant, constant.
final class LearningRateScheduleTests: XCTestCase {
    func testLinearAnnealMatchesCleanRL() {
        let s = LinearAnnealSchedule(initialRate: 2.5e-4, totalIterations: 976)
        XCTAssertEqual(s.learningRate(at: 1), 2.5e-4)
        XCTAssertEqual(s.learningRate(at: 2), (1.0 - 1.0 / 976.0) * 2.5e-4)
        XCTAssertEqual(s.learningRate(at: 976), (1.0 - 975.0 / 976.0) * 2.5e-4)
        XCTAssertEqual(s.learningRate(at: 976), 2.5e-4 / 976, accuracy: 1e-18)
        XCTAssertEqual(s.learningRate(at: 977), 0)
        XCTAssertEqual(s.learningRate(at: 5000), 0)
        let small = LinearAnnealSchedule(initialRate: 1, totalIterations: 4)
        XCTAssertEqual((1...4).map(small.learningRate(at:)), [1, 0.75, 0.5, 0.25])
    }

    func testWarmupThenConstant() {
        let s = WarmupConstantSchedule(peakRate: 1e-6, warmupSteps: 20)
        XCTAssertEqual(s.learningRate(at: 1), 1e-6 / 20, accuracy: 1e-20)
        XCTAssertEqual(s.learningRate(at: 10), 0.5e-6, accuracy: 1e-20)
        XCTAssertEqual(s.learningRate(at: 19), 0.95e-6, accuracy: 1e-20)
        XCTAssertEqual(s.learningRate(at: 20), 1e-6)
        XCTAssertEqual(s.learningRate(at: 21), 1e-6)
        XCTAssertEqual(s.learningRate(at: 10_000), 1e-6)
        let small = WarmupConstantSchedule(peakRate: 4, warmupSteps: 4)
        XCTAssertEqual((1...6).map(small.learningRate(at:)), [1, 2, 3, 4, 4, 4])
        XCTAssertEqual(WarmupConstantSchedule(peakRate: 3, warmupSteps: 0).learningRate(at: 1), 3)
    }

    func testConstant() {
        let s: any LearningRateSchedule = ConstantSchedule(3e-4)
        XCTAssertEqual([1, 2, 1000].map(s.learningRate(at:)), [3e-4, 3e-4, 3e-4])
    }
}
