import FleetTensor

/// The clipped surrogate objective of PPO and GRPO/DAPO, per sample (or token), as a loss:
/// `max(-A r, -A clip(r, 1 - low, 1 + high))`. PPO clips symmetrically (`low = high = clip_coef`),
/// DAPO's clip-higher widens the upper side. The one implementation both learners run and the
/// tests check against the reference vectors.
public struct ClippedSurrogate {
    /// `-A r`, per sample.
    public let unclipped: Tensor
    /// `-A clip(r, 1 - low, 1 + high)`, per sample.
    public let clipped: Tensor
    /// The loss per sample: the larger of the two (the pessimistic bound).
    public let loss: Tensor

    /// The surrogate of probability ratios `ratio` (differentiable) and `advantages` (constants).
    public init(ratio: Tensor, advantages: Tensor, low: Float, high: Float) {
        let negativeAdvantages = -advantages
        unclipped = negativeAdvantages * ratio
        clipped = negativeAdvantages * ratio.clamp(min: 1 - low, max: 1 + high)
        loss = Tensor.maximum(unclipped, clipped)
    }
}
