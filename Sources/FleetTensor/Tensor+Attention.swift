import Foundation

/// Causal scaled dot-product attention, fused (forward and backward through sgemm).
///
/// Shapes: `q` is `[..., tq, d]`, `k` is `[..., tk, d]`, `v` is `[..., tk, dv]` with equal leading
/// axes (for a transformer, `[batch, heads, t, d]`); the result is `[..., tq, dv]`.
/// `tk >= tq`, and the queries are the *last* `tq` positions: query `i` attends keys
/// `0 ... i + (tk - tq)`. With `tq == tk` that is the usual causal mask; with a key/value cache
/// (`tq == 1`) the new token attends everything before it.
///
/// Per matrix: `S = Q Kᵀ / √d`, masked entries get probability 0, `P = softmax(S)` row-wise (max
/// subtracted), `O = P V`. Backward, with `G = dO`:
/// `dV = Pᵀ G`, `dP = G Vᵀ`, `dS = P ⊙ (dP - rowsum(dP ⊙ P))`, `dQ = dS K / √d`, `dK = dSᵀ Q / √d`.
/// The probabilities `P` are kept for backward (`tq x tk` per matrix).
extension Tensor {
    /// Causal self-attention of `q` over `k` and `v` (see the shapes above).
    public static func causalAttention(_ q: Tensor, _ k: Tensor, _ v: Tensor) -> Tensor {
        precondition(q.rank >= 2 && k.rank == q.rank && v.rank == q.rank, "attention needs [..., t, d] operands")
        let batchShape = Array(q.shape.dropLast(2))
        precondition(Array(k.shape.dropLast(2)) == batchShape && Array(v.shape.dropLast(2)) == batchShape,
                     "attention operands need equal leading axes: \(q.shape), \(k.shape), \(v.shape)")
        let tq = q.shape[q.rank - 2], d = q.shape[q.rank - 1]
        let tk = k.shape[k.rank - 2], dv = v.shape[v.rank - 1]
        precondition(k.shape[k.rank - 1] == d && v.shape[v.rank - 2] == tk, "attention: k must be [..., tk, d], v [..., tk, dv]")
        precondition(tk >= tq, "attention needs at least as many keys as queries")
        let batches = batchShape.reduce(1, *)
        let offset = tk - tq
        let scale = 1 / Float(d).squareRoot()

        var probabilities = [Float](repeating: 0, count: batches * tq * tk)
        var out = [Float](repeating: 0, count: batches * tq * dv)
        q.data.withUnsafeBufferPointer { pq in
            k.data.withUnsafeBufferPointer { pk in
                v.data.withUnsafeBufferPointer { pv in
                    probabilities.withUnsafeMutableBufferPointer { pp in
                        out.withUnsafeMutableBufferPointer { po in
                            for b in 0..<batches {
                                let p = pp.baseAddress! + b * tq * tk
                                BLAS.gemm(transposeB: true, m: tq, n: tk, k: d, alpha: scale,
                                          pq.baseAddress! + b * tq * d, pk.baseAddress! + b * tk * d, beta: 0, p)
                                for i in 0..<tq {
                                    let row = p + i * tk, last = i + offset
                                    var m = -Float.infinity
                                    for j in 0...last { m = Swift.max(m, row[j]) }
                                    var total: Float = 0
                                    for j in 0...last {
                                        row[j] = Foundation.exp(row[j] - m)
                                        total += row[j]
                                    }
                                    let inverse = 1 / total
                                    for j in 0...last { row[j] *= inverse }
                                    for j in (last + 1)..<tk { row[j] = 0 }
                                }
                                BLAS.gemm(m: tq, n: dv, k: tk, p, pv.baseAddress! + b * tk * dv, beta: 0,
                                          po.baseAddress! + b * tq * dv)
                            }
                        }
                    }
                }
            }
        }
        return Tensor(out, shape: batchShape + [tq, dv]).record([q, k, v]) {
            { g in
                var dScores = [Float](repeating: 0, count: tq * tk)
                g.withUnsafeBufferPointer { pg in
                    probabilities.withUnsafeBufferPointer { pp in
                        for b in 0..<batches {
                            let p = pp.baseAddress! + b * tq * tk
                            let gOut = pg.baseAddress! + b * tq * dv
                            if v.requiresGrad {
                                v.withGradBuffer { gv in
                                    BLAS.gemm(transposeA: true, m: tk, n: dv, k: tq, p, gOut, beta: 1,
                                              gv.baseAddress! + b * tk * dv)
                                }
                            }
                            guard q.requiresGrad || k.requiresGrad else { continue }
                            dScores.withUnsafeMutableBufferPointer { ds in
                                let s = ds.baseAddress!
                                v.data.withUnsafeBufferPointer { pv in
                                    BLAS.gemm(transposeB: true, m: tq, n: tk, k: dv, gOut, pv.baseAddress! + b * tk * dv,
                                              beta: 0, s)
                                }
                                for i in 0..<tq {
                                    var dot: Float = 0
                                    for j in 0..<tk { dot += s[i * tk + j] * p[i * tk + j] }
                                    for j in 0..<tk { s[i * tk + j] = p[i * tk + j] * (s[i * tk + j] - dot) }
                                }
                                if q.requiresGrad {
                                    k.data.withUnsafeBufferPointer { pk in
                                        q.withGradBuffer { gq in
                                            BLAS.gemm(m: tq, n: d, k: tk, alpha: scale, s, pk.baseAddress! + b * tk * d,
                                                      beta: 1, gq.baseAddress! + b * tq * d)
                                        }
                                    }
                                }
                                if k.requiresGrad {
                                    q.data.withUnsafeBufferPointer { pq in
                                        k.withGradBuffer { gk in
                                            BLAS.gemm(transposeA: true, m: tk, n: d, k: tq, alpha: scale, s,
                                                      pq.baseAddress! + b * tq * d, beta: 1, gk.baseAddress! + b * tk * d)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}
