import FleetTensor
import Foundation
import XCTest

@testable import FleetAlgorithms

/// ``GRPOLearner``'s mechanics: teacher forcing, the first step's ratio of 1, the frozen reference,
/// overlong shaping and filtering, mini-batching, warm-up and determinism.
final class GRPOLearnerTests: XCTestCase {
    static let config = TransformerLM.Config(vocabulary: 6, contextLength: 8, width: 16, heads: 2, layers: 1)

    static func model(seed: UInt64 = 1) -> TransformerLM {
        var generator = RandomGenerator(seed: seed)
        return TransformerLM(config, using: &generator)
    }

    /// Groups of ragged random responses to prompts of two lengths, with behaviour log-probs taken
    /// from `model` itself (so the first ratio is 1) and rewards 1 for responses that start with 3.
    static func groups(model: TransformerLM, count: Int = 3, groupSize: Int = 4, seed: UInt64 = 5) -> [ResponseGroup] {
        var generator = RandomGenerator(seed: seed)
        var result: [ResponseGroup] = []
        for p in 0..<count {
            let prompt: [Int32] = p % 2 == 0 ? [1, 2] : [1, 4, 2]
            var responses: [[Int32]] = []
            for i in 0..<groupSize {
                let length = 1 + (i + p) % 4
                responses.append((0..<length).map { _ in Int32(generator.nextInt(below: 6)) })
            }
            let old = GRPOLearner.responseLogProbabilities(
                model: model, prompts: [[Int32]](repeating: prompt, count: groupSize), responses: responses)
            result.append(ResponseGroup(
                promptID: Int64(p), prompt: prompt, responses: responses, behaviourLogProbs: old,
                rewards: responses.map { $0.first == 3 ? 1 : 0 }.enumerated().map { Float($1) + Float($0 % 2) * 0.5 },
                truncated: responses.map { $0.count == 4 }, policyVersion: 0))
        }
        return result
    }

    func flat(_ model: TransformerLM) -> [Float] { model.namedParameters().flatMap(\.tensor.data) }

    // MARK: Teacher forcing

    func testTeacherForcedLogProbsMatchTheKeyValueCache() throws {
        // Prompts of different lengths and ragged responses in one padded batch: each token's
        // log-prob equals log_softmax of the logits after the tokens before it, fed one at a time.
        let lm = Self.model(seed: 3)
        var generator = RandomGenerator(seed: 9)
        for p in lm.namedParameters() { for i in 0..<p.tensor.count { p.tensor.data[i] += generator.nextFloat() - 0.5 } }
        let prompts: [[Int32]] = [[1, 2], [5], [0, 3, 4]]
        let responses: [[Int32]] = [[3, 3, 1, 0], [2], [5, 1]]
        let batched = GRPOLearner.responseLogProbabilities(model: lm, prompts: prompts, responses: responses)
        XCTAssertEqual(batched.map(\.count), [4, 1, 2])
        for index in prompts.indices {
            let prompt = prompts[index], response = responses[index]
            var cache = lm.makeCache(batch: 1)
            var logits = try lm.prefill(tokens: prompt, batch: 1, length: prompt.count, cache: &cache)
            for (j, token) in response.enumerated() {
                let logSoftmax = logits.logSoftmax().data
                XCTAssertEqual(batched[index][j], logSoftmax[Int(token)], accuracy: 1e-5, "prompt \(prompt) token \(j)")
                logits = try lm.step(tokens: [token], cache: &cache)
            }
        }
        // Alone or batched with others: the same values.
        let alone = GRPOLearner.responseLogProbabilities(model: lm, prompts: [prompts[1]], responses: [responses[1]])
        XCTAssertEqual(alone[0][0], batched[1][0], accuracy: 1e-6)
    }

    // MARK: The first step

