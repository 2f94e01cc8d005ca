import FleetAlgorithms
import FleetTensor
import XCTest

@testable import FleetBench

/// `fleet bench lm`: its figures are well formed, its no-cache baseline samples the same tokens as
/// the sampler, and its FLOP counts add up; no timing is asserted.
final class LanguageModelBenchmarkTests: XCTestCase {
    func testFiguresAreWellFormed() throws {
        var settings = LanguageModelBenchmark.Settings(rounds: 1, learnerUpdates: 1)
        settings.prompts = 2
        settings.groupSize = 4
        let figures = try LanguageModelBenchmark.figures(settings: settings)
        XCTAssertEqual(figures.count, 3)
        for figure in figures {
            XCTAssertEqual(figure.suite, "lm")
            XCTAssertEqual(figure.unit, "tokens/s")
            XCTAssertTrue(figure.higherIsBetter)
            XCTAssertTrue(figure.name.contains("2 prompts x G 4"), figure.name)
            for number in [figure.value, figure.baselineValue, figure.ratio] {
                XCTAssertTrue(number.isFinite && number > 0, "\(figure.name): \(number)")
            }
        }
        XCTAssertEqual(figures[0].baseline, "full forward per token, no cache")
        XCTAssertTrue(figures[0].detail?.contains("same tokens") ?? false, figures[0].detail ?? "no detail")
        XCTAssertEqual(figures[1].baseline, "sgemm roofline, 1 thread")
        XCTAssertEqual(figures[1].value, figures[0].value)
        XCTAssertTrue(figures[2].name.hasPrefix("learner"), figures[2].name)
        XCTAssertTrue(figures[2].detail?.hasPrefix("8 x 31 positions") ?? false, figures[2].detail ?? "no detail")
        XCTAssertTrue(BenchReport(figures: figures).table().contains("KV cache"))
    }

    /// The baseline is the sampler's own loop without the cache: from the same generator state it
    /// draws the same tokens, eos handling included.
    func testTheNoCacheBaselineSamplesTheSameTokens() throws {
        let config = TransformerLM.Config(vocabulary: 6, contextLength: 10, width: 16, heads: 2, layers: 2)
        var generator = RandomGenerator(seed: 9)
        let model = TransformerLM(config, using: &generator)
        let sampler = ResponseSampler(model: model, eos: 2, maxResponseLength: 6, temperature: 1, topP: 1)
        let prompts: [[Int32]] = [[1, 3, 4, 5], [1, 5, 5, 3]]
        var a = RandomGenerator(seed: 1), b = RandomGenerator(seed: 1)
        let cached = try sampler.sample(prompts: prompts, groupSize: 8, using: &a).flatMap(\.responses)
        let uncached = try LanguageModelBenchmark.sampleWithoutCache(sampler, prompts: prompts, groupSize: 8, using: &b)
        XCTAssertEqual(uncached, cached)
        XCTAssertEqual(a, b)
        XCTAssertTrue(cached.contains { $0.last == 2 } && cached.contains { $0.count == 6 && $0.last != 2 })
    }

    func testFLOPCounts() {
        // width 2, one layer, vocabulary 3: 12·4 + 2·keys·2 multiply-adds, + 6 with the head.
        let config = TransformerLM.Config(vocabulary: 3, contextLength: 4, width: 2, heads: 1, layers: 1)
        XCTAssertEqual(LanguageModelBenchmark.multiplyAdds(config, keys: 3, head: false), 60)
        XCTAssertEqual(LanguageModelBenchmark.multiplyAdds(config, keys: 3, head: true), 66)
        // Two rows of 2 positions: (52 + 6) + (56 + 6) multiply-adds each.
        XCTAssertEqual(LanguageModelBenchmark.forwardFLOPs(config, rows: 2, length: 2), 2 * 2 * 120)
        // A 2-token prompt (head at its last position only), then one step at 3 keys.
        XCTAssertEqual(LanguageModelBenchmark.cachedSamplingFLOPs(config, rows: 2, promptLength: 2, steps: 1),
                       2 * 2 * (52 + 62 + 66))
    }
}
