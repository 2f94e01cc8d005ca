import Foundation

/// A batch of Gaussians with independent action dimensions: CleanRL's continuous-action policy.
///
/// `mean` is `[B, A]` (the network's output) and `logStd` is `[A]` — a state-independent
/// parameter broadcast over the batch — or `[B, A]`. Log-probabilities and entropies are summed
/// over the action dimensions. Everything is differentiable w.r.t. `mean` and `logStd`.
public struct DiagonalGaussian {
    /// `[B, A]`.
    public let mean: Tensor
    /// `[A]` or `[B, A]`.
    public let logStd: Tensor

    /// `½ log(2π)`.
    static let halfLogTwoPi = Float(0.5 * Foundation.log(2 * Double.pi))

    /// The number of distributions `B`.
    public var batch: Int { mean.shape[0] }
    /// The number of action dimensions `A`.
    public var actionDimensions: Int { mean.shape[1] }

    /// Gaussians `N(mean, exp(logStd)²)`, independent per dimension.
    public init(mean: Tensor, logStd: Tensor) {
        precondition(mean.rank == 2, "DiagonalGaussian needs a mean [B, A], got \(mean.shape)")
        precondition(logStd.shape == [mean.shape[1]] || logStd.shape == mean.shape,
                     "logStd must be [A] or [B, A] for mean \(mean.shape), got \(logStd.shape)")
        self.mean = mean
        self.logStd = logStd
    }

    /// `Σ_j log N(actions[b, j]; mean[b, j], std_j²)` for each row: `[B]`. `actions` is `[B, A]`.
    ///
    /// Per dimension: `-(a - μ)² / (2σ²) - log σ - ½ log(2π)`.
    public func logProb(_ actions: Tensor) -> Tensor {
        precondition(actions.shape == mean.shape, "actions \(actions.shape) do not match the mean \(mean.shape)")
        let z = (actions - mean) / logStd.exp()
        let perDimension = z * z * -0.5 - logStd
        return perDimension.sum(axis: 1) - Float(actionDimensions) * DiagonalGaussian.halfLogTwoPi
    }

    /// ``logProb(_:)-(Tensor)`` for row-major `[B, A]` actions.
    public func logProb(_ actions: [Float]) -> Tensor {
        logProb(Tensor(actions, shape: mean.shape))
    }

    /// `Σ_j (½ + ½ log(2π) + log σ_j)` for each row: `[B]`.
    public func entropy() -> Tensor {
        let perDimension = Tensor.zeros(mean.shape) + logStd
        return perDimension.sum(axis: 1) + Float(actionDimensions) * (0.5 + DiagonalGaussian.halfLogTwoPi)
    }

    /// `mean + std · ε` with `ε` standard normal (one `nextGaussian` per element, row-major):
    /// row-major `[B, A]`, not clipped to any action bounds.
    public func sample(using generator: inout RandomGenerator) -> [Float] {
        let a = actionDimensions
        let perRow = logStd.count == a
        var result = [Float](repeating: 0, count: mean.count)
        mean.data.withUnsafeBufferPointer { mu in
            logStd.data.withUnsafeBufferPointer { ls in
                for i in 0..<result.count {
                    let std = Foundation.exp(ls[perRow ? i % a : i])
                    result[i] = mu[i] + std * Float(generator.nextGaussian())
                }
            }
        }
        return result
    }

    /// The most probable action: the mean, row-major `[B, A]`.
    public func mode() -> [Float] { mean.data }
}