    func testFirstStepHasRatioOneWhenBehaviourIsTheModel() {
        let lm = Self.model()
        let groups = Self.groups(model: lm)
        var settings = GRPOSettings.grpo(learningRate: 1e-2, maxResponseLength: 4)
        settings.ppoEpochs = 1
        settings.miniBatchSize = 1000
        let learner = GRPOLearner(policy: lm, settings: settings, seed: 1)
        let before = flat(lm)
        let s = learner.update(groups)
        XCTAssertEqual(s.optimizerSteps, 1)
        XCTAssertEqual(s.pgClipfrac, 0)
        XCTAssertEqual(s.pgClipfracLower, 0)
        XCTAssertEqual(s.ppoKL, 0, accuracy: 1e-6)
        XCTAssertEqual(s.klLoss, 0, accuracy: 1e-7, "the reference is the policy before the step")
        XCTAssertEqual(s.entropy, Foundation.log(6), accuracy: 0.05, "a fresh GPT-2 init is nearly uniform")
        XCTAssertGreaterThan(s.gradNorm, 0)
        XCTAssertNotEqual(flat(lm), before)
        // The second update sees the stepped policy: ratios move off 1, the reference stays behind.
        let second = learner.update(groups)
        XCTAssertGreaterThan(Swift.abs(second.ppoKL), 1e-6)
        XCTAssertGreaterThan(second.klLoss, 0)
    }

    /// Behaviour log-probs at the sampling temperature (verl's way): the learner's first mini-batch
    /// at lag 0 sees a ratio of 1 for temperature 0.7, and a learner that took them at temperature
    /// 1 would not.
    func testAtTemperatureSevenTenthsTheFirstRatioIsOne() throws {
        let lm = Self.model(seed: 3)
        let sampler = ResponseSampler(model: lm, eos: 5, maxResponseLength: 4, temperature: 0.7, topP: 0.9)
        var generator = RandomGenerator(seed: 11)
        let prompts: [[Int32]] = [[1, 2], [1, 3], [1, 4]]
        let sampled = try sampler.sample(prompts: prompts, groupSize: 4, using: &generator)
        let groups = zip(prompts, sampled).enumerated().map { p, pair in
            ResponseGroup(
                promptID: Int64(p), prompt: pair.0, responses: pair.1.responses, behaviourLogProbs: pair.1.logProbs,
                rewards: pair.1.responses.map { Float($0.count % 2) }, truncated: pair.1.truncated, policyVersion: 0)
        }
        let responses = groups.flatMap(\.responses)
        let behaviour = groups.flatMap(\.behaviourLogProbs).flatMap { $0 }
        let groupPrompts = groups.flatMap { g in g.responses.map { _ in g.prompt } }
        let atSeven = GRPOLearner.responseLogProbabilities(
            model: lm, prompts: groupPrompts, responses: responses, temperature: 0.7).flatMap { $0 }
        let atOne = GRPOLearner.responseLogProbabilities(model: lm, prompts: groupPrompts, responses: responses).flatMap { $0 }
        XCTAssertEqual(atSeven.count, behaviour.count)
        for (learner, actor) in zip(atSeven, behaviour) { XCTAssertEqual(learner, actor, accuracy: 2e-5) }
        XCTAssertGreaterThan(zip(atOne, behaviour).map { Swift.abs($0 - $1) }.max()!, 1e-2, "temperature 1 is another policy")

        var settings = GRPOSettings.grpo(learningRate: 1e-2, maxResponseLength: 4)
        settings.temperature = 0.7
        settings.miniBatchSize = 1000
        let first = GRPOLearner(policy: lm, settings: settings, seed: 1).update(groups)
        XCTAssertEqual(first.ppoKL, 0, accuracy: 1e-6)
        XCTAssertEqual(first.pgClipfrac, 0)
        XCTAssertEqual(first.pgClipfracLower, 0)
    }

