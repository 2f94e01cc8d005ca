/// Reshaping, transposing, slicing and concatenating, forward beside backward.
///
/// Storage is always contiguous row-major, so a reshape shares it (a view: no elements move),
/// while a transpose, slice or concatenation copies into a new contiguous tensor. The copies are
/// plain block moves, and a contiguous result keeps every later kernel simple and fast.
extension Tensor {
    /// The same elements under a new shape with the same count; one extent may be `-1` (inferred).
    /// Shares storage with `self`.
    public func reshaped(_ newShape: [Int]) -> Tensor {
        var newShape = newShape
        if let i = newShape.firstIndex(of: -1) {
            let known = newShape.enumerated().filter { $0.offset != i }.map(\.element).reduce(1, *)
            precondition(known > 0 && count % known == 0, "cannot infer an extent reshaping \(shape) to \(newShape)")
            newShape[i] = count / known
        }
        precondition(newShape.reduce(1, *) == count, "cannot reshape \(shape) to \(newShape)")
        let x = self
        return Tensor(data, shape: newShape).record([x]) {
            { g in x.accumulateGrad(g) }
        }
    }

    /// The tensor with its last two axes swapped (`[..., m, n] -> [..., n, m]`), copied.
    public func transposed() -> Tensor {
        precondition(rank >= 2, "transposed() needs at least 2 axes, shape is \(shape)")
        let x = self
        let m = shape[rank - 2], n = shape[rank - 1]
        let batches = count / Swift.max(m * n, 1)
        let out = Tensor.transpose(data, batches: batches, m: m, n: n)
        var outShape = shape
        outShape.swapAt(rank - 2, rank - 1)
        return Tensor(out, shape: outShape).record([x]) {
            { g in x.accumulateGrad(Tensor.transpose(g, batches: batches, m: n, n: m)) }
        }
    }

    /// `batches` row-major `m x n` matrices, each transposed.
    static func transpose(_ values: [Float], batches: Int, m: Int, n: Int) -> [Float] {
        [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                for b in 0..<batches {
                    let base = b * m * n
                    for i in 0..<m {
                        for j in 0..<n { out[base + j * m + i] = v[base + i * n + j] }
                    }
                }
            }
            initialized = values.count
        }
    }

    /// The elements whose index along `axis` lies in `range` (copied).
    public func slice(axis: Int, _ range: Range<Int>) -> Tensor {
        let axis = Tensor.normalizedAxis(axis, rank: rank)
        precondition(range.lowerBound >= 0 && range.upperBound <= shape[axis], "slice \(range) out of \(shape) at axis \(axis)")
        let x = self
        let (outer, n, inner) = Tensor.split(shape, at: axis)
        let width = range.count * inner, start = range.lowerBound * inner
        var out = [Float](repeating: 0, count: outer * width)
        data.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for a in 0..<outer {
                    for j in 0..<width { o[a * width + j] = v[a * n * inner + start + j] }
                }
            }
        }
        var outShape = shape
        outShape[axis] = range.count
        return Tensor(out, shape: outShape).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    g.withUnsafeBufferPointer { g in
                        for a in 0..<outer {
                            for j in 0..<width { gx[a * n * inner + start + j] += g[a * width + j] }
                        }
                    }
                }
            }
        }
    }

    /// The axes reordered (copied): result axis `i` is axis `axes[i]` of `self`, as PyTorch's
    /// `permute`. For attention heads: `[b, t, h, d].permuted([0, 2, 1, 3])` is `[b, h, t, d]`.
    public func permuted(_ axes: [Int]) -> Tensor {
        precondition(axes.sorted() == Array(0..<rank), "permutation \(axes) does not fit rank \(rank)")
        let x = self
        let outShape = axes.map { shape[$0] }
        let inverse = (0..<rank).map { axes.firstIndex(of: $0)! }
        let out = Tensor.permute(data, shape: shape, axes: axes)
        return Tensor(out, shape: outShape).record([x]) {
            { g in x.accumulateGrad(Tensor.permute(g, shape: outShape, axes: inverse)) }
        }
    }

    /// `values` of `shape` with axes reordered by `axes` (a row-by-row strided copy).
    static func permute(_ values: [Float], shape: [Int], axes: [Int]) -> [Float] {
        if axes == Array(0..<shape.count) { return values }
        var strides = [Int](repeating: 1, count: shape.count)
        for i in stride(from: shape.count - 2, through: 0, by: -1) { strides[i] = strides[i + 1] * shape[i + 1] }
        let outShape = axes.map { shape[$0] }
        let sourceStrides = axes.map { strides[$0] }
        let width = outShape.last ?? 1
        return [Float](unsafeUninitializedCapacity: values.count) { out, initialized in
            values.withUnsafeBufferPointer { v in
                Broadcast.forEachRow(outShape, sourceStrides) { o, s, step in
                    for j in 0..<width { out[o + j] = v[s + j * step] }
                }
            }
            initialized = values.count
        }
    }

    /// `tensors` joined along `axis`; their other extents must agree.
    public static func concat(_ tensors: [Tensor], axis: Int) -> Tensor {
        precondition(!tensors.isEmpty, "concat needs at least one tensor")
        let first = tensors[0]
        let axis = normalizedAxis(axis, rank: first.rank)
        for t in tensors {
            var s = t.shape, f = first.shape
            precondition(s.count == f.count, "concat needs equal ranks")
            s[axis] = 0
            f[axis] = 0
            precondition(s == f, "concat along \(axis): \(t.shape) does not match \(first.shape)")
        }
        let (outer, _, inner) = split(first.shape, at: axis)
        let widths = tensors.map { $0.shape[axis] * inner }
        let total = widths.reduce(0, +)
        var out = [Float](repeating: 0, count: outer * total)
        var offset = 0
        for (t, width) in zip(tensors, widths) {
            t.data.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer { o in
                    for a in 0..<outer {
                        for j in 0..<width { o[a * total + offset + j] = v[a * width + j] }
                    }
                }
            }
            offset += width
        }
        var outShape = first.shape
        outShape[axis] = total / Swift.max(inner, 1)
        return Tensor(out, shape: outShape).record(tensors) {
            { g in
                var offset = 0
                for (t, width) in zip(tensors, widths) {
                    if t.requiresGrad {
                        t.withGradBuffer { gt in
                            g.withUnsafeBufferPointer { g in
                                for a in 0..<outer {
                                    for j in 0..<width { gt[a * width + j] += g[a * total + offset + j] }
                                }
                            }
                        }
                    }
                    offset += width
                }
            }
        }
    }
}
