import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// V-trace in the PPO learner (APPO) and IMPALA's loss: ratios against the behaviour policy,
/// GAE's targets when nothing is stale, the loss IMPALA reports, and determinism.
final class VTraceLearnerTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    private func learner(_ settings: PPOSettings, seed: UInt64 = 1, threads: Int = 1) -> PPOLearner {
        PPOLearner(agent: CartPoleCollector.agent(seed: seed), settings: settings, seed: seed, threads: threads)
    }

    private static let vtrace = PPOSettings(advantageEstimator: .vtrace, vtraceLambda: 0.95)
    private static let impala = PPOSettings(
        learningRate: 1e-3, advantageEstimator: .vtrace, vtraceLambda: 1, policyLoss: .impala)

    /// A batch the learner's own policy just sampled: pi = mu, so V-trace's targets with c_t = lambda
    /// are GAE's returns.
    func testOnPolicyTargetsAreGAEReturns() {
        let vtrace = learner(Self.vtrace), gae = learner(PPOSettings())
        var collector = CartPoleCollector(numEnvs: 4, numSteps: 64, seed: 1)
        let rollout = collector.collect(with: vtrace.agent)
        let corrected = vtrace.prepare([rollout]), plain = gae.prepare([rollout])
        XCTAssertEqual(corrected.logRatios.count, rollout.rewards.count)
        XCTAssertLessThanOrEqual(corrected.logRatios.map(abs).max()!, 1e-6, "the acting policy is the learner's")
        XCTAssertTrue(plain.logRatios.isEmpty)
        for (v, r) in zip(corrected.returns, plain.returns) { XCTAssertEqual(v, r, accuracy: 1e-4) }
        XCTAssertNotEqual(corrected.advantages, plain.advantages, "V-trace's advantages are one-step, not GAE's")
    }

    /// A batch of an older policy: the ratios move away from 1 and the targets from GAE's.
    func testAStaleBatchIsCorrected() {
        let appo = learner(Self.vtrace)
        var collector = CartPoleCollector(numEnvs: 4, numSteps: 64, seed: 2)
        let stale = collector.collect(with: appo.agent)
        for _ in 0..<3 { _ = appo.update([collector.collect(with: appo.agent)]) }
        let corrected = appo.prepare([stale])
        XCTAssertGreaterThan(corrected.logRatios.map(abs).max()!, 1e-3)
        XCTAssertTrue(corrected.logRatios.contains { $0 > 0 }, "some ratios above 1, clipped at rho_bar")
        let uncorrected = learner(PPOSettings(advantageEstimator: .vtrace, vtraceRhoClip: 1e9, vtraceCClip: 1e9, vtraceLambda: 0.95))
        // Same weights as the corrected learner, but without clipping: the targets differ.
        try! uncorrected.restoreState(appo.exportState())
        XCTAssertNotEqual(uncorrected.prepare([stale]).returns, corrected.returns)
    }

    /// IMPALA's reported losses are its definitions on the batch before the step:
    /// `-mean(A log pi)` and `0.5 mean((v - V)^2)`; one step is taken.
    func testIMPALALossesAreTheirDefinitions() {
        let impala = learner(Self.impala)
        var collector = CartPoleCollector(numEnvs: 4, numSteps: 32, seed: 3)
        let rollout = collector.collect(with: impala.agent)
        let prepared = impala.prepare([rollout])
        let batch = prepared.batch
        let logProbs = withNoGrad {
            impala.agent.distribution(Tensor(batch.observations, shape: [batch.count, 4])).logProb(batch.actions).data
        }
        var policyLoss = 0.0, valueLoss = 0.0
        for i in 0..<batch.count {
            policyLoss -= Double(prepared.advantages[i]) * Double(logProbs[i])
            let error = Double(prepared.returns[i]) - Double(prepared.values[i])
            valueLoss += 0.5 * error * error
        }
        let fresh = learner(Self.impala)
        let before = flatParameters(fresh.agent)
        let statistics = fresh.update([rollout])
        XCTAssertEqual(statistics.policyLoss, policyLoss / Double(batch.count), accuracy: 1e-5)
        XCTAssertEqual(statistics.valueLoss, valueLoss / Double(batch.count), accuracy: 1e-5)
        XCTAssertEqual(statistics.epochsRun, 1)
        XCTAssertEqual(statistics.gradientNormNonFinite, 0)
        XCTAssertGreaterThan(statistics.entropy, 0.6)
        XCTAssertNotEqual(flatParameters(fresh.agent), before)
        // One Adam step of lr 1e-3: no parameter moves by much more than the learning rate.
        let largest = zip(flatParameters(fresh.agent), before).map { abs($0 - $1) }.max()!
        XCTAssertLessThanOrEqual(largest, 1.1e-3)
    }

    func testIMPALAAndAPPOAreDeterministicAcrossThreads() {
        for settings in [Self.impala, Self.vtrace] {
            var runs: [[UInt32]] = []
            for threads in [1, 2] {
                let trained = learner(settings, seed: 4, threads: threads)
                var collector = CartPoleCollector(numEnvs: 4, numSteps: 32, seed: 4)
                let stale = collector.collect(with: trained.agent)
                for _ in 0..<2 { _ = trained.update([stale, collector.collect(with: trained.agent)]) }
                runs.append(flatParameters(trained.agent).map(\.bitPattern))
            }
            XCTAssertEqual(runs[0], runs[1], "\(settings.policyLoss)")
        }
    }
}
