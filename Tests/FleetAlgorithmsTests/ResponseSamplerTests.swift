import FleetTensor
import Foundation
import XCTest

@testable import FleetAlgorithms

/// Batched group sampling with the key/value cache: shapes, eos, truncation, determinism, and
/// agreement with the full forward pass (greedy choices and the recorded log-probs).
final class ResponseSamplerTests: XCTestCase {
    let config = TransformerLM.Config(vocabulary: 11, contextLength: 12, width: 16, heads: 2, layers: 2)
    let eos: Int32 = 2

    /// A model with parameters of order 1 (LayerNorm scales around 1), so that its next-token
    /// distributions are far from uniform and depend on the whole prefix.
    func randomizedModel(seed: UInt64 = 1) -> TransformerLM {
        var generator = RandomGenerator(seed: seed)
        let model = TransformerLM(config, using: &generator)
        for (name, tensor) in model.namedParameters() {
            let isScale = name.hasSuffix("norm1.weight") || name.hasSuffix("norm2.weight") || name == "finalNorm.weight"
            for i in 0..<tensor.count {
                let u = generator.nextFloat() - 0.5
                tensor.data[i] = isScale ? 1 + u : u
            }
        }
        return model
    }

    /// A model whose next-token logits are `logits` whatever the input: the final LayerNorm
    /// outputs its bias `e₀`, and column 0 of the (untied) head holds the logits.
    func constantModel(logits: [Float]) -> TransformerLM {
        var generator = RandomGenerator(seed: 5)
        let model = TransformerLM(
            TransformerLM.Config(vocabulary: logits.count, contextLength: 12, width: 8, heads: 2, layers: 1, tiedHead: false),
            using: &generator)
        let d = model.config.width
        model.finalNorm.weight.data = [Float](repeating: 0, count: d)
        model.finalNorm.bias.data = [1] + [Float](repeating: 0, count: d - 1)
        var head = [Float](repeating: 0, count: logits.count * d)
        for (v, logit) in logits.enumerated() { head[v * d] = logit }
        model.head!.weight.data = head
        return model
    }

    let prompts: [[Int32]] = [[1, 4, 7, 5], [1, 9, 3, 5], [1, 6, 6, 5]]

    func testShapesAndTheEndOfEachResponse() throws {
        let sampler = ResponseSampler(model: randomizedModel(), eos: eos, maxResponseLength: 6, temperature: 1, topP: 1)
        var generator = RandomGenerator(seed: 3)
        let groups = try sampler.sample(prompts: prompts, groupSize: 5, using: &generator)
        XCTAssertEqual(groups.count, 3)
        for group in groups {
            XCTAssertEqual(group.responses.count, 5)
            XCTAssertEqual(group.logProbs.count, 5)
            XCTAssertEqual(group.truncated.count, 5)
            for (response, (logProbs, truncated)) in zip(group.responses, zip(group.logProbs, group.truncated)) {
                XCTAssertEqual(logProbs.count, response.count)
                XCTAssertTrue(logProbs.allSatisfy { $0 <= 0 && $0.isFinite })
                XCTAssertTrue(response.allSatisfy { $0 >= 0 && Int($0) < config.vocabulary })
                XCTAssertFalse(response.dropLast().contains(eos), "nothing is sampled after eos: \(response)")
                if truncated {
                    XCTAssertEqual(response.count, 6)
                    XCTAssertNotEqual(response.last, eos)
                } else {
                    XCTAssertEqual(response.last, eos)
                }
            }
        }
        XCTAssertEqual(try sampler.sample(prompts: [], groupSize: 4, using: &generator), [])
    }

    /// eos has probability 0.3 at every position: responses end at their first eos, at different
    /// lengths, the rest are truncated at the limit, and each unfinished sequence draws exactly one
    /// number per position (finished ones draw none).
    func testSequencesStopAtEosAndTheRestAreTruncated() throws {
        let logits = (0..<6).map { $0 == 2 ? Foundation.log(Float(0.3)) : Foundation.log(Float(0.7 / 5)) }
        let sampler = ResponseSampler(model: constantModel(logits: logits), eos: eos, maxResponseLength: 6, temperature: 1, topP: 1)
        var generator = RandomGenerator(seed: 11)
        let start = generator
        let groups = try sampler.sample(prompts: [[1, 3, 4], [1, 5, 5]], groupSize: 32, using: &generator)
        let responses = groups.flatMap(\.responses), truncated = groups.flatMap(\.truncated)
        XCTAssertEqual(responses.count, 64)
        let lengths = Set(responses.map(\.count))
        XCTAssertTrue(lengths.contains(1) && lengths.contains(6) && lengths.count >= 4, "lengths \(lengths.sorted())")
        for (response, truncated) in zip(responses, truncated) {
            XCTAssertEqual(truncated, response.last != eos)
            XCTAssertEqual(response.firstIndex(of: eos).map { $0 + 1 } ?? 6, response.count)
        }
        XCTAssertTrue(truncated.contains(true) && truncated.contains(false))
        for (token, logProb) in zip(responses.joined(), groups.flatMap(\.logProbs).joined()) {
            XCTAssertEqual(logProb, logits[Int(token)], accuracy: 1e-5)
        }
        var expected = start
        for _ in 0..<responses.joined().count { _ = expected.nextDouble() }
        XCTAssertEqual(generator, expected, "one draw per sampled token, none after eos")
    }

