import CFleetKernels

/// 2-D convolutions over NCHW tensors, forward beside backward: the dense convolution as im2col
/// and one sgemm over the whole batch, and the depthwise convolution (one filter per channel) as
/// direct loops. Layouts are PyTorch's, so weights carry over by name and shape.
extension Tensor {
    /// PyTorch's `F.conv2d(x, weight, bias, stride, padding)`: `x` `[B, C, H, W]`, `weight`
    /// `[O, C, kh, kw]`, `bias` `[O]`; the result is `[B, O, H', W']` with
    /// `H' = (H + 2·padding - kh) / stride + 1` (likewise `W'`), padding with zeros.
    ///
    /// The input is unfolded into a column matrix `[C·kh·kw, n·H'·W']` for a chunk of n images at a
    /// time (im2col; chunks of about 4 MiB of columns, so that they stay in cache), one sgemm multiplies
    /// the weight `[O, C·kh·kw]` by it, and the `[O, n·H'·W']` product is moved to `[n, O, H'·W']` with
    /// the bias added. Backward per chunk, with `g` moved to `[O, n·H'·W']` likewise:
    /// `dweight += g · columnsᵀ` (the columns unfolded again rather than kept, to keep the graph small),
    /// `dbias += Σ g`, and `dx += col2im(weightᵀ · g)`. A 1x1 kernel with stride 1 and no padding skips
    /// the unfolding: one sgemm per image on the input as it is.
    public static func conv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(weight.rank == 4, "conv2d weight must be [O, C, kh, kw], is \(weight.shape)")
        let geometry = ConvolutionGeometry(x.shape, kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                           stride: stride, padding: padding, operation: "conv2d")
        let outChannels = weight.shape[0]
        precondition(weight.shape[1] == geometry.channels, "conv2d: weight \(weight.shape) does not take \(geometry.channels) channels")
        precondition(bias.map { $0.shape == [outChannels] } ?? true, "conv2d: bias must be [\(outChannels)]")
        if geometry.patchSize == geometry.channels && stride == 1 && padding == 0 {
            return pointwiseConv2d(x, weight: weight, bias: bias, geometry)
        }
        let (patch, plane) = (geometry.patchSize, geometry.outPlane)
        let chunks = geometry.chunks(columnBudget: 1 << 20)
        let (inImage, outImage) = (geometry.channels * geometry.inPlane, outChannels * plane)
        let largest = chunks.map(\.geometry.batch).max() ?? 0
        var columns = [Float](repeating: 0, count: patch * largest * plane)
        var product = [Float](repeating: 0, count: outChannels * largest * plane)

