import Foundation
import XCTest

@testable import FleetTensor

/// Temperature and top-p token sampling for the language-model policy.
final class SamplingTests: XCTestCase {
    let logits = Tensor([Float(Foundation.log(0.6)), Float(Foundation.log(0.3)), Float(Foundation.log(0.1))], shape: [1, 3])

    func counts(_ n: Int, temperature: Float, topP: Float, seed: UInt64 = 5) -> [Int] {
        var generator = RandomGenerator(seed: seed)
        var counts = [0, 0, 0]
        for _ in 0..<n {
            counts[Sampling.sample(logits: logits, temperature: temperature, topP: topP, using: &generator)[0].token] += 1
        }
        return counts
    }

    func assertFrequency(_ count: Int, of n: Int, probability p: Double, file: StaticString = #filePath, line: UInt = #line) {
        let sigma = (Double(n) * p * (1 - p)).squareRoot()
        XCTAssertLessThanOrEqual(Swift.abs(Double(count) - Double(n) * p), 4 * sigma, "\(count) of \(n), p \(p)",
                                 file: file, line: line)
    }

    /// `log softmax(logits / temperature)` over the whole vocabulary, whatever the top-p; a greedy
    /// draw records temperature 1's.
    func testLogProbIsTheTemperedPolicyOverTheWholeVocabulary() {
        var generator = RandomGenerator(seed: 1)
        for (temperature, topP) in [(Float(1), Float(1)), (0.5, 1), (2, 0.7), (0, 1)] {
            let t = temperature == 0 ? 1 : Double(temperature)
            let tempered = [0.6, 0.3, 0.1].map { Foundation.pow($0, 1 / t) }
            for draw in Sampling.sample(logits: logits, temperature: temperature, topP: topP, using: &generator) {
                let expected = Foundation.log(tempered[draw.token] / tempered.reduce(0, +))
                XCTAssertEqual(Double(draw.logProb), expected, accuracy: 1e-6, "temperature \(temperature)")
            }
        }
    }

    func testTemperatureZeroIsGreedyAndDrawsNothing() {
        var generator = RandomGenerator(seed: 2)
        let before = generator
        let draws = Sampling.sample(logits: Tensor([0, 5, 1, 2, 2, -1], shape: [2, 3]), temperature: 0, using: &generator)
        XCTAssertEqual(draws.map(\.token), [1, 0])
        XCTAssertEqual(generator, before)
    }

    func testFrequenciesFollowTemperature() {
        let n = 20_000
        let plain = counts(n, temperature: 1, topP: 1)
        for (k, p) in [0.6, 0.3, 0.1].enumerated() { assertFrequency(plain[k], of: n, probability: p) }
        // Temperature 2: probabilities proportional to √p.
        let hot = counts(n, temperature: 2, topP: 1)
        let roots = [0.6, 0.3, 0.1].map { $0.squareRoot() }
        let total = roots.reduce(0, +)
        for k in 0..<3 { assertFrequency(hot[k], of: n, probability: roots[k] / total) }
    }

    func testTopPKeepsTheSmallestNucleus() {
        let n = 20_000
        XCTAssertEqual(counts(2000, temperature: 1, topP: 0.5), [2000, 0, 0])
        let nucleus = counts(n, temperature: 1, topP: 0.8)  // {0.6, 0.3} reaches 0.8
        XCTAssertEqual(nucleus[2], 0)
        assertFrequency(nucleus[0], of: n, probability: 2.0 / 3)
        XCTAssertEqual(counts(n, temperature: 1, topP: 0.95)[2] > 0, true)
    }

    func testRowsOfOneDimensionalLogitsAndBatches() {
        var generator = RandomGenerator(seed: 3)
        let one = Sampling.sample(logits: Tensor([0, 0, 30]), using: &generator)
        XCTAssertEqual(one.map(\.token), [2])
        let batch = Sampling.sample(logits: Tensor([30, 0, 0, 0, 0, 30], shape: [2, 3]), using: &generator)
        XCTAssertEqual(batch.map(\.token), [0, 2])
    }
    /// The arithmetic ``Sampling`` had before it sampled in place (tempered copy, full log-softmax
    /// and softmax rows, a sorted order): the draws and log-probs must stay the same bit for bit.
    static func referenceSample(logits: Tensor, temperature: Float, topP: Float, using generator: inout RandomGenerator) -> [Sampling.Draw] {
        let v = logits.shape.last!
        var tempered = logits.data
        if temperature != 0 && temperature != 1 {
            let inverse = 1 / temperature
            for i in 0..<tempered.count { tempered[i] *= inverse }
        }
        let logProbs = Tensor.rowSoftmax(tempered, width: v, log: true)
        let probabilities = temperature == 0 ? [] : Tensor.rowSoftmax(tempered, width: v, log: false)
        var draws: [Sampling.Draw] = []
        for row in 0..<(logits.count / v) {
            let base = row * v
            var token = 0
            if temperature == 0 {
                for j in 1..<v where logits.data[base + j] > logits.data[base + token] { token = j }
            } else if topP >= 1 {
                token = Sampling.invert(probabilities, base: base, indices: 0..<v, total: 1, generator: &generator)
            } else {
                let order = (0..<v).sorted { a, b in
                    let (pa, pb) = (probabilities[base + a], probabilities[base + b])
                    return pa > pb || (pa == pb && a < b)
                }
                var kept = 0, mass = 0.0
                while kept < v {
                    mass += Double(probabilities[base + order[kept]])
                    kept += 1
                    if mass >= Double(topP) { break }
                }
                token = Sampling.invert(probabilities, base: base, indices: order[0..<kept], total: mass, generator: &generator)
            }
            draws.append(Sampling.Draw(token: token, logProb: logProbs[base + token]))
        }
        return draws
    }

    func testInPlaceSamplingKeepsTheDrawsAndLogProbsBitForBit() {
        var values = RandomGenerator(seed: 9)
        let (rows, v) = (6, 300)
        let logits = Tensor((0..<(rows * v)).map { _ in 6 * (values.nextFloat() - 0.5) }, shape: [rows, v])
        var scratch = Sampling.Scratch()
        for (temperature, topP) in [(Float(1), Float(1)), (0.7, 1), (1.3, 0.9), (1, 0.5), (0, 1)] {
            var a = RandomGenerator(seed: 4), b = a, c = a
            let expected = Self.referenceSample(logits: logits, temperature: temperature, topP: topP, using: &a)
            let sampled = Sampling.sample(logits: logits, temperature: temperature, topP: topP, using: &b)
            XCTAssertEqual(sampled.map(\.token), expected.map(\.token), "temperature \(temperature), top-p \(topP)")
            XCTAssertEqual(sampled.map(\.logProb.bitPattern), expected.map(\.logProb.bitPattern))
            XCTAssertEqual(a, b, "the same draws from the generator")
            // A subset of rows, with a reused scratch: those rows' draws, in the order given.
            let subset = Sampling.sample(rows: [4, 1], of: logits, temperature: temperature, topP: topP, scratch: &scratch, using: &c)
            var d = RandomGenerator(seed: 4)
            let picked = Tensor(Array(logits.data[(4 * v)..<(5 * v)] + logits.data[v..<(2 * v)]), shape: [2, v])
            XCTAssertEqual(subset, Self.referenceSample(logits: picked, temperature: temperature, topP: topP, using: &d))
        }
    }
}
