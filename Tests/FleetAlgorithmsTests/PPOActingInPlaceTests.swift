import FleetEnvironments
import FleetTensor
import XCTest

@testable import FleetAlgorithms

/// An actor's acting path (in place, no graph, no allocation) draws what the graph-built policy
/// draws, bit for bit, and leaves the generator where the graph path leaves it.
final class PPOActingInPlaceTests: XCTestCase {
    private func assertSameAsGraph(normalize: Bool, actions: Int, count: Int) {
        var generator = RandomGenerator(seed: 11)
        let agent = PPOAgent(
            observationSize: 5, actionSpace: .discrete(DiscreteSpace(actions)), hiddenSizes: [32, 16],
            normalizeObservations: normalize, using: &generator)
        let observations = (0..<(count * 5)).map { _ in Float(generator.nextDouble() * 6 - 3) }
        if normalize { agent.updateObservationStatistics(observations.map { $0 * 2 + 1 }, rows: count) }

        var graphGenerator = RandomGenerator(seed: 99)
        let inPlaceGenerator = graphGenerator
        var normalized = observations
        agent.normalize(&normalized)
        let policy = withNoGrad { Categorical(logits: agent.actor(Tensor(normalized, shape: [count, 5]))) }
        let graphActions = policy.sample(using: &graphGenerator)
        let graphLogProbs = policy.logProb(graphActions).data

        var chosen = [Int](repeating: -1, count: count), logProbs = [Float](repeating: .nan, count: count)
        for _ in 0..<2 {  // twice: warm buffers give the same as cold ones
            var generator = inPlaceGenerator
            observations.withUnsafeBufferPointer { observations in
                chosen.withUnsafeMutableBufferPointer { chosen in
                    logProbs.withUnsafeMutableBufferPointer { logProbs in
                        agent.act(observations: observations, count: count, actions: chosen, logProbs: logProbs, using: &generator)
                    }
                }
            }
            XCTAssertEqual(chosen, graphActions)
            XCTAssertEqual(logProbs.map(\.bitPattern), graphLogProbs.map(\.bitPattern))
            var after = graphGenerator
            XCTAssertEqual(generator.next(), after.next(), "the generator is where the graph path leaves it")
        }
    }

    func testDiscreteActingMatchesTheGraph() {
        assertSameAsGraph(normalize: false, actions: 2, count: 1)
        assertSameAsGraph(normalize: false, actions: 3, count: 64)
    }

    func testNormalizedDiscreteActingMatchesTheGraph() {
        assertSameAsGraph(normalize: true, actions: 4, count: 7)
    }
}