    func testStatisticsNamesAndValues() {
        let lm = Self.model()
        let groups = Self.groups(model: lm)
        var settings = GRPOSettings.grpo(learningRate: 1e-3, maxResponseLength: 4)
        settings.softOverlong = SoftOverlongPunishment(maxLength: 4, cache: 2)
        let s = GRPOLearner(policy: lm, settings: settings, seed: 1).update(groups)
        XCTAssertEqual(s.scalars.map(\.tag), [
            "actor/pg_loss", "actor/pg_clipfrac", "actor/pg_clipfrac_lower", "actor/ppo_kl", "actor/kl_loss",
            "actor/entropy", "actor/grad_norm", "actor/lr", "critic/score/mean", "critic/rewards/mean",
            "critic/advantages/mean", "response_length/mean", "response_length/clip_ratio",
        ])
        let all = groups.flatMap(\.responses)
        let scores = groups.flatMap(\.rewards)
        XCTAssertEqual(s.responses, 12)
        XCTAssertEqual(s.responseLengthMean, Double(all.map(\.count).reduce(0, +)) / 12, accuracy: 1e-12)
        XCTAssertEqual(s.scoreMean, Double(scores.reduce(0, +)) / 12, accuracy: 1e-6)
        // Soft punishment with L_max 4, L_cache 2: length 3 loses 0.5, length 4 loses 1.
        let penalties = all.map { SoftOverlongPunishment(maxLength: 4, cache: 2).penalty(length: $0.count) }
        XCTAssertLessThan(penalties.reduce(0, +), 0)
        XCTAssertEqual(s.rewardMean, s.scoreMean + Double(penalties.reduce(0, +)) / 12, accuracy: 1e-6)
        XCTAssertEqual(s.responseLengthClipRatio, Double(all.filter { $0.count == 4 }.count) / 12, accuracy: 1e-12)
        XCTAssertEqual(s.learningRate, 1e-3)
        XCTAssertEqual(s.scalars.first { $0.tag == "actor/lr" }?.value, 1e-3)
    }

    // MARK: Reference

    func testReferenceIsAFrozenCopyOnlyWhenBetaIsPositive() throws {
        let lm = Self.model()
        let learner = GRPOLearner(policy: lm, settings: .grpo(learningRate: 1e-2, maxResponseLength: 4), seed: 1)
        let reference = try XCTUnwrap(learner.reference)
        XCTAssertFalse(reference === lm)
        XCTAssertEqual(reference.namedParameters().map(\.name), lm.namedParameters().map(\.name))
        XCTAssertEqual(flat(reference), flat(lm))
        XCTAssertTrue(reference.namedParameters().allSatisfy { !$0.tensor.requiresGrad })
        let frozen = flat(reference)
        _ = learner.update(Self.groups(model: lm))
        XCTAssertEqual(flat(reference), frozen)
        XCTAssertNotEqual(flat(lm), frozen)

        XCTAssertNil(GRPOLearner(policy: Self.model(), settings: .dapo(learningRate: 1e-2, maxResponseLength: 4, overlongCache: 2), seed: 1).reference)
        XCTAssertNil(GRPOLearner(policy: Self.model(), settings: .drGRPO(learningRate: 1e-2, maxResponseLength: 4), seed: 1).reference)
    }

    func testParametersAreThePolicys() {
        let lm = Self.model()
        let learner = GRPOLearner(policy: lm, settings: .dapo(learningRate: 1e-2, maxResponseLength: 4, overlongCache: 2), seed: 1)
        XCTAssertEqual(learner.policyParameters().map(\.name), lm.namedParameters().map(\.name))
        XCTAssertTrue(zip(learner.policyParameters(), lm.namedParameters()).allSatisfy { $0.tensor === $1.tensor })
        let exported = learner.exportWeights()
        XCTAssertEqual(exported.map(\.shape), lm.namedParameters().map(\.tensor.shape))
        XCTAssertEqual(exported.flatMap(\.values), flat(lm))
    }

    // MARK: Overlong filtering, empty responses