        let out = [Float](unsafeUninitializedCapacity: geometry.batch * outImage) { po, initialized in
            x.data.withUnsafeBufferPointer { px in
                weight.data.withUnsafeBufferPointer { pw in
                    columns.withUnsafeMutableBufferPointer { pc in
                        product.withUnsafeMutableBufferPointer { pp in
                            for (first, chunk) in chunks {
                                let positions = chunk.batch * plane
                                chunk.im2col(px.baseAddress! + first * inImage, into: pc.baseAddress!)
                                BLAS.gemm(m: outChannels, n: positions, k: patch, pw.baseAddress!, pc.baseAddress!,
                                          beta: 0, pp.baseAddress!)
                                for b in 0..<chunk.batch {
                                    for o in 0..<outChannels {
                                        let target = po.baseAddress! + (first + b) * outImage + o * plane
                                        let source = pp.baseAddress! + o * positions + b * plane
                                        let value = bias?.data[o] ?? 0
                                        for i in 0..<plane { target[i] = source[i] + value }
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = geometry.batch * outImage
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let outShape = [geometry.batch, outChannels, geometry.outHeight, geometry.outWidth]
        return Tensor(out, shape: outShape).record(inputs) {
            { g in
                var moved = [Float](repeating: 0, count: outChannels * largest * plane)
                var columns = [Float](repeating: 0, count: patch * largest * plane)
                g.withUnsafeBufferPointer { pg in
                    moved.withUnsafeMutableBufferPointer { pm in
                        columns.withUnsafeMutableBufferPointer { pc in
                            for (first, chunk) in chunks {
                                let positions = chunk.batch * plane
                                // g [n, O, P] -> [O, n·P], the layout of the product.
                                for b in 0..<chunk.batch {
                                    for o in 0..<outChannels {
                                        (pm.baseAddress! + o * positions + b * plane)
                                            .update(from: pg.baseAddress! + (first + b) * outImage + o * plane, count: plane)
                                    }
                                }
                                if let bias, bias.requiresGrad {
                                    bias.withGradBuffer { gb in
                                        for o in 0..<outChannels {
                                            gb[o] += Kernels.sum(UnsafeBufferPointer(start: pm.baseAddress! + o * positions, count: positions))
                                        }
                                    }
                                }
                                if weight.requiresGrad {
                                    x.data.withUnsafeBufferPointer { px in
                                        chunk.im2col(px.baseAddress! + first * inImage, into: pc.baseAddress!)
                                    }
                                    weight.withGradBuffer { gw in
                                        BLAS.gemm(transposeB: true, m: outChannels, n: patch, k: positions, pm.baseAddress!,
                                                  pc.baseAddress!, beta: 1, gw.baseAddress!)
                                    }
                                }
                                if x.requiresGrad {
                                    weight.data.withUnsafeBufferPointer { pw in
                                        BLAS.gemm(transposeA: true, m: patch, n: positions, k: outChannels, pw.baseAddress!,
                                                  pm.baseAddress!, beta: 0, pc.baseAddress!)
                                    }
                                    x.withGradBuffer { gx in chunk.col2imAdding(pc.baseAddress!, into: gx.baseAddress! + first * inImage) }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// ``conv2d(_:weight:bias:stride:padding:)`` with a 1x1 kernel, stride 1 and no padding: each image
    /// `[C, H·W]` is already its own column matrix, so one sgemm per image writes `weight · x_b` into the
    /// output after the bias (no im2col, no reordering). Backward per image: `dweight += g_b · x_bᵀ`,
    /// `dx_b += weightᵀ · g_b`, `dbias += Σ g_b`.
    private static func pointwiseConv2d(_ x: Tensor, weight: Tensor, bias: Tensor?, _ geometry: ConvolutionGeometry) -> Tensor {
        let (batch, channels, plane, outChannels) = (geometry.batch, geometry.channels, geometry.inPlane, weight.shape[0])
        let (inImage, outImage) = (channels * plane, outChannels * plane)
        let out = [Float](unsafeUninitializedCapacity: batch * outImage) { po, initialized in
            if let bias {
                for b in 0..<batch {
                    for o in 0..<outChannels { (po.baseAddress! + b * outImage + o * plane).initialize(repeating: bias.data[o], count: plane) }
                }
            }
            x.data.withUnsafeBufferPointer { px in
                weight.data.withUnsafeBufferPointer { pw in
                    for b in 0..<batch {
                        BLAS.gemm(m: outChannels, n: plane, k: channels, pw.baseAddress!, px.baseAddress! + b * inImage,
                                  beta: bias == nil ? 0 : 1, po.baseAddress! + b * outImage)
                    }
                }
            }
            initialized = batch * outImage
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return Tensor(out, shape: [batch, outChannels, geometry.outHeight, geometry.outWidth]).record(inputs) {
            { g in
                g.withUnsafeBufferPointer { pg in
                    if let bias, bias.requiresGrad {
                        bias.withGradBuffer { gb in
                            for b in 0..<batch {
                                for o in 0..<outChannels {
                                    gb[o] += Kernels.sum(UnsafeBufferPointer(start: pg.baseAddress! + b * outImage + o * plane, count: plane))
                                }
                            }
                        }
                    }
                    if weight.requiresGrad {
                        x.data.withUnsafeBufferPointer { px in
                            weight.withGradBuffer { gw in
                                for b in 0..<batch {
                                    BLAS.gemm(transposeB: true, m: outChannels, n: channels, k: plane, pg.baseAddress! + b * outImage,
                                              px.baseAddress! + b * inImage, beta: 1, gw.baseAddress!)
                                }
                            }
                        }
                    }
                    if x.requiresGrad {
                        weight.data.withUnsafeBufferPointer { pw in
                            x.withGradBuffer { gx in
                                for b in 0..<batch {
                                    BLAS.gemm(transposeA: true, m: channels, n: plane, k: outChannels, pw.baseAddress!,
                                              pg.baseAddress! + b * outImage, beta: 1, gx.baseAddress! + b * inImage)
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// PyTorch's `F.conv2d(x, weight, bias, stride, padding, groups: C)`: one `kh x kw` filter per
    /// channel. `x` `[B, C, H, W]`, `weight` `[C, 1, kh, kw]`, `bias` `[C]`; the result is
    /// `[B, C, H', W']` (extents as in ``conv2d(_:weight:bias:stride:padding:)``).
    ///
    /// Direct loops in C (`fleet_depthwise_conv2d_f32`), since a depthwise filter is too small for a
    /// matrix product: each plane is copied into zero-padded planes split by the stride into phases,
    /// so that every kernel tap is one contiguous loop over the plane. Backward: `dx[in] += w · g[out]`, `dweight[c, tap] += Σ g[out] · x[in]`,
    /// `dbias[c] += Σ g` over the same pairs.
    public static func depthwiseConv2d(_ x: Tensor, weight: Tensor, bias: Tensor? = nil, stride: Int = 1, padding: Int = 0) -> Tensor {
        precondition(weight.rank == 4 && weight.shape[1] == 1, "depthwiseConv2d weight must be [C, 1, kh, kw], is \(weight.shape)")
        let geometry = ConvolutionGeometry(x.shape, kernelHeight: weight.shape[2], kernelWidth: weight.shape[3],
                                           stride: stride, padding: padding, operation: "depthwiseConv2d")
        let channels = geometry.channels
        precondition(weight.shape[0] == channels, "depthwiseConv2d: weight \(weight.shape) does not match \(channels) channels")
        precondition(bias.map { $0.shape == [channels] } ?? true, "depthwiseConv2d: bias must be [\(channels)]")
        var shape = fleet_depthwise_shape(
            batch: Int32(geometry.batch), channels: Int32(channels), height: Int32(geometry.height), width: Int32(geometry.width),
            kernel_height: Int32(geometry.kernelHeight), kernel_width: Int32(geometry.kernelWidth), stride: Int32(stride),
            padding: Int32(padding), out_height: Int32(geometry.outHeight), out_width: Int32(geometry.outWidth))
        let count = geometry.batch * channels * geometry.outPlane
        let out = [Float](unsafeUninitializedCapacity: count) { po, initialized in
            x.data.withUnsafeBufferPointer { px in
                weight.data.withUnsafeBufferPointer { pw in
                    withOptionalPointer(bias?.data) { pb in
                        fleet_depthwise_conv2d_f32(&shape, px.baseAddress!, pw.baseAddress!, pb, po.baseAddress!)
                    }
                }
            }
            initialized = count
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        return Tensor(out, shape: [geometry.batch, channels, geometry.outHeight, geometry.outWidth]).record(inputs) {
            { g in
                // Gradients are added into zeroed buffers, then into the inputs' (which may not exist yet).
                var dx = x.requiresGrad ? [Float](repeating: 0, count: x.count) : nil
                var dweight = weight.requiresGrad ? [Float](repeating: 0, count: weight.count) : nil
                var dbias = bias?.requiresGrad == true ? [Float](repeating: 0, count: channels) : nil
                x.data.withUnsafeBufferPointer { px in
                    weight.data.withUnsafeBufferPointer { pw in
                        g.withUnsafeBufferPointer { pg in
                            withOptionalMutablePointer(&dx) { pdx in
                                withOptionalMutablePointer(&dweight) { pdw in
                                    withOptionalMutablePointer(&dbias) { pdb in
                                        fleet_depthwise_conv2d_backward_f32(
                                            &shape, px.baseAddress!, pw.baseAddress!, pg.baseAddress!, pdx, pdw, pdb)
                                    }
                                }
                            }
                        }
                    }
                }
                if let dx { x.accumulateGrad(dx) }
                if let dweight { weight.accumulateGrad(dweight) }
                if let dbias, let bias { bias.accumulateGrad(dbias) }
            }
        }
    }
}

/// Calls `body` with a pointer to `values`' elements, or with nil when there are none.
private func withOptionalPointer<R>(_ values: [Float]?, _ body: (UnsafePointer<Float>?) -> R) -> R {
    guard let values else { return body(nil) }
    return values.withUnsafeBufferPointer { body($0.baseAddress) }
}

/// Calls `body` with a mutable pointer to `values`' elements, or with nil when there are none.
private func withOptionalMutablePointer<R>(_ values: inout [Float]?, _ body: (UnsafeMutablePointer<Float>?) -> R) -> R {
    guard values != nil else { return body(nil) }
    return values!.withUnsafeMutableBufferPointer { body($0.baseAddress) }
}
