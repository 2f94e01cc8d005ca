import FleetTensor
import Foundation
import XCTest

@testable import FleetAlgorithms

/// Supervised warm start: the teacher-forced batch, the masked loss, and learning a copy task.
final class SupervisedTrainerTests: XCTestCase {
    override func setUp() { Determinism.enable() }

    func model(_ config: TransformerLM.Config, seed: UInt64 = 1) -> TransformerLM {
        var generator = RandomGenerator(seed: seed)
        return TransformerLM(config, using: &generator)
    }

    func testBatchIsShiftedRightPaddedAndMaskedToTheDemonstration() {
        let config = TransformerLM.Config(vocabulary: 12, contextLength: 4, width: 8, heads: 2, layers: 1)
        let batch = SupervisedTrainer.batch(prompts: [[1, 7], [1, 8, 9], [1]], demonstrations: [[3, 2], [4], [5, 2]], config: config)
        XCTAssertEqual(batch.sequences, 3)
        XCTAssertEqual(batch.length, 3)
        XCTAssertEqual(batch.inputs, [1, 7, 3, /**/ 1, 8, 9, /**/ 1, 5, 0])
        XCTAssertEqual(batch.targets, [7, 3, 2, /**/ 8, 9, 4, /**/ 5, 2, 0])
        XCTAssertEqual(batch.mask, [0, 1, 1, /**/ 0, 0, 1, /**/ 1, 1, 0])
        XCTAssertEqual(batch.tokenCount, 5)
    }

    /// The loss is the mean cross-entropy over demonstration tokens, computed independently here
    /// from a forward pass; padding a short pair to a longer one's length changes nothing: the
    /// batched loss is the token-weighted mean of the pairs' own losses.
    func testLossIsTheMaskedTokenMeanAndPaddingDoesNotChangeIt() {
        let config = TransformerLM.Config(vocabulary: 12, contextLength: 8, width: 16, heads: 2, layers: 2)
        let short: ([Int32], [Int32]) = ([1, 7, 8, 5], [7, 2])
        let long: ([Int32], [Int32]) = ([1, 9, 6], [9, 6, 10, 11, 2])

        let reference = model(config)
        let sequence = (short.0 + short.1).map(Int.init)
        let logSoftmax = withNoGrad { reference.forward(tokens: Array(sequence.dropLast()), batch: 1, length: 5).logSoftmax() }
        var expected = 0.0
        for t in 3..<5 { expected -= Double(logSoftmax.data[t * 12 + sequence[t + 1]]) }
        expected /= 2

        let alone = SupervisedTrainer(model: model(config), learningRate: 1e-3).step(prompts: [short.0], demonstrations: [short.1])
        XCTAssertEqual(alone.loss, expected, accuracy: 1e-5)
        let longAlone = SupervisedTrainer(model: model(config), learningRate: 1e-3).step(prompts: [long.0], demonstrations: [long.1])
        let together = SupervisedTrainer(model: model(config), learningRate: 1e-3)
            .step(prompts: [short.0, long.0], demonstrations: [short.1, long.1])
        XCTAssertEqual(together.loss, (2 * alone.loss + 5 * longAlone.loss) / 7, accuracy: 1e-5)
        XCTAssertEqual(together.tokenAccuracy, (2 * alone.tokenAccuracy + 5 * longAlone.tokenAccuracy) / 7, accuracy: 1e-9)
    }

    func testWarmUpRampsTheLearningRateAndEveryUpdateMovesTheModel() {
        let config = TransformerLM.Config(vocabulary: 12, contextLength: 8, width: 16, heads: 2, layers: 1)
        let lm = model(config)
        let trainer = SupervisedTrainer(model: lm, learningRate: 1e-2, warmupSteps: 4, maxGradientNorm: 1)
        var rates: [Double] = []
        for _ in 0..<5 {
            let before = lm.tokenEmbedding.weight.data
            trainer.step(prompts: [[1, 6, 7, 5]], demonstrations: [[6, 7, 2]])
            rates.append(trainer.optimizer.learningRate)
            XCTAssertNotEqual(lm.tokenEmbedding.weight.data, before)
        }
        for (rate, expected) in zip(rates, [2.5e-3, 5e-3, 7.5e-3, 1e-2, 1e-2]) { XCTAssertEqual(rate, expected, accuracy: 1e-12) }
        XCTAssertEqual(trainer.updates, 5)
        XCTAssertEqual(trainer.skippedUpdates, 0)
    }

    /// Copy task: prompt `[bos, a, b, 5]`, demonstration `[a, b, eos]` with a, b in 6..<12 (all 36
    /// pairs in every batch), 100 updates at 1e-2 after 10 of warm-up. The loss starts near ln 12
    /// and must fall below 0.05, and greedy decoding must reproduce at least 30 of the 36
    /// demonstrations. Observed for seeds 1, 2, 3, 7: every demonstration reproduced after 50
    /// updates, loss about 0.001 after 100 (seed 7 is tested; about 4 s in debug).
    func testLearnsToCopyAndGreedySamplingReproducesTheDemonstrations() throws {
        let config = TransformerLM.Config(vocabulary: 12, contextLength: 8, width: 32, heads: 4, layers: 1)
        let lm = model(config, seed: 7)
        let trainer = SupervisedTrainer(model: lm, learningRate: 1e-2, warmupSteps: 10, maxGradientNorm: 1)
        var prompts: [[Int32]] = [], demonstrations: [[Int32]] = []
        for a in Int32(6)..<12 {
            for b in Int32(6)..<12 {
                prompts.append([1, a, b, 5])
                demonstrations.append([a, b, 2])
            }
        }
        let first = trainer.step(prompts: prompts, demonstrations: demonstrations)
        var last = first
        for _ in 0..<100 { last = trainer.step(prompts: prompts, demonstrations: demonstrations) }
        XCTAssertEqual(first.loss, Foundation.log(12), accuracy: 0.5)
        XCTAssertLessThan(last.loss, 0.05, "loss \(first.loss) -> \(last.loss)")
        XCTAssertGreaterThan(last.tokenAccuracy, 0.9)

        let sampler = ResponseSampler(model: lm, eos: 2, maxResponseLength: 4, temperature: 0, topP: 1)
        let greedy = try sampler.greedy(prompts: prompts)
        let reproduced = zip(greedy, demonstrations).filter { $0 == $1 }.count
        XCTAssertGreaterThanOrEqual(reproduced, 30, "greedy reproduced \(reproduced) of 36")
    }
}
