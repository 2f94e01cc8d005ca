import XCTest

@testable import FleetAlgorithms

/// GAE against the reference vectors (gamma 0.99, lambda 0.95) and an independent per-environment reference.
final class GAETests: XCTestCase {
    static let values: [Float] = [0.5, 0.4, 0.3, 0.6, 0.7]
    static let rewards: [Float] = [1, 1, 1, 1, 1]

    private func single(
        terminated: [Bool], truncated: [Bool] = [false, false, false, false, false],
        finalValues: [Float] = [0, 0, 0, 0, 0], cleanrlCompat: Bool = false
    ) -> AdvantageEstimate {
        GAE.estimate(
            rewards: Self.rewards, values: Self.values, terminated: terminated, truncated: truncated,
            finalValues: finalValues, bootstrapValues: [0.8], gamma: 0.99, lambda: 0.95, cleanrlCompat: cleanrlCompat)
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: 1e-5, "element \(index)", file: file, line: line)
        }
    }

    func testTerminatedAtStepTwo() {
        let estimate = single(terminated: [false, false, true, false, false])
        assertClose(estimate.advantages, [2.358807, 1.555350, 0.700000, 2.120026, 1.092000])
        assertClose(estimate.returns, [2.858807, 1.955350, 1.000000, 2.720026, 1.792000])
    }

    func testTerminatedAtStepsTwoAndFour() {
        let estimate = single(terminated: [false, false, true, false, true])
        assertClose(estimate.advantages, [2.358807, 1.555350, 0.700000, 1.375150, 0.300000])
    }

    func testTruncatedAtStepTwoBootstrapsFromTheFinalObservation() {
        let estimate = single(
            terminated: [false, false, false, false, false], truncated: [false, false, true, false, false],
            finalValues: [0, 0, 0.9, 0, 0])
        assertClose(estimate.advantages, [3.146932, 2.393336, 1.591000, 2.120026, 1.092000])
        assertClose(estimate.returns, [3.646932, 2.793336, 1.891000, 2.720026, 1.792000])
    }

    func testNoEpisodeEnd() {
        let estimate = single(terminated: [false, false, false, false, false])
        assertClose(estimate.advantages, [4.647895, 3.989255, 3.287884, 2.120026, 1.092000])
    }

    /// CleanRL treats truncation as termination: the truncated case gives the terminated vector.
    func testCleanRLCompatTreatsTruncationAsTermination() {
        let estimate = single(
            terminated: [false, false, false, false, false], truncated: [false, false, true, false, false],
            finalValues: [0, 0, 0.9, 0, 0], cleanrlCompat: true)
        assertClose(estimate.advantages, [2.358807, 1.555350, 0.700000, 2.120026, 1.092000])
    }

    /// Both flags on one step: terminated wins (no bootstrap).
    func testTerminatedAndTruncatedTogetherDoesNotBootstrap() {
        let estimate = single(
            terminated: [false, false, true, false, false], truncated: [false, false, true, false, false],
            finalValues: [0, 0, 0.9, 0, 0])
        assertClose(estimate.advantages, [2.358807, 1.555350, 0.700000, 2.120026, 1.092000])
    }

    /// N = 2 with different ends, against a reference computed differently: in Double, per
    /// environment, as forward sums of discounted deltas up to each episode end.
    func testTwoEnvironmentsMatchAnIndependentReference() {
        let steps = 6, environments = 2
        let rewards: [Float] = [1, -0.5, 0.2, 1, 0, 2, 1.5, 0.3, -1, 0.7, 0.4, 0.1]
        let values: [Float] = [0.1, 0.9, 0.3, -0.2, 0.5, 0.6, 0.8, 0.4, -0.3, 0.2, 0.05, 0.7]
        var terminated = [Bool](repeating: false, count: 12)
        var truncated = [Bool](repeating: false, count: 12)
        var finalValues = [Float](repeating: 0, count: 12)
        terminated[1 * 2 + 0] = true  // env 0 terminates at t = 1
        truncated[3 * 2 + 0] = true  // ... and is truncated at t = 3
        finalValues[3 * 2 + 0] = 1.25
        truncated[2 * 2 + 1] = true  // env 1 is truncated at t = 2
        finalValues[2 * 2 + 1] = -0.75
        terminated[5 * 2 + 1] = true  // ... and terminates on the last step
        finalValues[0] = 99  // read only where truncated
        let bootstrap: [Float] = [0.45, 123]  // env 1's is unused: its last step terminated
        let gamma = 0.97, lambda = 0.9

        for compat in [false, true] {
            let estimate = GAE.estimate(
                rewards: rewards, values: values, terminated: terminated, truncated: truncated,
                finalValues: finalValues, bootstrapValues: bootstrap, gamma: Float(gamma), lambda: Float(lambda),
                cleanrlCompat: compat)
            for n in 0..<environments {
                func at(_ t: Int) -> Int { t * environments + n }
                func delta(_ t: Int) -> Double {
                    let next: Double
                    if terminated[at(t)] || (compat && truncated[at(t)]) {
                        next = 0
                    } else if truncated[at(t)] {
                        next = Double(finalValues[at(t)])
                    } else {
                        next = t + 1 < steps ? Double(values[at(t + 1)]) : Double(bootstrap[n])
                    }
                    return Double(rewards[at(t)]) + gamma * next - Double(values[at(t)])
                }
                for t in 0..<steps {
                    var expected = 0.0
                    var weight = 1.0
                    for k in t..<steps {
                        expected += weight * delta(k)
                        if terminated[at(k)] || truncated[at(k)] { break }
                        weight *= gamma * lambda
                    }
                    XCTAssertEqual(
                        Double(estimate.advantages[at(t)]), expected, accuracy: 1e-5,
                        "compat \(compat), env \(n), t \(t)")
                    XCTAssertEqual(Double(estimate.returns[at(t)]), expected + Double(values[at(t)]), accuracy: 1e-5)
                }
            }
        }
    }
}
