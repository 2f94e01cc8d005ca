import FleetTensor
import Foundation
import XCTest

@testable import FleetAlgorithms

/// GRPO and DAPO must learn: a tiny TransformerLM on a one-token bandit (prompt `[1]`, one response
/// token, reward for token 3) sampled from the model itself, starting near uniform (P(3) ~ 1/6).
final class GRPOLearningTests: XCTestCase {
    static let config = TransformerLM.Config(vocabulary: 6, contextLength: 8, width: 16, heads: 2, layers: 1)
    static let prompt: [Int32] = [1]
    static let target = 3

    /// P(target | prompt) under `model`.
    static func targetProbability(_ model: TransformerLM) -> Double {
        withNoGrad {
            let logits = model.forward(tokens: prompt, batch: 1, length: prompt.count)
            return Double(Foundation.exp(logits.reshaped([config.vocabulary]).logSoftmax().data[target]))
        }
    }

    /// `prompts` groups of `settings.groupSize` one-token responses sampled from `model` (reward
    /// `hit` for the target, `miss` otherwise).
    static func sampleGroups(_ model: TransformerLM, prompts: Int, settings: GRPOSettings, hit: Float, miss: Float,
                             version: UInt64, generator: inout RandomGenerator) -> [ResponseGroup] {
        let g = settings.groupSize
        let logits = withNoGrad {
            model.forward(tokens: [Int32](repeating: prompt[0], count: prompts * g), batch: prompts * g, length: 1)
        }
        let draws = Sampling.sample(logits: logits.reshaped([prompts * g, config.vocabulary]),
                                    temperature: settings.temperature, topP: settings.topP, using: &generator)
        return (0..<prompts).map { p in
            let mine = draws[(p * g)..<((p + 1) * g)]
            return ResponseGroup(
                promptID: Int64(p), prompt: prompt, responses: mine.map { [Int32($0.token)] },
                behaviourLogProbs: mine.map { [$0.logProb] }, rewards: mine.map { $0.token == target ? hit : miss },
                truncated: [Bool](repeating: false, count: g), policyVersion: version)
        }
    }

    /// Trains for `updates` updates; returns P(target) before and after each update.
    static func train(_ settings: GRPOSettings, updates: Int, hit: Float, miss: Float, seed: UInt64 = 1) -> [Double] {
        var generator = RandomGenerator(seed: seed)
        let model = TransformerLM(config, using: &generator)
        let learner = GRPOLearner(policy: model, settings: settings, seed: seed &+ 1)
        var curve = [targetProbability(model)]
        for u in 0..<updates {
            let groups = sampleGroups(model, prompts: 4, settings: settings, hit: hit, miss: miss,
                                      version: UInt64(u), generator: &generator)
            let statistics = learner.update(groups)
            precondition(statistics.nonFiniteSkipped == 0)
            curve.append(targetProbability(model))
        }
        return curve
    }

    func testGRPOLearnsTheBandit() {
        var settings = GRPOSettings.grpo(learningRate: 1e-2, maxResponseLength: 1)
        settings.groupSize = 8
        settings.miniBatchSize = 16
        settings.ppoEpochs = 2
        let curve = Self.train(settings, updates: 40, hit: 1, miss: 0)
        XCTAssertEqual(curve[0], 1.0 / 6, accuracy: 0.03, "starts near uniform")
        XCTAssertGreaterThan(curve.last!, 0.9, "GRPO curve \(curve.map { String(format: "%.3f", $0) })")
    }

    func testDAPOLearnsTheBandit() {
        var settings = GRPOSettings.dapo(learningRate: 1e-2, maxResponseLength: 4, overlongCache: 2)
        settings.groupSize = 8
        settings.miniBatchSize = 16
        settings.warmupSteps = 5
        let curve = Self.train(settings, updates: 40, hit: 1, miss: -1)
        XCTAssertEqual(curve[0], 1.0 / 6, accuracy: 0.03, "starts near uniform")
        XCTAssertGreaterThan(curve.last!, 0.9, "DAPO curve \(curve.map { String(format: "%.3f", $0) })")
    }

    func testDrGRPOLearnsTheBandit() {
        var settings = GRPOSettings.drGRPO(learningRate: 1e-2, maxResponseLength: 1)
        settings.groupSize = 8
        settings.miniBatchSize = 16
        let curve = Self.train(settings, updates: 40, hit: 1, miss: 0)
        XCTAssertGreaterThan(curve.last!, 0.9, "Dr. GRPO curve \(curve.map { String(format: "%.3f", $0) })")
    }

    /// The control: with a reward that ignores the token there is nothing to learn, and P(3) must not
    /// rise past 0.9 (so the tests above can fail).
    func testNoSignalNoLearning() {
        var settings = GRPOSettings.grpo(learningRate: 1e-2, maxResponseLength: 1)
        settings.groupSize = 8
        settings.miniBatchSize = 16
        let curve = Self.train(settings, updates: 40, hit: 1, miss: 1)
        XCTAssertLessThan(curve.last!, 0.5, "curve \(curve.map { String(format: "%.3f", $0) })")
    }
}
