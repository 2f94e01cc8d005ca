import FleetTensor

/// One optimizer step's gradient accumulated over micro-batches (verl's
/// `ppo_micro_batch_size_per_gpu`), so that a mini-batch's activations never have to fit at once.
///
/// Backward passes add into the parameters' gradients, so the gradient of a loss that is a sum
/// over the mini-batch's items is the sum of the gradients of its parts. The caller's part is the
/// loss of the items of one micro-batch *weighted as in the whole mini-batch*: for a token-mean,
/// each token weighs `1 / N` with `N` the mini-batch's tokens, not the micro-batch's. Then `k`
/// micro-batches give the one-pass gradient up to float rounding.
public enum GradientAccumulation {
    /// `0..<count` cut into consecutive ranges of `size` items (the last may be shorter); `nil`
    /// or a size of at least `count`: one range, the whole mini-batch.
    public static func microBatches(count: Int, size: Int?) -> [Range<Int>] {
        precondition(count >= 0 && (size ?? 1) > 0, "micro-batches need a positive size")
        guard let size, size < count else { return count > 0 ? [0..<count] : [] }
        return stride(from: 0, to: count, by: size).map { $0..<Swift.min($0 + size, count) }
    }

    /// Runs `loss` on each micro-batch of `0..<count` in order and backpropagates each result
    /// (a scalar that requires gradients, or a constant that does not) into the gradients, which
    /// the caller zeroed before. Stops at the first loss that is not finite (the one-pass loss
    /// would not be either) and returns `false`: the gradients then hold a part only.
    public static func accumulate(count: Int, microBatchSize: Int?, loss: (Range<Int>) -> Tensor) -> Bool {
        for range in microBatches(count: count, size: microBatchSize) {
            let part = loss(range)
            guard part.item.isFinite else { return false }
            if part.requiresGrad { part.backward() }
        }
        return true
    }

    /// The step after ``accumulate(count:microBatchSize:loss:)``: the gradients clipped to a global
    /// L2 norm of `maxNorm`, then `optimizer`'s step. Returns the norm before clipping, or nil, with
    /// nothing stepped, when the accumulated loss was not finite (`lossFinite` false) or the norm is not.
    public static func clippedStep(
        _ optimizer: AdamW, _ parameters: [(name: String, tensor: Tensor)], maxNorm: Double, lossFinite: Bool
    ) -> Float? {
        guard lossFinite else { return nil }
        let norm = clipGradientNorm(parameters, maxNorm: maxNorm)
        guard norm.isFinite else { return nil }
        optimizer.step()
        return norm
    }

    /// The mean over a mini-batch's tokens of a quantity given as each micro-batch's mean over its
    /// `tokens`: their token-count-weighted mean (0 without tokens). One part is returned as it is.
    public static func combinedMean(_ parts: [(mean: Double, tokens: Int)]) -> Double {
        if parts.count == 1 { return parts[0].mean }
        let tokens = parts.reduce(0) { $0 + $1.tokens }
        return parts.reduce(0.0) { $0 + $1.mean * Double($1.tokens) } / Double(Swift.max(1, tokens))
    }
}
