import CFleetKernels

/// 2-D convolutions over NCHW tensors, forward beside backward: the dense convolution as im2col
/// and one sgemm over the whole batch, and the depthwise convolution (one filter per channel) as
/// direct loops. Layouts are PyTorch's, so weights carry over by name and shape.
extension Tensor {
    /// PyTorch's `F.conv2d(x, weight, bias, stride, padding)`: `x` `[B, C, H, W]`, `weight`
    /// `[O, C, kh, kw]`, `bias` `[O]`; the result is `[B, O, H', W']` with
    /// `H' = (H + 2·padding - kh) / stride + 1` (likewise `W'`), padding with zeros.
    ///
    /// The input is unfolded once into a column matrix `[C·kh·kw, B·H'·W']` (im2col), one sgemm
    /// multiplies the weight `[O, C·kh·kw]` by it, and the `[O, B·H'·W']` product is moved to
    /// `[B, O, H'·W']` with the bias added. Backward with `g` moved to `[O, B·H'·W']` likewise:
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
        let (patch, positions, plane) = (geometry.patchSize, geometry.batch * geometry.outPlane, geometry.outPlane)

        let product = [Float](unsafeUninitializedCapacity: outChannels * positions) { pp, initialized in
            let columns = Tensor.columns(of: x, geometry)
            columns.withUnsafeBufferPointer { pc in
                weight.data.withUnsafeBufferPointer { pw in
                    BLAS.gemm(m: outChannels, n: positions, k: patch, pw.baseAddress!, pc.baseAddress!, beta: 0, pp.baseAddress!)
                }
            }
            initialized = outChannels * positions
        }
        let out = [Float](unsafeUninitializedCapacity: positions * outChannels) { po, initialized in
            product.withUnsafeBufferPointer { pp in
                for b in 0..<geometry.batch {
                    for o in 0..<outChannels {
                        let target = po.baseAddress! + (b * outChannels + o) * plane
                        let value = bias?.data[o] ?? 0
                        let source = pp.baseAddress! + o * positions + b * plane
                        for i in 0..<plane { target[i] = source[i] + value }
                    }
                }
            }
            initialized = positions * outChannels
        }
        let inputs = [x, weight] + (bias.map { [$0] } ?? [])
        let outShape = [geometry.batch, outChannels, geometry.outHeight, geometry.outWidth]
        return Tensor(out, shape: outShape).record(inputs) {
            { g in
                // g [B, O, P] -> [O, B·P], the layout of the product.
                let moved = [Float](unsafeUninitializedCapacity: g.count) { pm, initialized in
                    g.withUnsafeBufferPointer { pg in
                        for b in 0..<geometry.batch {
                            for o in 0..<outChannels {
                                (pm.baseAddress! + o * positions + b * plane)
                                    .initialize(from: pg.baseAddress! + (b * outChannels + o) * plane, count: plane)
                            }
                        }
                    }
                    initialized = g.count
                }
                moved.withUnsafeBufferPointer { pm in
                    if let bias, bias.requiresGrad {
                        bias.withGradBuffer { gb in
                            for o in 0..<outChannels {
                                gb[o] += Kernels.sum(UnsafeBufferPointer(start: pm.baseAddress! + o * positions, count: positions))
                            }
                        }
                    }
                    if weight.requiresGrad {
                        let columns = Tensor.columns(of: x, geometry)
                        columns.withUnsafeBufferPointer { pc in
                            weight.withGradBuffer { gw in
                                BLAS.gemm(transposeB: true, m: outChannels, n: patch, k: positions, pm.baseAddress!,
                                          pc.baseAddress!, beta: 1, gw.baseAddress!)
                            }
                        }
                    }
                    if x.requiresGrad {
                        let gradColumns = [Float](unsafeUninitializedCapacity: patch * positions) { pc, initialized in
                            weight.data.withUnsafeBufferPointer { pw in
                                BLAS.gemm(transposeA: true, m: patch, n: positions, k: outChannels, pw.baseAddress!,
                                          pm.baseAddress!, beta: 0, pc.baseAddress!)
                            }
                            initialized = patch * positions
                        }
                        gradColumns.withUnsafeBufferPointer { pc in
                            x.withGradBuffer { gx in geometry.col2imAdding(pc.baseAddress!, into: gx.baseAddress!) }
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

    /// The im2col matrix of `x` (`[patchSize, B·outPlane]`).
    private static func columns(of x: Tensor, _ geometry: ConvolutionGeometry) -> [Float] {
        let count = geometry.patchSize * geometry.batch * geometry.outPlane
        return [Float](unsafeUninitializedCapacity: count) { pc, initialized in
            x.data.withUnsafeBufferPointer { px in geometry.im2col(px.baseAddress!, into: pc.baseAddress!) }
            initialized = count
        }
    }

    /// PyTorch's `F.conv2d(x, weight, bias, stride, padding, groups: C)`: one `kh x kw` filter per
    /// channel. `x` `[B, C, H, W]`, `weight` `[C, 1, kh, kw]`, `bias` `[C]`; the result is
    /// `[B, C, H', W']` (extents as in ``conv2d(_:weight:bias:stride:padding:)``).
    ///
    /// Direct loops in C (`fleet_depthwise_conv2d_f32`), since a depthwise filter is too small for a
    /// matrix product: each plane is copied into a zero-padded scratch plane, then every kernel tap is
    /// added over whole output rows. Backward: `dx[in] += w · g[out]`, `dweight[c, tap] += Σ g[out] · x[in]`,
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