    func testOverlongFilteringLeavesTruncatedResponsesOut() {
        let lm = Self.model()
        var groups = Self.groups(model: lm)
        var settings = GRPOSettings.dapo(learningRate: 1e-2, maxResponseLength: 4, overlongCache: 2)
        settings.overlongFiltering = true
        let truncatedCount = groups.flatMap(\.truncated).filter { $0 }.count
        XCTAssertGreaterThan(truncatedCount, 0)
        let s = GRPOLearner(policy: lm, settings: settings, seed: 1).update(groups)
        XCTAssertEqual(s.responses, 12)
        XCTAssertEqual(s.responsesTrained, 12 - truncatedCount)

        // Everything truncated: nothing to train on, no step, weights unchanged.
        for g in groups.indices { groups[g].truncated = groups[g].truncated.map { _ in true } }
        let before = flat(lm)
        let none = GRPOLearner(policy: lm, settings: settings, seed: 1).update(groups)
        XCTAssertEqual(none.responsesTrained, 0)
        XCTAssertEqual(none.optimizerSteps, 0)
        XCTAssertEqual(flat(lm), before)
        XCTAssertEqual(none.responseLengthClipRatio, 1)
    }

    func testEmptyResponsesCountInTheGroupButNotInTheLoss() {
        let lm = Self.model()
        let group = ResponseGroup(promptID: 0, prompt: [1], responses: [[], [3], [2, 2]],
                                  behaviourLogProbs: [[], [-1.8], [-1.8, -1.8]], rewards: [0, 1, 0],
                                  truncated: [false, false, false], policyVersion: 0)
        let s = GRPOLearner(policy: lm, settings: .drGRPO(learningRate: 1e-2, maxResponseLength: 4), seed: 1).update([group])
        XCTAssertEqual(s.responsesTrained, 2)
        XCTAssertEqual(s.optimizerSteps, 1)
        // Dr. GRPO advantages: [-1/3, 2/3, -1/3]; per token over 3 tokens: (2/3 - 2/3) / 3 = 0.
        XCTAssertEqual(s.advantageMean, 0, accuracy: 1e-6)
    }

    // MARK: Mini-batches, warm-up, determinism

    func testMiniBatchesEpochsAndWarmup() {
        let lm = Self.model()
        var settings = GRPOSettings.dapo(learningRate: 4e-3, maxResponseLength: 4, overlongCache: 2)
        settings.warmupSteps = 4
        settings.ppoEpochs = 3
        settings.miniBatchSize = 5
        let learner = GRPOLearner(policy: lm, settings: settings, seed: 1)
        let groups = Self.groups(model: lm)
        let first = learner.update(groups)
        XCTAssertEqual(first.optimizerSteps, 3 * 3)  // 12 responses in mini-batches of 5, 5, 2
        XCTAssertEqual(first.learningRate, 1e-3, accuracy: 1e-15)
        XCTAssertGreaterThan(first.ppoKL.magnitude + first.pgClipfrac, 0, "later mini-batches see a moved policy")
        XCTAssertEqual(learner.update(groups).learningRate, 2e-3, accuracy: 1e-15)
        XCTAssertEqual(learner.update(groups).learningRate, 3e-3, accuracy: 1e-15)
        XCTAssertEqual(learner.update(groups).learningRate, 4e-3, accuracy: 1e-15)
        XCTAssertEqual(learner.update(groups).learningRate, 4e-3, accuracy: 1e-15)
        XCTAssertEqual(learner.iteration, 5)
        XCTAssertEqual(learner.update([]), GRPOStatistics())
        XCTAssertEqual(learner.iteration, 5, "an empty update does not count")
    }

    func testSameSeedSameWeights() {
        func run(seed: UInt64) -> [Float] {
            let lm = Self.model()
            var settings = GRPOSettings.grpo(learningRate: 1e-2, maxResponseLength: 4)
            settings.miniBatchSize = 4
            settings.ppoEpochs = 2
            let learner = GRPOLearner(policy: lm, settings: settings, seed: seed)
            let groups = Self.groups(model: Self.model())
            _ = learner.update(groups)
            _ = learner.update(groups)
            return flat(lm)
        }
        XCTAssertEqual(run(seed: 11), run(seed: 11))
        XCTAssertNotEqual(run(seed: 11), run(seed: 12), "the shuffle depends on the seed")
    }
}
