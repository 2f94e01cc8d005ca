import Foundation

/// A batch of categorical distributions over `K` actions, given by unnormalized logits, with an
/// optional mask of allowed actions.
///
/// Masking replaces the logits of disallowed actions with ``maskedLogit`` (-1e8, as CleanRL's
/// invalid-action masking) before the log-softmax: their probability underflows to exactly 0, so they
/// are never sampled, contribute exactly 0 to the entropy, and receive no gradient; their
/// log-probability stays finite, so no `0 · -inf` can make a NaN. Every row must allow at least one
/// action, and the given logits must be finite and above about -1e7.
public struct Categorical {
    /// The logit that disallowed actions get.
    public static let maskedLogit: Float = -1e8

    /// `[B, K]` normalized log-probabilities (differentiable w.r.t. the logits).
    public let logProbabilities: Tensor
    /// Row-major `[B, K]`, `true` where the action is allowed; `nil` allows every action.
    public let mask: [Bool]?

    /// The number of distributions `B`.
    public var batch: Int { logProbabilities.shape[0] }
    /// The number of actions `K`.
    public var actionCount: Int { logProbabilities.shape[1] }

    /// Distributions `softmax(logits)` row by row; `logits` is `[B, K]`, `mask` (if given) has
    /// `B · K` entries, `true` = allowed.
    public init(logits: Tensor, mask: [Bool]? = nil) {
        precondition(logits.rank == 2 && logits.shape[1] > 0, "Categorical needs logits [B, K], got \(logits.shape)")
        if let mask {
            precondition(mask.count == logits.count, "the mask has \(mask.count) entries, the logits \(logits.count)")
            let k = logits.shape[1]
            for row in 0..<logits.shape[0] {
                precondition(mask[(row * k)..<((row + 1) * k)].contains(true), "row \(row) allows no action")
            }
            let filler = Tensor(Categorical.maskedLogit)
            logProbabilities = Tensor.where(mask, logits, filler).logSoftmax()
        } else {
            logProbabilities = logits.logSoftmax()
        }
        self.mask = mask
    }

    /// The probabilities, row-major `[B, K]` (not differentiable).
    public var probabilities: [Float] { logProbabilities.data.map { Foundation.exp($0) } }

    /// `log p(actions[b])` for each row: `[B]`, differentiable (log-softmax then gather).
    public func logProb(_ actions: [Int]) -> Tensor {
        precondition(actions.count == batch, "logProb needs one action per row (\(batch)), got \(actions.count)")
        return logProbabilities.gather(axis: 1, indices: actions).reshaped([batch])
    }

    /// `-Σ p log p` for each row: `[B]`, differentiable.
    public func entropy() -> Tensor {
        let logp = logProbabilities
        return -(logp.exp() * logp).sum(axis: 1)
    }

    /// One action per row, drawn by inversion of the cumulative probabilities (one `nextDouble` per
    /// row). Actions of probability 0 (masked) are never drawn.
    public func sample(using generator: inout RandomGenerator) -> [Int] {
        let k = actionCount
        var result = [Int](repeating: 0, count: batch)
        logProbabilities.data.withUnsafeBufferPointer { logp in
            for row in 0..<batch {
                result[row] = Self.sample(logProbabilities: logp.baseAddress! + row * k, count: k, using: &generator)
            }
        }
        return result
    }

    /// One action drawn by inversion from the `count` log-probabilities at `logp` (one `nextDouble`).
    static func sample(logProbabilities logp: UnsafePointer<Float>, count k: Int, using generator: inout RandomGenerator)
        -> Int
    {
        let target = generator.nextDouble()
        var cumulative = 0.0
        var chosen = -1, lastPossible = 0
        for j in 0..<k {
            let p = Double(Foundation.exp(logp[j]))
            guard p > 0 else { continue }
            lastPossible = j
            cumulative += p
            if cumulative > target {
                chosen = j
                break
            }
        }
        // Rounding can leave the total a hair under the target: take the last possible action.
        return chosen >= 0 ? chosen : lastPossible
    }

    /// The most probable allowed action of each row (the first, on ties).
    public func mode() -> [Int] { logProbabilities.argmax(axis: 1) }
}
