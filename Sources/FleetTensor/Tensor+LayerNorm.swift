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
                rstd.withUnsafeMutableBufferPointer { rstd in
                    Self.normalizeRows(v, rows: rows, width: n, eps: eps, into: xh, rstd: rstd)
                }
            }
        }
        var out = normalized
        if weight != nil || bias != nil {
            let w = weight?.data ?? [Float](repeating: 1, count: n), b = bias?.data ?? [Float](repeating: 0, count: n)
            out.withUnsafeMutableBufferPointer { o in
                w.withUnsafeBufferPointer { w in
                    b.withUnsafeBufferPointer { b in
                        for r in 0..<rows {
                            for j in 0..<n { o[r * n + j] = o[r * n + j] * w[j] + b[j] }
                        }
                    }
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
                let w = weight?.data ?? [Float](repeating: 1, count: n)
                x.withGradBuffer { gx in
                    g.withUnsafeBufferPointer { g in
                        normalized.withUnsafeBufferPointer { xh in
                            w.withUnsafeBufferPointer { w in
                                rstd.withUnsafeBufferPointer { rstd in
                                    Self.normalizationGradient(
                                        g, normalized: xh, weight: w, rstd: rstd, rows: rows, width: n, into: gx)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Each row of `v` (`rows` x `width`) normalized into `xh`, and its `1 / sqrt(var + eps)` into
    /// `rstd`. A row's sums run over its elements in order, one row per SIMD lane, eight rows at a
    /// time: each row's arithmetic is that of a plain loop over it, so the bits are the same.
    static func normalizeRows(
        _ v: UnsafeBufferPointer<Float>, rows: Int, width n: Int, eps: Float,
        into xh: UnsafeMutableBufferPointer<Float>, rstd: UnsafeMutableBufferPointer<Float>
    ) {
        typealias Lanes = SIMD8<Float>
        func lanes(_ base: Int, _ j: Int) -> Lanes { columnOfEightRows(v, base, width: n, j) }
        var r = 0
        while r + 8 <= rows {
            let base = r * n
            var mean = Lanes(repeating: 0)
            for j in 0..<n { mean += lanes(base, j) }
            mean /= Lanes(repeating: Float(n))
            var variance = Lanes(repeating: 0)
            for j in 0..<n {
                let d = lanes(base, j) - mean
                variance += d * d
            }
            variance /= Lanes(repeating: Float(n))
            let s = 1 / (variance + eps).squareRoot()
            for k in 0..<8 {
                rstd[r + k] = s[k]
                let row = base + k * n
                for j in 0..<n { xh[row + j] = (v[row + j] - mean[k]) * s[k] }
            }
            r += 8
        }
        while r < rows {
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
            r += 1
        }
    }

    /// Adds the gradient with respect to the input of ``layerNorm(weight:bias:eps:)`` into `gx`:
    /// per row, with `d = g * weight`, `rstd * (d - mean(d) - x̂ * mean(d * x̂))`. As in
    /// ``normalizeRows(_:rows:width:eps:into:rstd:)``, eight rows' sums run side by side, each in
    /// its own order.
    static func normalizationGradient(
        _ g: UnsafeBufferPointer<Float>, normalized xh: UnsafeBufferPointer<Float>, weight w: UnsafeBufferPointer<Float>,
        rstd: UnsafeBufferPointer<Float>, rows: Int, width n: Int, into gx: UnsafeMutableBufferPointer<Float>
    ) {
        typealias Lanes = SIMD8<Float>
        func lanes(_ x: UnsafeBufferPointer<Float>, _ base: Int, _ j: Int) -> Lanes { columnOfEightRows(x, base, width: n, j) }
        var r = 0
        while r + 8 <= rows {
            let base = r * n
            var meanD = Lanes(repeating: 0), meanDX = Lanes(repeating: 0)
            for j in 0..<n {
                let d = lanes(g, base, j) * w[j]
                meanD += d
                meanDX += d * lanes(xh, base, j)
            }
            meanD /= Lanes(repeating: Float(n))
            meanDX /= Lanes(repeating: Float(n))
            for k in 0..<8 {
                let row = base + k * n
                for j in 0..<n {
                    let d = g[row + j] * w[j]
                    gx[row + j] += rstd[r + k] * (d - meanD[k] - xh[row + j] * meanDX[k])
                }
            }
            r += 8
        }
        while r < rows {
            let base = r * n
            var meanD: Float = 0, meanDX: Float = 0
            for j in 0..<n {
                let d = g[base + j] * w[j]
                meanD += d
                meanDX += d * xh[base + j]
            }
            meanD /= Float(n)
            meanDX /= Float(n)
            for j in 0..<n {
                let d = g[base + j] * w[j]
                gx[base + j] += rstd[r] * (d - meanD - xh[base + j] * meanDX)
            }
            r += 1
        }
    }
}

/// Element `j` of the eight rows of width `n` that start at `base` in `x`, one row per lane.
@inline(__always)
private func columnOfEightRows(_ x: UnsafeBufferPointer<Float>, _ base: Int, width n: Int, _ j: Int) -> SIMD8<Float> {
    SIMD8(x[base + j], x[base + n + j], x[base + 2 * n + j], x[base + 3 * n + j],
          x[base + 4 * n + j], x[base + 5 * n + j], x[base + 6 * n + j], x[base + 7 * n + j])
}
