import XCTest

@testable import FleetTensor

/// The key/value cache's size: made for fewer positions than the context, it holds only those and
/// gives the same logits bit for bit; and sampling-sized steps through large weights (blocked
/// skinny products) agree with the full forward.
final class KeyValueCacheTests: XCTestCase {
    func model(_ config: TransformerLM.Config, seed: UInt64 = 1) -> TransformerLM {
        var generator = RandomGenerator(seed: seed)
        return TransformerLM(config, using: &generator)
    }

    func testACacheOfFewerPositionsHoldsOnlyThoseAndGivesTheSameLogits() throws {
        let config = TransformerLM.Config(vocabulary: 9, contextLength: 8, width: 8, heads: 2, layers: 2)
        let lm = model(config)
        var whole = lm.makeCache(batch: 2)
        var short = lm.makeCache(batch: 2, positions: 4)
        XCTAssertEqual(whole.keys[0].count, 2 * 2 * 8 * 4)
        XCTAssertEqual(short.keys[0].count, 2 * 2 * 4 * 4, "[batch, heads, positions, head dimension]")
        XCTAssertEqual(short.contextLength, 4)
        let prompt = [1, 5, 2, 7]
        XCTAssertEqual(try lm.prefill(tokens: prompt, batch: 2, length: 2, cache: &whole).data,
                       try lm.prefill(tokens: prompt, batch: 2, length: 2, cache: &short).data)
        for t in 0..<2 {
            XCTAssertEqual(try lm.step(tokens: [t, 3], cache: &whole).data, try lm.step(tokens: [t, 3], cache: &short).data)
        }
        XCTAssertTrue(short.isFull)
        XCTAssertThrowsError(try lm.step(tokens: [0, 0], cache: &short)) { error in
            XCTAssertEqual(error as? KeyValueCache.ContextFull, KeyValueCache.ContextFull(contextLength: 4))
        }
        var fresh = lm.makeCache(batch: 1, positions: 3)
        XCTAssertThrowsError(try lm.prefill(tokens: [1, 2, 3, 4], batch: 1, length: 4, cache: &fresh))
    }

    /// Width 512 and a 2100-token tied head: the head (1.08M weights) and the MLP's expansion
    /// (1.05M) are skinny products in a step of 3 rows, and plain sgemm in the forward's 3 x 6.
    func testStepsThroughLargeWeightsMatchTheFullForward() throws {
        let config = TransformerLM.Config(vocabulary: 2100, contextLength: 6, width: 512, heads: 4, layers: 1)
        XCTAssertGreaterThanOrEqual(config.vocabulary * config.width, BLAS.skinnyProductMinimumElements)
        let lm = model(config, seed: 4)
        var generator = RandomGenerator(seed: 5)
        let (batch, length) = (3, 6)
        let tokens = (0..<(batch * length)).map { _ in generator.nextInt(below: config.vocabulary) }
        let full = withNoGrad { lm.forward(tokens: tokens, batch: batch, length: length) }
        var cache = lm.makeCache(batch: batch)
        let v = config.vocabulary
        for t in 0..<length {
            let logits = try lm.step(tokens: (0..<batch).map { tokens[$0 * length + t] }, cache: &cache)
            var largest: Float = 0
            for b in 0..<batch {
                for j in 0..<v {
                    largest = max(largest, abs(logits.data[b * v + j] - full.data[(b * length + t) * v + j]))
                }
            }
            XCTAssertLessThan(largest, 1e-5, "position \(t)")
        }
    }
}
