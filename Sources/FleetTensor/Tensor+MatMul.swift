/// Matrix products through BLAS `sgemm`, forward beside backward.
///
/// Shapes (the last two axes are the matrices):
/// - `[m, k] @ [k, n] -> [m, n]`;
/// - `[..., m, k] @ [k, n] -> [..., m, n]`: a shared right matrix (e.g. a weight) is one sgemm over
///   all leading rows;
/// - `[..., m, k] @ [..., k, n] -> [..., m, n]` with equal leading (batch) axes: one sgemm per matrix.
///
/// Backward: `dA += dC · Bᵀ` and `dB += Aᵀ · dC`, with sgemm reading the transposes in place and
/// accumulating straight into the gradient buffers (beta = 1), so no temporary is made.
extension Tensor {
    /// The matrix product `self @ other` (see the shapes above).
    public func matmul(_ other: Tensor) -> Tensor {
        let a = self, b = other
        precondition(a.rank >= 2 && b.rank >= 2, "matmul needs matrices, got \(a.shape) @ \(b.shape)")
        let m = a.shape[a.rank - 2], k = a.shape[a.rank - 1]
        let n = b.shape[b.rank - 1]
        precondition(b.shape[b.rank - 2] == k, "matmul inner extents differ: \(a.shape) @ \(b.shape)")
        let batchShape = Array(a.shape.dropLast(2))
        let shared = b.rank == 2
        precondition(shared || Array(b.shape.dropLast(2)) == batchShape,
                     "batched matmul needs equal batch axes: \(a.shape) @ \(b.shape)")
        let batches = batchShape.reduce(1, *)
        // A shared right matrix turns the batch into extra rows of one product.
        let (count, rows) = shared ? (1, batches * m) : (batches, m)

        // Not zeroed first: sgemm with beta 0 writes every element.
        let out = [Float](unsafeUninitializedCapacity: batches * m * n) { pc, initialized in
            a.data.withUnsafeBufferPointer { pa in
                b.data.withUnsafeBufferPointer { pb in
                    for i in 0..<count {
                        BLAS.gemm(m: rows, n: n, k: k, pa.baseAddress! + i * rows * k,
                                  pb.baseAddress! + (shared ? 0 : i * k * n), beta: 0, pc.baseAddress! + i * rows * n)
                    }
                }
            }
            initialized = batches * m * n
        }
        return Tensor(out, shape: batchShape + [m, n]).record([a, b]) {
            { g in
                g.withUnsafeBufferPointer { pg in
                    if a.requiresGrad {
                        b.data.withUnsafeBufferPointer { pb in
                            a.withGradBuffer { ga in
                                for i in 0..<count {
                                    BLAS.gemm(transposeB: true, m: rows, n: k, k: n, pg.baseAddress! + i * rows * n,
                                              pb.baseAddress! + (shared ? 0 : i * k * n), beta: 1,
                                              ga.baseAddress! + i * rows * k)
                                }
                            }
                        }
                    }
                    if b.requiresGrad {
                        a.data.withUnsafeBufferPointer { pa in
                            b.withGradBuffer { gb in
                                for i in 0..<count {
                                    BLAS.gemm(transposeA: true, m: k, n: n, k: rows, pa.baseAddress! + i * rows * k,
                                              pg.baseAddress! + i * rows * n, beta: 1,
                                              gb.baseAddress! + (shared ? 0 : i * k * n))
                                }
                            }
                        }
                    }
                }
            }
        }
    }
}

extension Tensor {
    /// The affine map `x · weightᵀ + bias` in one sgemm, as PyTorch's `F.linear`.
    ///
    /// `x` is `[..., in]`, `weight` is `[out, in]` (PyTorch's layout, so parameters carry over by
    /// name and shape), `bias` is `[out]`; the result is `[..., out]`. The bias rows are copied into
    /// the result first and sgemm adds the product (beta = 1), so no broadcast buffer is made.
    /// Backward: `dx += g · weight`, `dweight += gᵀ · x`, `dbias += Σ_rows g`.
    public static func linear(_ x: Tensor, weight: Tensor, bias: Tensor? = nil) -> Tensor {
        precondition(weight.rank == 2 && x.rank >= 1, "linear needs x [..., in] and weight [out, in]")
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        precondition(x.shape.last == inFeatures, "linear: x \(x.shape) does not end in \(inFeatures)")
        precondition(bias.map { $0.shape == [outFeatures] } ?? true, "linear: bias must be [\(outFeatures)]")
        let rows = x.count / Swift.max(inFeatures, 1)
        let out = [Float](unsafeUninitializedCapacity: rows * outFeatures) { po, initialized in
            x.data.withUnsafeBufferPointer { px in linearRows(px.baseAddress!, rows: rows, weight: weight, bias: bias, into: po.baseAddress!) }
            initialized = rows * outFeatures
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return Tensor(out, shape: x.shape.dropLast() + [outFeatures]).record(inputs) {
            { g in
                g.withUnsafeBufferPointer { pg in
                    if x.requiresGrad {
                        weight.data.withUnsafeBufferPointer { pw in
                            x.withGradBuffer { gx in
                                BLAS.gemm(m: rows, n: inFeatures, k: outFeatures, pg.baseAddress!, pw.baseAddress!,
                                          beta: 1, gx.baseAddress!)
                            }
                        }
                    }
                    if weight.requiresGrad {
                        x.data.withUnsafeBufferPointer { px in
                            weight.withGradBuffer { gw in
                                BLAS.gemm(transposeA: true, m: outFeatures, n: inFeatures, k: rows, pg.baseAddress!,
                                          px.baseAddress!, beta: 1, gw.baseAddress!)
                            }
                        }
                    }
                    if let bias, bias.requiresGrad {
                        bias.withGradBuffer { gb in
                            Kernels.addColumnSums(pg.baseAddress!, rows: rows, columns: outFeatures, into: gb.baseAddress!)
                        }
                    }
                }
            }
        }
    }

    /// `rows` rows of `x` (`[rows, in]`) as ``linear(_:weight:bias:)`` maps them, into `out`
    /// (`[rows, out]`, which need not be initialized): the bias rows copied in first and one sgemm
    /// adding `x · weightᵀ` (beta 1), or writing it (beta 0) without a bias. The one arithmetic of
    /// every linear layer, in the graph, in acting and in training, so that their bits agree.
    static func linearRows(
        _ x: UnsafePointer<Float>, rows: Int, weight: Tensor, bias: Tensor?, into out: UnsafeMutablePointer<Float>
    ) {
        let (outFeatures, inFeatures) = (weight.shape[0], weight.shape[1])
        weight.data.withUnsafeBufferPointer { w in
            if let bias {
                bias.data.withUnsafeBufferPointer { b in
                    for r in 0..<rows { (out + r * outFeatures).initialize(from: b.baseAddress!, count: outFeatures) }
                }
            }
            BLAS.weightProduct(m: rows, n: outFeatures, k: inFeatures, x, w.baseAddress!, beta: bias == nil ? 0 : 1, out)
        }
    }
}
