/// Token sampling from a language model's next-token logits: temperature and top-p (nucleus).
///
/// The returned log-probability is the token's under the *tempered policy*, `log softmax(logits /
/// temperature)` over the whole vocabulary (verl's convention): the quantity RL losses use as the
/// behaviour log-prob, which the learner recomputes at the same temperature, so that the ratio of
/// an on-policy batch is 1 at any temperature. Top-p only truncates the draw; the log-prob is
/// over the whole vocabulary. A greedy draw (temperature 0) records `log softmax(logits)`.
public enum Sampling {
    /// A sampled token and its log-probability under the tempered policy.
    public struct Draw: Sendable, Equatable {
        /// The token id, in `0..<V`.
        public let token: Int
        /// `log softmax(logits / temperature)[token]` over the whole vocabulary, whatever the top-p
        /// of the draw (temperature 1 for a greedy draw).
        public let logProb: Float
    }

    /// One token per row of `logits` (`[B, V]`, or `[V]` for one row), drawn with one
    /// `nextDouble` per row from `softmax(logits / temperature)` restricted to the smallest set of
    /// most probable tokens whose probability reaches `topP` (ties broken by lower id), renormalized.
    /// `temperature == 0` takes the most probable token (the first on ties) and draws nothing.
    public static func sample(
        logits: Tensor, temperature: Float = 1, topP: Float = 1, using generator: inout RandomGenerator
    ) -> [Draw] {
        precondition(logits.rank == 1 || logits.rank == 2, "sample needs logits [B, V] or [V], got \(logits.shape)")
        precondition(temperature >= 0 && temperature.isFinite, "temperature must be finite and >= 0")
        precondition(topP > 0 && topP <= 1, "topP must be in (0, 1]")
        let v = logits.shape.last!
        precondition(v > 0, "sample needs a non-empty vocabulary")
        let rows = logits.count / v
        let values = logits.data
        var tempered = values
        if temperature != 0 && temperature != 1 {
            let inverse = 1 / temperature
            for i in 0..<tempered.count { tempered[i] *= inverse }
        }
        let policyLogProbs = Tensor.rowSoftmax(tempered, width: v, log: true)
        let probabilities = temperature == 0 ? [] : Tensor.rowSoftmax(tempered, width: v, log: false)

        var draws: [Draw] = []
        draws.reserveCapacity(rows)
        var order = [Int](repeating: 0, count: v)
        for row in 0..<rows {
            let base = row * v
            var token = 0
            if temperature == 0 {
                for j in 1..<v where values[base + j] > values[base + token] { token = j }
            } else if topP >= 1 {
                token = invert(probabilities, base: base, indices: 0..<v, total: 1, generator: &generator)
            } else {
                for j in 0..<v { order[j] = j }
                order.sort { a, b in
                    let (pa, pb) = (probabilities[base + a], probabilities[base + b])
                    return pa > pb || (pa == pb && a < b)
                }
                var kept = 0
                var mass = 0.0
                while kept < v {
                    mass += Double(probabilities[base + order[kept]])
                    kept += 1
                    if mass >= Double(topP) { break }
                }
                token = invert(probabilities, base: base, indices: order[0..<kept], total: mass, generator: &generator)
            }
            draws.append(Draw(token: token, logProb: policyLogProbs[base + token]))
        }
        return draws
    }

    /// Draws from `probabilities[base + i]` over `indices` (whose probabilities sum to `total`)
    /// by inverting the cumulative sum; tokens of probability 0 are never drawn.
    static func invert<Indices: Collection<Int>>(
        _ probabilities: [Float], base: Int, indices: Indices, total: Double, generator: inout RandomGenerator
    ) -> Int {
        let target = generator.nextDouble() * total
        var cumulative = 0.0
        var lastPossible = indices.first!
        for i in indices {
            let p = Double(probabilities[base + i])
            guard p > 0 else { continue }
            lastPossible = i
            cumulative += p
            if cumulative > target { return i }
        }
        return lastPossible
    }
}