    func testEosAtOnceAndNeverEos() throws {
        var generator = RandomGenerator(seed: 2)
        let always = ResponseSampler(
            model: constantModel(logits: [0, 0, 40, 0]), eos: eos, maxResponseLength: 5, temperature: 1, topP: 1)
        let ended = try always.sample(prompts: [[1, 3]], groupSize: 4, using: &generator)[0]
        XCTAssertEqual(ended.responses, [[2], [2], [2], [2]])
        XCTAssertEqual(ended.truncated, [false, false, false, false])
        let never = ResponseSampler(
            model: constantModel(logits: [0, 0, -40, 0]), eos: eos, maxResponseLength: 5, temperature: 0.5, topP: 0.9)
        let cut = try never.sample(prompts: [[1, 3]], groupSize: 4, using: &generator)[0]
        XCTAssertEqual(cut.responses.map(\.count), [5, 5, 5, 5])
        XCTAssertEqual(cut.truncated, [true, true, true, true])
    }

    func testTheSameGeneratorStateGivesTheSameGroups() throws {
        let sampler = ResponseSampler(model: randomizedModel(), eos: eos, maxResponseLength: 8, temperature: 0.8, topP: 0.9)
        var a = RandomGenerator(seed: 21), b = RandomGenerator(seed: 21), c = RandomGenerator(seed: 22)
        let first = try sampler.sample(prompts: prompts, groupSize: 4, using: &a)
        let second = try sampler.sample(prompts: prompts, groupSize: 4, using: &b)
        XCTAssertEqual(first, second)
        XCTAssertEqual(a, b)
        XCTAssertNotEqual(try sampler.sample(prompts: prompts, groupSize: 4, using: &c).map(\.responses), first.map(\.responses))
    }

    /// Greedy decoding with the cache chooses, at every position, the argmax of a full forward pass
    /// over the sequence so far (recomputed from scratch each time).
    func testGreedyIsTheArgmaxOfTheFullForwardAtEveryStep() throws {
        let model = randomizedModel(seed: 4)
        let sampler = ResponseSampler(model: model, eos: eos, maxResponseLength: 8, temperature: 1, topP: 1)
        let greedy = try sampler.greedy(prompts: prompts)
        XCTAssertEqual(greedy.count, prompts.count)
        for (prompt, response) in zip(prompts, greedy) {
            var sequence = prompt
            var expected: [Int32] = []
            while expected.count < 8 {
                let logits = withNoGrad { model.forward(tokens: sequence, batch: 1, length: sequence.count) }
                let v = config.vocabulary, last = (sequence.count - 1) * v
                let row = Array(logits.data[last..<(last + v)])
                let token = Int32(row.indices.max { row[$0] < row[$1] || (row[$0] == row[$1] && $0 > $1) }!)
                expected.append(token)
                sequence.append(token)
                if token == eos { break }
            }
            XCTAssertEqual(response, expected, "prompt \(prompt)")
        }
        XCTAssertTrue(greedy.contains { $0.count > 1 }, "the test should see several steps: \(greedy)")
    }

    /// The recorded behaviour log-probs are the log-softmax at the sampling temperature of a
    /// teacher-forced forward pass over prompt + response at the response positions: GRPO's ratio
    /// starts at 1.
    func testLogProbsMatchTheTeacherForcedForward() throws {
        let model = randomizedModel(seed: 6)
        let sampler = ResponseSampler(model: model, eos: eos, maxResponseLength: 8, temperature: 0.7, topP: 0.9)
        var generator = RandomGenerator(seed: 8)
        let groups = try sampler.sample(prompts: prompts, groupSize: 4, using: &generator)
        var compared = 0
        for (prompt, group) in zip(prompts, groups) {
            for (response, logProbs) in zip(group.responses, group.logProbs) {
                let sequence = prompt + response
                let logSoftmax = withNoGrad {
                    (model.forward(tokens: sequence, batch: 1, length: sequence.count) * (1 / Float(0.7))).logSoftmax()
                }
                let v = config.vocabulary
                for (k, token) in response.enumerated() {
                    let position = prompt.count - 1 + k  // the position whose output predicts response[k]
                    XCTAssertEqual(logProbs[k], logSoftmax.data[position * v + Int(token)], accuracy: 1e-5,
                                   "prompt \(prompt), response \(response), token \(k)")
                    compared += 1
                }
            }
        }
        XCTAssertGreaterThan(compared, 30)
    }

    func testRequestsThatCannotFitAreRefusedBeforeAnythingIsDrawn() {
        let model = randomizedModel()
        var generator = RandomGenerator(seed: 1)
        let start = generator
        let long = ResponseSampler(model: model, eos: eos, maxResponseLength: 9, temperature: 1, topP: 1)
        XCTAssertThrowsError(try long.sample(prompts: prompts, groupSize: 2, using: &generator)) { error in
            XCTAssertEqual(error as? ResponseSamplingError,
                           .exceedsContext(promptLength: 4, maxResponseLength: 9, contextLength: 12))
        }
        XCTAssertThrowsError(try long.greedy(prompts: prompts))
        let fits = ResponseSampler(model: model, eos: eos, maxResponseLength: 8, temperature: 1, topP: 1)
        XCTAssertThrowsError(try fits.sample(prompts: [[1, 2, 3, 4], [1, 2, 3]], groupSize: 2, using: &generator)) { error in
            XCTAssertEqual(error as? ResponseSamplingError, .unequalPromptLengths(expected: 4, found: 3, index: 1))
        }
        XCTAssertThrowsError(try fits.sample(prompts: [[1, 11, 3, 4]], groupSize: 2, using: &generator)) { error in
            XCTAssertEqual(error as? ResponseSamplingError, .tokenOutOfVocabulary(token: 11, vocabulary: 11))
        }
        XCTAssertThrowsError(try fits.greedy(prompts: [[]]))
        XCTAssertEqual(generator, start)
        // Exactly the context: allowed.
        XCTAssertNoThrow(try fits.sample(prompts: prompts, groupSize: 2, using: &generator))
    }
}
