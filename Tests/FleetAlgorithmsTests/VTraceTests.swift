import Foundation
import XCTest

@testable import FleetAlgorithms

/// V-trace against /work/shared/REFERENCE.md's two vectors (and their variants), truncation, two
/// environments side by side, and GAE's returns when the batch is on-policy.
final class VTraceTests: XCTestCase {
    /// The second vector: one environment, gamma 0.99, terminated after step 2, bootstrap 0.7.
    static let rewards: [Float] = [1, 0, -0.5, 1, 2]
    static let values: [Float] = [0.5, 0.4, 0.3, -0.2, 0.6]
    static let logRatios: [Float] = [0.1, -0.3, 0.5, 0, -1.2]
    static let terminatedAtTwo = [false, false, true, false, false]
    static let none = [false, false, false, false, false]

    private func second(
        terminated: [Bool] = terminatedAtTwo, truncated: [Bool] = none, finalValues: [Float] = [0, 0, 0, 0, 0],
        rhoClip: Float = 1, cClip: Float = 1, lambda: Float = 1
    ) -> AdvantageEstimate {
        VTrace.estimate(
            rewards: Self.rewards, values: Self.values, logRatios: Self.logRatios, terminated: terminated,
            truncated: truncated, finalValues: finalValues, bootstrapValues: [0.7],
            gamma: 0.99, rhoClip: rhoClip, cClip: cClip, lambda: lambda)
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (index, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: 1e-5, "element \(index)", file: file, line: line)
        }
    }

    /// rho_bar = c_bar = 1, gamma 0.9, ratios [1.5, 0.5, 1.0], the last step terminated.
    func testFirstReferenceVector() {
        let estimate = VTrace.estimate(
            rewards: [1, 0, 2], values: [0.5, 1.0, 1.5], logRatios: [Float(log(1.5)), Float(log(0.5)), 0],
            terminated: [false, false, true], truncated: [false, false, false], finalValues: [0, 0, 0],
            bootstrapValues: [3.0], gamma: 0.9, rhoClip: 1, cClip: 1)
        assertClose(estimate.returns, [2.26, 1.40, 2.00])
        assertClose(estimate.advantages, [1.76, 0.40, 0.50])
    }

    func testSecondReferenceVector() {
        let estimate = second()
        assertClose(estimate.returns, [0.739598, -0.2630323, -0.5, 2.2180955, 1.2303995])
        assertClose(estimate.advantages, [0.239598, -0.6630323, -0.8, 2.4180955, 0.6303995])
    }

    func testSecondReferenceVectorWithLambda() {
        let estimate = second(lambda: 0.95)
        XCTAssertEqual(estimate.returns[0], 0.800009, accuracy: 1e-5)
        XCTAssertEqual(estimate.returns[1], -0.2336959, accuracy: 1e-5)
        XCTAssertEqual(estimate.advantages[0], 0.2686411, accuracy: 1e-5)
        // The terminated step and the last one have no trace to scale.
        XCTAssertEqual(estimate.returns[2], -0.5, accuracy: 1e-5)
        XCTAssertEqual(estimate.returns[4], 1.2303995, accuracy: 1e-5)
    }

    func testSecondReferenceVectorWithRhoBarTwo() {
        assertClose(second(rhoClip: 2).returns, [0.4570144, -0.6436553, -1.018977, 2.2180955, 1.2303995])
    }

    /// A truncated step bootstraps from V(final observation) and cuts the trace there.
    func testTruncatedAtStepTwoBootstrapsFromTheFinalObservation() {
        let estimate = second(terminated: Self.none, truncated: Self.terminatedAtTwo, finalValues: [0, 0, 0.9, 0, 0])
        // delta_2 = min(1, e^0.5) (-0.5 + 0.99 * 0.9 - 0.3) = 0.091.
        assertClose(estimate.returns, [1.3865317, 0.3904360, 0.391, 2.2180955, 1.2303995])
        assertClose(estimate.advantages, [0.8865317, -0.0095640, 0.091, 2.4180955, 0.6303995])
    }

    func testCleanRLCompatTreatsTruncationAsTermination() {
        let truncated = VTrace.estimate(
            rewards: Self.rewards, values: Self.values, logRatios: Self.logRatios, terminated: Self.none,
            truncated: Self.terminatedAtTwo, finalValues: [0, 0, 0.9, 0, 0], bootstrapValues: [0.7],
            gamma: 0.99, rhoClip: 1, cClip: 1, cleanrlCompat: true)
        XCTAssertEqual(truncated, second())
    }

    /// Environments are columns of the T x N layout: each gets its own single-environment result.
    func testTwoEnvironmentsSideBySide() {
        let otherRewards: [Float] = [0, 1, 1, -1, 0.5]
        let other = VTrace.estimate(
            rewards: otherRewards, values: Self.values, logRatios: Self.logRatios.reversed(), terminated: Self.none,
            truncated: Self.none, finalValues: [0, 0, 0, 0, 0], bootstrapValues: [-0.3], gamma: 0.99, rhoClip: 1, cClip: 1)
        func interleave<T>(_ a: [T], _ b: [T]) -> [T] { zip(a, b).flatMap { [$0, $1] } }
        let both = VTrace.estimate(
            rewards: interleave(Self.rewards, otherRewards), values: interleave(Self.values, Self.values),
            logRatios: interleave(Self.logRatios, Self.logRatios.reversed()),
            terminated: interleave(Self.terminatedAtTwo, Self.none), truncated: interleave(Self.none, Self.none),
            finalValues: [Float](repeating: 0, count: 10), bootstrapValues: [0.7, -0.3], gamma: 0.99, rhoClip: 1, cClip: 1)
        let expected = second()
        XCTAssertEqual(both.returns, interleave(expected.returns, other.returns))
        XCTAssertEqual(both.advantages, interleave(expected.advantages, other.advantages))
    }

    /// On-policy (pi = mu) with c_t = lambda, the targets are GAE's returns.
    func testOnPolicyTargetsAreGAEReturns() {
        let truncated = [false, false, false, true, false]
        let finalValues: [Float] = [0, 0, 0, 0.25, 0]
        let vtrace = VTrace.estimate(
            rewards: Self.rewards, values: Self.values, logRatios: [0, 0, 0, 0, 0], terminated: Self.terminatedAtTwo,
            truncated: truncated, finalValues: finalValues, bootstrapValues: [0.7],
            gamma: 0.99, rhoClip: 1, cClip: 1, lambda: 0.95)
        let gae = GAE.estimate(
            rewards: Self.rewards, values: Self.values, terminated: Self.terminatedAtTwo, truncated: truncated,
            finalValues: finalValues, bootstrapValues: [0.7], gamma: 0.99, lambda: 0.95)
        assertClose(vtrace.returns, gae.returns)
    }
}
