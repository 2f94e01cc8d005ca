import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// Prompts of different lengths sampled one batch per length: groups come back one per prompt in
/// prompt order, deterministic for a seed; prompts of one length are exactly the batch sampler's call.
final class MixedLengthSamplingTests: XCTestCase {
    let config = TransformerLM.Config(vocabulary: 11, contextLength: 12, width: 16, heads: 2, layers: 2)

    /// A model with parameters of order 1, so its distributions depend on the whole prefix.
    func randomizedModel() -> TransformerLM {
        var generator = RandomGenerator(seed: 1)
        let model = TransformerLM(config, using: &generator)
        for (_, tensor) in model.namedParameters() {
            for i in 0..<tensor.count { tensor.data[i] = generator.nextFloat() - 0.5 }
        }
        return model
    }

    func sampler(maxResponseLength: Int = 5) -> ResponseSampler {
        ResponseSampler(model: randomizedModel(), eos: 2, maxResponseLength: maxResponseLength, temperature: 1, topP: 1)
    }

    let mixed: [[Int32]] = [[1, 4, 7, 5], [1, 9, 5], [1, 6, 6, 5], [1, 3], [1, 8, 4]]

    func testPromptsOfOneLengthAreOneBatchWithTheSameDraws() throws {
        let sampler = sampler()
        let equal: [[Int32]] = [[1, 4, 7, 5], [1, 9, 3, 5], [1, 6, 6, 5]]
        var a = RandomGenerator(seed: 3), b = RandomGenerator(seed: 3)
        XCTAssertEqual(
            try sampler.sampleMixedLengths(prompts: equal, groupSize: 4, using: &a),
            try sampler.sample(prompts: equal, groupSize: 4, using: &b))
        XCTAssertEqual(a.state, b.state)
        XCTAssertEqual(try sampler.greedyMixedLengths(prompts: equal), try sampler.greedy(prompts: equal))
        XCTAssertEqual(try sampler.sampleMixedLengths(prompts: [], groupSize: 4, using: &a), [])
    }

    func testMixedLengthsGiveOneGroupPerPromptInOrderBatchedByLength() throws {
        let sampler = sampler()
        var generator = RandomGenerator(seed: 7)
        let groups = try sampler.sampleMixedLengths(prompts: mixed, groupSize: 3, using: &generator)
        XCTAssertEqual(groups.count, mixed.count)
        for group in groups {
            XCTAssertEqual(group.responses.count, 3)
            XCTAssertEqual(group.logProbs.map(\.count), group.responses.map(\.count))
        }
        // The lengths in order of first appearance (4, 3, 2), each one batch, from one generator.
        var byHand = RandomGenerator(seed: 7)
        let four = try sampler.sample(prompts: [mixed[0], mixed[2]], groupSize: 3, using: &byHand)
        let three = try sampler.sample(prompts: [mixed[1], mixed[4]], groupSize: 3, using: &byHand)
        let two = try sampler.sample(prompts: [mixed[3]], groupSize: 3, using: &byHand)
        XCTAssertEqual(groups, [four[0], three[0], four[1], two[0], three[1]])
        XCTAssertEqual(generator.state, byHand.state)

        // The same seed, the same groups; another seed, others.
        var again = RandomGenerator(seed: 7), other = RandomGenerator(seed: 8)
        XCTAssertEqual(try sampler.sampleMixedLengths(prompts: mixed, groupSize: 3, using: &again), groups)
        XCTAssertNotEqual(try sampler.sampleMixedLengths(prompts: mixed, groupSize: 3, using: &other), groups)

        let greedy = try sampler.greedyMixedLengths(prompts: mixed)
        let greedyFour = try sampler.greedy(prompts: [mixed[0], mixed[2]])
        let greedyThree = try sampler.greedy(prompts: [mixed[1], mixed[4]])
        XCTAssertEqual(greedy, [greedyFour[0], greedyThree[0], greedyFour[1], try sampler.greedy(prompts: [mixed[3]])[0], greedyThree[1]])
    }

    func testABadPromptAnywhereThrowsBeforeAnythingIsDrawn() throws {
        let sampler = sampler(maxResponseLength: 8)
        var generator = RandomGenerator(seed: 3)
        let before = generator.state
        XCTAssertThrowsError(try sampler.sampleMixedLengths(prompts: [[1, 3], [1, 4, 5, 6, 7]], groupSize: 2, using: &generator)) {
            XCTAssertEqual($0 as? ResponseSamplingError, .exceedsContext(promptLength: 5, maxResponseLength: 8, contextLength: 12))
        }
        XCTAssertThrowsError(try sampler.sampleMixedLengths(prompts: [[1, 3], []], groupSize: 2, using: &generator)) {
            XCTAssertEqual($0 as? ResponseSamplingError, .emptyPrompt)
        }
        XCTAssertThrowsError(try sampler.greedyMixedLengths(prompts: [[1, 3], [1, 11, 4]])) {
            XCTAssertEqual($0 as? ResponseSamplingError, .tokenOutOfVocabulary(token: 11, vocabulary: 11))
        }
        XCTAssertEqual(generator.state, before)
    }
}
