/// Gathering, scattering and embedding lookup with integer indices, forward beside backward.
///
/// Indices are plain `[Int]` (row-major), not tensors: they are never differentiated. Gather and
/// scatter-add are each other's gradient.
extension Tensor {
    /// Picks elements along `axis` by index, as PyTorch's `gather`.
    ///
    /// `indices` is row-major with the shape of `self` except along `axis`, where its extent is
    /// `k = indices.count / (product of the other extents)`; the result has that shape and
    /// `result[a, j, b] = self[a, indices[a, j, b], b]`. For the log-probabilities of taken
    /// actions: `logProbs` `[n, actions]`, `gather(axis: 1, indices: actions)` is `[n, 1]`.
    public func gather(axis: Int, indices: [Int]) -> Tensor {
        let axis = Tensor.normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = Tensor.split(shape, at: axis)
        let k = Tensor.indexExtent(indices.count, outer: outer, inner: inner)
        precondition(indices.allSatisfy { $0 >= 0 && $0 < n }, "gather index out of 0..<\(n)")
        let x = self
        var out = [Float](repeating: 0, count: indices.count)
        data.withUnsafeBufferPointer { v in
            for a in 0..<outer {
                for j in 0..<k {
                    for b in 0..<inner {
                        let i = (a * k + j) * inner + b
                        out[i] = v[(a * n + indices[i]) * inner + b]
                    }
                }
            }
        }
        var outShape = shape
        outShape[axis] = k
        return Tensor(out, shape: outShape).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    Tensor.scatterAdd(g, into: gx, indices: indices, outer: outer, n: n, k: k, inner: inner)
                }
            }
        }
    }

    /// A copy of `self` with `source` added at `indices` along `axis`, as PyTorch's `scatter_add`:
    /// `result[a, indices[a, j, b], b] += source[a, j, b]`. Repeated indices add up.
    ///
    /// `indices` has the shape of `source`, which matches `self` except along `axis`.
    public func scatterAdding(_ source: Tensor, axis: Int, indices: [Int]) -> Tensor {
        let axis = Tensor.normalizedAxis(axis, rank: rank)
        let (outer, n, inner) = Tensor.split(shape, at: axis)
        precondition(indices.count == source.count, "scatter needs one index per source element")
        let k = Tensor.indexExtent(indices.count, outer: outer, inner: inner)
        var expected = shape
        expected[axis] = k
        precondition(source.shape == expected, "scatter source \(source.shape), expected \(expected)")
        precondition(indices.allSatisfy { $0 >= 0 && $0 < n }, "scatter index out of 0..<\(n)")
        let x = self
        var out = data
        out.withUnsafeMutableBufferPointer { o in
            Tensor.scatterAdd(source.data, into: o, indices: indices, outer: outer, n: n, k: k, inner: inner)
        }
        return Tensor(out, shape: shape).record([x, source]) {
            { g in
                if x.requiresGrad { x.accumulateGrad(g) }
                if source.requiresGrad {
                    source.withGradBuffer { gs in
                        for a in 0..<outer {
                            for j in 0..<k {
                                for b in 0..<inner {
                                    let i = (a * k + j) * inner + b
                                    gs[i] += g[(a * n + indices[i]) * inner + b]
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// Rows of this `[vocabulary, dimension]` table picked by `ids`: the result has shape
    /// `idsShape + [dimension]` (`idsShape` defaults to `[ids.count]`). The backward pass adds
    /// each result row's gradient into the row it came from.
    public func embedding(_ ids: [Int], shape idsShape: [Int]? = nil) -> Tensor {
        precondition(rank == 2, "embedding needs a [vocabulary, dimension] table, shape is \(shape)")
        let idsShape = idsShape ?? [ids.count]
        precondition(idsShape.reduce(1, *) == ids.count, "ids shape \(idsShape) does not hold \(ids.count) ids")
        let vocabulary = shape[0], d = shape[1]
        precondition(ids.allSatisfy { $0 >= 0 && $0 < vocabulary }, "token id out of 0..<\(vocabulary)")
        let table = self
        var out = [Float](repeating: 0, count: ids.count * d)
        data.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { o in
                for (r, id) in ids.enumerated() {
                    for j in 0..<d { o[r * d + j] = v[id * d + j] }
                }
            }
        }
        return Tensor(out, shape: idsShape + [d]).record([table]) {
            { g in
                table.withGradBuffer { gt in
                    g.withUnsafeBufferPointer { g in
                        for (r, id) in ids.enumerated() {
                            for j in 0..<d { gt[id * d + j] += g[r * d + j] }
                        }
                    }
                }
            }
        }
    }

    /// `target[a, indices[a, j, b], b] += values[a, j, b]`.
    static func scatterAdd(
        _ values: [Float], into target: UnsafeMutableBufferPointer<Float>, indices: [Int],
        outer: Int, n: Int, k: Int, inner: Int
    ) {
        values.withUnsafeBufferPointer { v in
            for a in 0..<outer {
                for j in 0..<k {
                    for b in 0..<inner {
                        let i = (a * k + j) * inner + b
                        target[(a * n + indices[i]) * inner + b] += v[i]
                    }
                }
            }
        }
    }

    /// The extent `k` of the indexed axis for `count` indices around `outer` and `inner`.
    static func indexExtent(_ count: Int, outer: Int, inner: Int) -> Int {
        let rest = outer * inner
        precondition(rest > 0 && count % rest == 0, "\(count) indices do not fit the other extents (\(rest))")
        return count / rest
    }
}
