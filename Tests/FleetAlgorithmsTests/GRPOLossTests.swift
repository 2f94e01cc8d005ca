import FleetTensor
import Foundation
import XCTest

@testable import FleetAlgorithms

/// GRPO's and DAPO's pure pieces against the reference vectors: advantages, k3, the three
/// aggregations, clip-higher, dynamic sampling and the soft overlong punishment.
final class GRPOLossTests: XCTestCase {
    // MARK: Advantages

    func testGroupAdvantagesVectors() {
        assertClose(GroupAdvantages.compute(rewards: [1, 0, 0, 1], groupSize: 4, scale: .group),
                    [0.866024, -0.866024, -0.866024, 0.866024], accuracy: 2e-6)
        assertClose(GroupAdvantages.compute(rewards: [1, 0, 0.5, 0], groupSize: 4, scale: .group),
                    [1.305580, -0.783348, 0.261116, -0.783348], accuracy: 2e-6)
        XCTAssertEqual(GroupAdvantages.compute(rewards: [1, 1, 1, 1], groupSize: 4, scale: .group), [0, 0, 0, 0])
    }

    func testGroupsAreIndependent() {
        // Two groups in one batch give each group's own vector.
        assertClose(GroupAdvantages.compute(rewards: [1, 0, 0, 1, 1, 0, 0.5, 0], groupSize: 4, scale: .group),
                    [0.866024, -0.866024, -0.866024, 0.866024, 1.305580, -0.783348, 0.261116, -0.783348], accuracy: 2e-6)
    }

    func testGroupOfOneHasMeanZeroStdOne() {
        assertClose(GroupAdvantages.compute(rewards: [0.7, -2], groupSize: 1, scale: .group),
                    [Float(0.7 / (1 + 1e-6)), Float(-2 / (1 + 1e-6))], accuracy: 1e-7)
        XCTAssertEqual(GroupAdvantages.compute(rewards: [0.7], groupSize: 1, scale: .none), [0.7])
        assertClose(GroupAdvantages.compute(rewards: [0.7], groupSize: 1, scale: .batch), [0.7], accuracy: 1e-6)
    }

    func testNoScaleOnlyCentres() {
        XCTAssertEqual(GroupAdvantages.compute(rewards: [1, 0, 0, 1], groupSize: 4, scale: .none), [0.5, -0.5, -0.5, 0.5])
        XCTAssertEqual(GroupAdvantages.compute(rewards: [3, 1], groupSize: 2, scale: .none), [1, -1])
    }

    func testBatchScaleUsesTheStdOfEveryReward() {
        // Rewards [1,0,0,1 | 1,1,1,0]: mean 5/8, unbiased variance 1.875 / 7.
        let std = (1.875 / 7.0).squareRoot() + 1e-6
        let expected = [0.5, -0.5, -0.5, 0.5, 0.25, 0.25, 0.25, -0.75].map { Float($0 / std) }
        assertClose(GroupAdvantages.compute(rewards: [1, 0, 0, 1, 1, 1, 1, 0], groupSize: 4, scale: .batch),
                    expected, accuracy: 1e-6)
        // numpy: np.std(r, ddof=1) = 0.51754917; 0.5 / (std + 1e-6) = 0.96608992, -0.75 / (...) = -1.44913487.
        XCTAssertEqual(expected[0], 0.96608992, accuracy: 1e-6)
        XCTAssertEqual(expected[7], -1.44913487, accuracy: 1e-6)
    }

    func testRaggedGroupSizes() {
        let a = GroupAdvantages.compute(rewards: [1, 0, 0, 1, 5], groupSizes: [4, 1], scale: .group)
        assertClose(a, [0.866024, -0.866024, -0.866024, 0.866024, Float(5 / (1 + 1e-6))], accuracy: 2e-6)
    }

    // MARK: k3 and the per-token surrogate

    /// k3 per token, as the loss computes it.
    private func k3(logp: Float, ref: Float) -> Float {
        GRPOLoss.k3(logProbs: Tensor([logp]), refLogProbs: Tensor([ref])).item
    }

    func testK3Vectors() {
        XCTAssertEqual(k3(logp: -1.0, ref: -1.2), 0.018731, accuracy: 1e-6)
        XCTAssertEqual(k3(logp: -2.0, ref: -0.5), 1.981689, accuracy: 1e-6)
        XCTAssertEqual(k3(logp: -0.7, ref: -0.7), 0)
    }

