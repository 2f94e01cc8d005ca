/// Layer normalization over the last axis, fused, forward beside backward.
///
/// `y = (x - mean) / sqrt(var + eps) * weight + bias`, with the biased variance (as PyTorch's
/// `nn.LayerNorm`). The affine parameters are optional, so a LayerNorm module can own them.
/// Backward, with `x̂` the normalized input and `d = g * weight`, per row of width `n`:
/// `dx = rstd * (d - mean(d) - x̂ * mean(d * x̂))`, `dweight = Σ_rows g * x̂`, `dbias = Σ_rows g`.
extension Tensor {
    /// Normalizes each row of the last axis; `weight` and `bias`, when given, have shape `[n]`.
    public func layerNorm(weight: Tensor? = nil, bias: Tensor? = nil, eps: Float = 1e-5) -> Tensor {
        let x = self
        let n = shape.last ?? 1
        precondition(weight.map { $0.shape == [n] } ?? true, "layerNorm weight must be [\(n)]")
        precondition(bias.map { $0.shape == [n] } ?? true, "layerNorm bias must be [\(n)]")
        let rows = count / Swift.max(n, 1)
        var normalized = [Float](repeating: 0, count: count)
        var rstd = [Float](repeating: 0, count: rows)
        data.withUnsafeBufferPointer { v in
            normalized.withUnsafeMutableBufferPointer { xh in
                for r in 0..<rows {
                    let base = r * n
                    var mean: Float = 0
                    for j in 0..<n { mean += v[base + j] }
                    mean /= Float(n)
                    var variance: Float = 0
                    for j in 0..<n {
                        let d = v[base + j] - mean
                        variance += d * d
                    }
                    variance /= Float(n)
                    let s = 1 / (variance + eps).squareRoot()
                    rstd[r] = s
                    for j in 0..<n { xh[base + j] = (v[base + j] - mean) * s }
                }
            }
        }
        var out = normalized
        let w = weight?.data, b = bias?.data
        if w != nil || b != nil {
            out.withUnsafeMutableBufferPointer { o in
                for r in 0..<rows {
                    for j in 0..<n { o[r * n + j] = o[r * n + j] * (w?[j] ?? 1) + (b?[j] ?? 0) }
                }
            }
        }
        let inputs = [x] + [weight, bias].compactMap { $0 }
        return Tensor(out, shape: shape).record(inputs) {
            { g in
                if let weight, weight.requiresGrad {
                    weight.withGradBuffer { gw in
                        for r in 0..<rows {
                            for j in 0..<n { gw[j] += g[r * n + j] * normalized[r * n + j] }
                        }
                    }
                }
                if let bias, bias.requiresGrad {
                    bias.withGradBuffer { gb in
                        for r in 0..<rows {
                            for j in 0..<n { gb[j] += g[r * n + j] }
                        }
                    }
                }
                guard x.requiresGrad else { return }
                x.withGradBuffer { gx in
                    var d = [Float](repeating: 0, count: n)
                    for r in 0..<rows {
                        let base = r * n
                        var meanD: Float = 0, meanDX: Float = 0
                        for j in 0..<n {
                            d[j] = g[base + j] * (w?[j] ?? 1)
                            meanD += d[j]
                            meanDX += d[j] * normalized[base + j]
                        }
                        meanD /= Float(n)
                        meanDX /= Float(n)
                        for j in 0..<n { gx[base + j] += rstd[r] * (d[j] - meanD - normalized[base + j] * meanDX) }
                    }
                }
            }
        }
    }
}
