/// Sums, means and maxima, over everything or along one axis, each beside its gradient rule.
///
/// An axis reduction views the tensor as `[outer, n, inner]` around the axis; the result drops the
/// axis, or keeps it with extent 1 when `keepDims` is true. Negative axes count from the end.
extension Tensor {
    /// The sum of all elements, as a scalar.
    public func sum() -> Tensor {
        let x = self
        let total = data.withUnsafeBufferPointer { Kernels.sum($0) }
        return Tensor(total).record([x]) {
            { g in
                let s = g[0]
                x.withGradBuffer { gx in for i in 0..<gx.count { gx[i] += s } }
            }
        }
    }

    /// The sum of `values` in the fixed order every full reduction here uses (``sum()``, ``mean()``).
    public static func sum(_ values: UnsafeBufferPointer<Float>) -> Float { Kernels.sum(values) }

    /// The mean of all elements, as a scalar.
    public func mean() -> Tensor { sum() / Float(count) }

    /// The sum along `axis`.
    public func sum(axis: Int, keepDims: Bool = false) -> Tensor {
        let x = self
        let axis = Tensor.normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = Tensor.split(shape, at: axis)
        var out = [Float](repeating: 0, count: outer * inner)
        data.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for a in 0..<outer {
                    for k in 0..<n {
                        let src = (a * n + k) * inner
                        for b in 0..<inner { o[a * inner + b] += v[src + b] }
                    }
                }
            }
        }
        return Tensor(out, shape: Tensor.reducedShape(shape, axis, keepDims)).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    g.withUnsafeBufferPointer { g in
                        for a in 0..<outer {
                            for k in 0..<n {
                                let dst = (a * n + k) * inner
                                for b in 0..<inner { gx[dst + b] += g[a * inner + b] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The mean along `axis`.
    public func mean(axis: Int, keepDims: Bool = false) -> Tensor {
        let axis = Tensor.normalizedAxis(axis, rank: rank)
        return sum(axis: axis, keepDims: keepDims) / Float(shape[axis])
    }

    /// The largest value along `axis`; the gradient goes to the first position holding it.
    public func max(axis: Int, keepDims: Bool = false) -> Tensor {
        let x = self
        let axis = Tensor.normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = Tensor.split(shape, at: axis)
        precondition(n > 0, "max over an empty axis")
        let indices = argmax(axis: axis)
        var out = [Float](repeating: 0, count: outer * inner)
        for a in 0..<outer {
            for b in 0..<inner { out[a * inner + b] = data[(a * n + indices[a * inner + b]) * inner + b] }
        }
        return Tensor(out, shape: Tensor.reducedShape(shape, axis, keepDims)).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    for a in 0..<outer {
                        for b in 0..<inner { gx[(a * n + indices[a * inner + b]) * inner + b] += g[a * inner + b] }
                    }
                }
            }
        }
    }

    /// The position of the largest value along `axis` (the first, on ties), row-major over the
    /// remaining axes. Not differentiable.
    public func argmax(axis: Int) -> [Int] {
        let axis = Tensor.normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = Tensor.split(shape, at: axis)
        var result = [Int](repeating: 0, count: outer * inner)
        data.withUnsafeBufferPointer { v in
            for a in 0..<outer {
                for b in 0..<inner {
                    var best = 0
                    var bestValue = v[a * n * inner + b]
                    for k in 1..<Swift.max(n, 1) where v[(a * n + k) * inner + b] > bestValue {
                        best = k
                        bestValue = v[(a * n + k) * inner + b]
                    }
                    result[a * inner + b] = best
                }
            }
        }
        return result
    }

    static func reducedShape(_ shape: [Int], _ axis: Int, _ keepDims: Bool) -> [Int] {
        var s = shape
        if keepDims { s[axis] = 1 } else { s.remove(at: axis) }
        return s
    }
}