    func testClipHigherPerTokenVectors() {
        let cases: [(r: Float, a: Float, loss: Float)] = [(1.25, 1, -1.25), (1.30, 1, -1.28), (0.70, -1, 0.8)]
        for c in cases {
            let surrogate = ClippedSurrogate(ratio: Tensor([c.r]), advantages: Tensor([c.a]), low: 0.2, high: 0.28)
            XCTAssertEqual(surrogate.loss.item, c.loss, accuracy: 1e-6, "r \(c.r), A \(c.a)")
            // The same through the loss: one token, logp = log r, old = 0.
            let (loss, _) = GRPOLoss.policyLoss(
                logProbs: Tensor([Foundation.log(c.r)]), oldLogProbs: [0], refLogProbs: nil, advantages: [c.a],
                lengths: [1], epsLow: 0.2, epsHigh: 0.28, beta: 0, aggregation: .tokenMean)
            XCTAssertEqual(loss.item, c.loss, accuracy: 1e-6, "through the loss: r \(c.r), A \(c.a)")
        }
        // Symmetric eps 0.2 gives PPO's vector back.
        XCTAssertEqual(
            ClippedSurrogate(ratio: Tensor([1.30]), advantages: Tensor([1]), low: 0.2, high: 0.2).loss.item, -1.2,
            accuracy: 1e-6)
    }

    // MARK: Aggregation

    /// docs/algorithms.md's example: eps 0.2, beta 0.04, A = [0.8660, -0.8660], lengths 3 and 1, max length 4.
    func aggregationExample(_ aggregation: LossAggregation, logProbs: Tensor? = nil) -> (loss: Tensor, diagnostics: GRPOLossDiagnostics) {
        GRPOLoss.policyLoss(
            logProbs: logProbs ?? Tensor([-1.0, -0.5, -2.0, -0.3]), oldLogProbs: [-1.1, -0.5, -1.5, -0.2],
            refLogProbs: [-1.2, -0.6, -1.8, -0.3], advantages: [0.8660, 0.8660, 0.8660, -0.8660], lengths: [3, 1],
            epsLow: 0.2, epsHigh: 0.2, beta: 0.04, aggregation: aggregation, normalizingLength: 4)
    }

    func testAggregationExample() {
        XCTAssertEqual(aggregationExample(.seqMeanTokenMean).loss.item, 0.000705480, accuracy: 2e-7)
        XCTAssertEqual(aggregationExample(.tokenMean).loss.item, -0.390736381, accuracy: 1e-6)
        XCTAssertEqual(aggregationExample(.seqMeanTokenSumNorm).loss.item, -0.195368191, accuracy: 1e-6)
    }

    func testAggregationDiagnosticsSplitTheLoss() {
        for aggregation in LossAggregation.allCases {
            let (loss, d) = aggregationExample(aggregation)
            XCTAssertEqual(d.pgLoss + 0.04 * d.klLoss, Double(loss.item), accuracy: 1e-6, aggregation.rawValue)
            XCTAssertEqual(d.tokenCount, 4)
        }
        // token-mean k3 of the example: (k3(-1,-1.2) + k3(-.5,-.6) + k3(-2,-1.8) + 0) / 4.
        let k3 = (k3(logp: -1, ref: -1.2) + k3(logp: -0.5, ref: -0.6) + k3(logp: -2, ref: -1.8)) / 4
        XCTAssertEqual(aggregationExample(.tokenMean).diagnostics.klLoss, Double(k3), accuracy: 1e-7)
        // Ratios e^0.1, 1, e^-0.5, e^-0.1 with A > 0, > 0, > 0, < 0: the third is below 0.8, but with
        // A > 0 the unclipped term r·A is the smaller objective, so no token takes the clipped branch.
        let d = aggregationExample(.tokenMean).diagnostics
        XCTAssertEqual(d.pgClipfrac, 0)
        XCTAssertEqual(d.pgClipfracLower, 0)
        XCTAssertEqual(d.ppoKL, (-0.1 + 0 + 0.5 + 0.1) / 4, accuracy: 1e-7)
    }

