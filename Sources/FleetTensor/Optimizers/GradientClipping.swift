/// Scales all gradients together so that their global L2 norm is at most `maxNorm`, and returns
/// the norm before clipping (PyTorch's `clip_grad_norm_`, docs/algorithms.md's PPO rule).
///
/// The norm is the square root of the sum of squares of every element of every gradient
/// (parameters without a gradient are skipped). It is accumulated in `Double`, parameter by
/// parameter in list order and within a parameter over four interleaved lanes added in a fixed
/// order, so it is the same on every run. Then `scale = maxNorm / (norm + 1e-6)`; when
/// `scale < 1` every gradient is multiplied by `Float(scale)` in place, otherwise nothing changes.
/// When the norm is not finite (a gradient holds NaN or infinity) nothing is scaled: the caller
/// sees the non-finite norm and should skip the update.
@discardableResult
public func clipGradientNorm(_ parameters: [(name: String, tensor: Tensor)], maxNorm: Double) -> Float {
    let norm = globalGradientNorm(parameters)
    guard norm.isFinite else { return Float(norm) }
    let scale = maxNorm / (norm + 1e-6)
    if scale < 1 {
        let factor = Float(scale)
        for p in parameters where p.tensor.grad != nil {
            p.tensor.grad!.withUnsafeMutableBufferPointer { g in
                for j in 0..<g.count { g[j] *= factor }
            }
        }
    }
    return Float(norm)
}

/// The global L2 norm of the gradients of `parameters`, accumulated in `Double` in a fixed order
/// (see ``clipGradientNorm(_:maxNorm:)``).
public func globalGradientNorm(_ parameters: [(name: String, tensor: Tensor)]) -> Double {
    var total = 0.0
    for p in parameters {
        guard let grad = p.tensor.grad else { continue }
        grad.withUnsafeBufferPointer { g in
            var s0 = 0.0, s1 = 0.0, s2 = 0.0, s3 = 0.0
            let n = g.count, body = n & ~3
            var j = 0
            while j < body {
                let a = Double(g[j]), b = Double(g[j + 1]), c = Double(g[j + 2]), d = Double(g[j + 3])
                s0 += a * a; s1 += b * b; s2 += c * c; s3 += d * d
                j += 4
            }
            while j < n {
                let a = Double(g[j])
                s0 += a * a
                j += 1
            }
            total += (s0 + s1) + (s2 + s3)
        }
    }
    return total.squareRoot()
}
