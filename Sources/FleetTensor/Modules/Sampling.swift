import Foundation

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
        var scratch = Scratch()
        return sample(rows: nil, of: logits, temperature: temperature, topP: topP, scratch: &scratch, using: &generator)
    }

    /// Buffers of one vocabulary's size that ``sample(rows:of:temperature:topP:scratch:using:)``
    /// reuses, so that sampling token after token allocates none.
    public struct Scratch {
        /// One row's probabilities (the exponentials first).
        var probabilities: [Float] = []
        /// Token ids sorted by probability, for top-p.
        var order: [Int] = []

        /// Empty buffers; they grow to the vocabulary on first use.
        public init() {}
    }

    /// ``sample(logits:temperature:topP:using:)`` for the rows `rows` of `logits` (all of them when
    /// `nil`), one draw per listed row in that order, with the same draws and log-probs bit for bit,
    /// reusing `scratch`. Each row's softmax is computed once, in `scratch`, and the log-prob only
    /// of the token drawn.
    public static func sample(
        rows: [Int]?, of logits: Tensor, temperature: Float = 1, topP: Float = 1, scratch: inout Scratch,
        using generator: inout RandomGenerator
    ) -> [Draw] {
        precondition(logits.rank == 1 || logits.rank == 2, "sample needs logits [B, V] or [V], got \(logits.shape)")
        precondition(temperature >= 0 && temperature.isFinite, "temperature must be finite and >= 0")
        precondition(topP > 0 && topP <= 1, "topP must be in (0, 1]")
        let v = logits.shape.last!
        precondition(v > 0, "sample needs a non-empty vocabulary")
        let rowCount = logits.count / v
        let rows = rows ?? Array(0..<rowCount)
        precondition(rows.allSatisfy { $0 >= 0 && $0 < rowCount }, "rows must be in 0..<\(rowCount)")
        // The logits are scaled by 1/temperature (not divided), as they always were.
        let inverse: Float? = temperature != 0 && temperature != 1 ? 1 / temperature : nil
        if scratch.probabilities.count < v { scratch.probabilities = [Float](repeating: 0, count: v) }

        var draws: [Draw] = []
        draws.reserveCapacity(rows.count)
        logits.data.withUnsafeBufferPointer { values in
            for row in rows {
                let base = row * v
                @inline(__always) func tempered(_ j: Int) -> Float {
                    inverse.map { values[base + j] * $0 } ?? values[base + j]
                }
                // The log-softmax's max and sum of exponentials (Tensor.softmaxRows's arithmetic).
                var m = -Float.infinity
                for j in 0..<v { m = Swift.max(m, tempered(j)) }
                var total: Float = 0
                scratch.probabilities.withUnsafeMutableBufferPointer { e in
                    for j in 0..<v {
                        e[j] = Foundation.exp(tempered(j) - m)
                        total += e[j]
                    }
                }
                var token = 0
                if temperature == 0 {
                    for j in 1..<v where values[base + j] > values[base + token] { token = j }
                } else {
                    let scale = 1 / total
                    scratch.probabilities.withUnsafeMutableBufferPointer { e in
                        for j in 0..<v { e[j] *= scale }
                    }
                    if topP >= 1 {
                        token = invert(scratch.probabilities, base: 0, indices: 0..<v, total: 1, generator: &generator)
                    } else {
                        token = nucleusDraw(&scratch, vocabulary: v, topP: topP, generator: &generator)
                    }
                }
                draws.append(Draw(token: token, logProb: tempered(token) - m - Foundation.log(total)))
            }
        }
        return draws
    }

    /// A draw from the smallest set of most probable tokens (ties by lower id) whose probability in
    /// `scratch.probabilities` reaches `topP`, renormalized.
    private static func nucleusDraw(
        _ scratch: inout Scratch, vocabulary v: Int, topP: Float, generator: inout RandomGenerator
    ) -> Int {
        if scratch.order.count != v { scratch.order = [Int](repeating: 0, count: v) }
        for j in 0..<v { scratch.order[j] = j }
        let probabilities = scratch.probabilities
        scratch.order.sort { a, b in
            let (pa, pb) = (probabilities[a], probabilities[b])
            return pa > pb || (pa == pb && a < b)
        }
        var kept = 0
        var mass = 0.0
        while kept < v {
            mass += Double(probabilities[scratch.order[kept]])
            kept += 1
            if mass >= Double(topP) { break }
        }
        return invert(probabilities, base: 0, indices: scratch.order[0..<kept], total: mass, generator: &generator)
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