    func testTokenWeights() {
        XCTAssertEqual(GRPOLoss.tokenWeights(lengths: [3, 1], aggregation: .tokenMean), [0.25, 0.25, 0.25, 0.25])
        XCTAssertEqual(GRPOLoss.tokenWeights(lengths: [2, 0, 1], aggregation: .seqMeanTokenMean), [0.25, 0.25, 0.5])
        XCTAssertEqual(GRPOLoss.tokenWeights(lengths: [2, 0, 1], aggregation: .seqMeanTokenSumNorm, normalizingLength: 4),
                       [0.125, 0.125, 0.125])
        XCTAssertEqual(LossAggregation(rawValue: "seq-mean-token-sum-norm"), .seqMeanTokenSumNorm)
    }

    func testClipFractions() {
        // eps 0.2 / 0.28. Token 0: A > 0, r > 1.28 (clipped). 1: inside. 2: A < 0, r < 0.8 (clipped, lower).
        // 3: A < 0, r > 1 (the unclipped term is larger: not clipped). 4: A = 0 (never clipped).
        let ratios: [Float] = [1.5, 1.1, 0.5, 1.5, 2.0]
        let (_, d) = GRPOLoss.policyLoss(
            logProbs: Tensor(ratios.map { Foundation.log($0) }), oldLogProbs: [0, 0, 0, 0, 0], refLogProbs: nil,
            advantages: [1, 1, -1, -1, 0], lengths: [5], epsLow: 0.2, epsHigh: 0.28, beta: 0, aggregation: .tokenMean)
        XCTAssertEqual(d.pgClipfrac, 0.4)
        XCTAssertEqual(d.pgClipfracLower, 0.2)
        XCTAssertEqual(d.ppoKL, -Double(ratios.map { Foundation.log($0) }.reduce(0, +)) / 5, accuracy: 1e-6)
        XCTAssertEqual(d.klLoss, 0)
    }

    func testClippedTokensGetNoGradient() {
        // A > 0 above 1 + eps_high and A < 0 below 1 - eps_low are flat; the others are not.
        let logp = Tensor([Foundation.log(Float(1.5)), Foundation.log(Float(0.5)), 0.05, -0.05], requiresGrad: true)
        let (loss, _) = GRPOLoss.policyLoss(
            logProbs: logp, oldLogProbs: [0, 0, 0, 0], refLogProbs: nil, advantages: [1, -1, 1, -1], lengths: [4],
            epsLow: 0.2, epsHigh: 0.28, beta: 0, aggregation: .tokenMean)
        loss.backward()
        let g = logp.grad!
        XCTAssertEqual(g[0], 0)
        XCTAssertEqual(g[1], 0)
        XCTAssertEqual(g[2], -Foundation.exp(0.05) / 4, accuracy: 1e-6)  // d(-A r)/dlogp = -A r
        XCTAssertEqual(g[3], Foundation.exp(-0.05) / 4, accuracy: 1e-6)
    }

    func testGradientMatchesFiniteDifferences() {
        // Ratios stay clear of the clip boundaries by more than h, so the loss is smooth there.
        let base: [Float] = [-1.0, -0.5, -2.0, -0.3, -0.9, -1.4]
        let old: [Float] = [-1.1, -0.5, -1.5, -0.2, -0.6, -1.45]
        let ref: [Float] = [-1.2, -0.6, -1.8, -0.3, -1.0, -1.0]
        let advantages: [Float] = [0.9, 0.9, 0.9, -0.4, -0.4, 1.3]
        let lengths = [3, 2, 1]
        for aggregation in LossAggregation.allCases {
            for beta: Float in [0, 0.04, 0.5] {
                func loss(_ values: [Float], record: Bool) -> (Float, [Float]) {
                    let x = Tensor(values, requiresGrad: record)
                    let (l, _) = GRPOLoss.policyLoss(
                        logProbs: x, oldLogProbs: old, refLogProbs: ref, advantages: advantages, lengths: lengths,
                        epsLow: 0.2, epsHigh: 0.28, beta: beta, aggregation: aggregation, normalizingLength: 5)
                    if record { l.backward() }
                    return (l.item, x.grad ?? [])
                }
                let analytic = loss(base, record: true).1
                let h: Float = 1e-2
                for i in base.indices {
                    var plus = base, minus = base
                    plus[i] += h
                    minus[i] -= h
                    let numeric = (Double(loss(plus, record: false).0) - Double(loss(minus, record: false).0))
                        / Double(plus[i] - minus[i])
                    XCTAssertEqual(Double(analytic[i]), numeric, accuracy: 1e-3 + 1e-2 * Swift.abs(numeric),
                                   "\(aggregation.rawValue) beta \(beta) token \(i)")
                }
            }
        }
    }

