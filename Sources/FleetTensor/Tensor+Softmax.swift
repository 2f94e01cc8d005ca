import Foundation

/// Softmax and log-softmax along the last axis, forward beside backward.
///
/// Both subtract each row's maximum before exponentiating, so large logits (e.g. `[1000, 1001]`)
/// give finite results; log-softmax is `x - max - log(sum(exp(x - max)))`, never `log(softmax)`.
extension Tensor {
    /// `exp(x) / sum(exp(x))` along the last axis.
    ///
    /// Backward: `dx = y * (g - sum(g * y))` per row.
    public func softmax() -> Tensor {
        let x = self
        let width = shape.last ?? 1
        precondition(width > 0, "softmax over an empty axis")
        let out = Tensor.rowSoftmax(data, width: width, log: false)
        return Tensor(out, shape: shape).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    g.withUnsafeBufferPointer { g in
                        out.withUnsafeBufferPointer { y in
                            for r in stride(from: 0, to: y.count, by: width) {
                                var dot: Float = 0
                                for j in 0..<width { dot += g[r + j] * y[r + j] }
                                for j in 0..<width { gx[r + j] += y[r + j] * (g[r + j] - dot) }
                            }
                        }
                    }
                }
            }
        }
    }

    /// `x - log(sum(exp(x)))` along the last axis.
    ///
    /// Backward: `dx = g - exp(y) * sum(g)` per row.
    public func logSoftmax() -> Tensor {
        let x = self
        let width = shape.last ?? 1
        precondition(width > 0, "logSoftmax over an empty axis")
        let out = Tensor.rowSoftmax(data, width: width, log: true)
        return Tensor(out, shape: shape).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    g.withUnsafeBufferPointer { g in
                        out.withUnsafeBufferPointer { y in
                            for r in stride(from: 0, to: y.count, by: width) {
                                var total: Float = 0
                                for j in 0..<width { total += g[r + j] }
                                for j in 0..<width { gx[r + j] += g[r + j] - Foundation.exp(y[r + j]) * total }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Row-wise (log-)softmax of `values` cut into rows of `width`.
    static func rowSoftmax(_ values: [Float], width: Int, log: Bool) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                softmaxRows(of: v, into: out, width: width, log: log)
            }
            initialized = values.count
        }
    }

    /// Row-wise (log-)softmax of `v`, cut into rows of `width`, into `out` (which must not overlap
    /// `v`), allocating nothing: the arithmetic of ``softmax()`` and ``logSoftmax()``.
    public static func softmaxRows(
        of v: UnsafeBufferPointer<Float>, into out: UnsafeMutableBufferPointer<Float>, width: Int, log: Bool
    ) {
        for r in stride(from: 0, to: v.count, by: Swift.max(width, 1)) {
            var m = -Float.infinity
            for j in 0..<width { m = Swift.max(m, v[r + j]) }
            var total: Float = 0
            for j in 0..<width {
                let e = Foundation.exp(v[r + j] - m)
                out[r + j] = e
                total += e
            }
            if log {
                let logTotal = Foundation.log(total)
                for j in 0..<width { out[r + j] = v[r + j] - m - logTotal }
            } else {
                let scale = 1 / total
                for j in 0..<width { out[r + j] *= scale }
            }
        }
    }
}