    func testEmptyBatchIsAConstantZero() {
        let (loss, d) = GRPOLoss.policyLoss(
            logProbs: Tensor([Float]()), oldLogProbs: [], refLogProbs: nil, advantages: [], lengths: [0, 0],
            epsLow: 0.2, epsHigh: 0.2, beta: 0, aggregation: .seqMeanTokenMean)
        XCTAssertEqual(loss.item, 0)
        XCTAssertFalse(loss.requiresGrad)
        XCTAssertEqual(d, GRPOLossDiagnostics())
    }

    // MARK: DAPO

    func testDynamicSamplingFilterVectors() {
        XCTAssertFalse(DynamicSampling.keeps(groupRewards: [1, 1, 1, 1]))
        XCTAssertFalse(DynamicSampling.keeps(groupRewards: [0, 0, 0, 0]))
        XCTAssertTrue(DynamicSampling.keeps(groupRewards: [1, 0, 1, 0]))
        XCTAssertTrue(DynamicSampling.keeps(groupRewards: [0, 0, 0, 1]))
        XCTAssertTrue(DynamicSampling.keeps(groupRewards: [-1, -1, 1, -1]))
        XCTAssertFalse(DynamicSampling.keeps(groupRewards: [1]))
        XCTAssertFalse(DynamicSampling.keeps(groupRewards: []))
    }

    func testSoftOverlongPunishmentVectors() {
        let punishment = SoftOverlongPunishment(maxLength: 10, cache: 4)
        let lengths = [5, 6, 7, 8, 10, 11]
        let expected: [Float] = [0, 0, -0.25, -0.5, -1, -1]
        for (length, value) in zip(lengths, expected) {
            XCTAssertEqual(punishment.penalty(length: length), value, accuracy: 1e-7, "|y| = \(length)")
        }
        XCTAssertEqual(punishment.penalty(length: 9), -0.75, accuracy: 1e-7)
        XCTAssertEqual(punishment.penalty(length: 0), 0)
    }

    func testPresets() {
        let grpo = GRPOSettings.grpo()
        XCTAssertEqual([grpo.epsLow, grpo.epsHigh, grpo.beta, grpo.learningRate], [0.2, 0.2, 0.04, 1e-6])
        XCTAssertEqual(grpo.aggregation, .seqMeanTokenMean)
        XCTAssertEqual(grpo.advantageScale, .group)
        XCTAssertEqual(grpo.groupSize, 64)
        XCTAssertNil(grpo.softOverlong)

        let dr = GRPOSettings.drGRPO(maxResponseLength: 64)
        XCTAssertEqual(dr.advantageScale, .none)
        XCTAssertEqual(dr.aggregation, .seqMeanTokenSumNorm)
        XCTAssertEqual(dr.beta, 0)
        XCTAssertEqual(dr.maxResponseLength, 64)

        let dapo = GRPOSettings.dapo()
        XCTAssertEqual([dapo.epsLow, dapo.epsHigh, dapo.beta], [0.2, 0.28, 0])
        XCTAssertEqual(dapo.aggregation, .tokenMean)
        XCTAssertEqual(dapo.softOverlong, SoftOverlongPunishment(maxLength: 20480, cache: 4096))
        XCTAssertTrue(dapo.dynamicSampling)
        XCTAssertEqual(dapo.warmupSteps, 20)
        XCTAssertEqual(dapo.groupSize, 16)
    }

    private func assertClose(_ actual: [Float], _ expected: [Float], accuracy: Float,
                             file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(actual.count, expected.count, file: file, line: line)
        for (i, (a, e)) in zip(actual, expected).enumerated() {
            XCTAssertEqual(a, e, accuracy: accuracy, "element \(i)", file: file, line: line)
        }
    }
}
