/// Pooling over the planes of NCHW tensors, forward beside backward: max pooling, average pooling
/// and global average pooling (PyTorch's `F.max_pool2d`, `F.avg_pool2d`, `F.adaptive_avg_pool2d(x, 1)`).
extension Tensor {
    /// The maximum of each `kernel x kernel` window moved by `stride` (default `kernel`), over
    /// planes padded by `padding` (padding never wins: it is -∞, as in PyTorch, and `padding` must be
    /// at most half the kernel so that every window holds an input element). `x` `[B, C, H, W]` to
    /// `[B, C, H', W']` with `H' = (H + 2·padding - kernel) / stride + 1`.
    ///
    /// The forward pass remembers where each maximum came from (the first one on ties, in row-major
    /// window order); backward sends each output's gradient there.
    public func maxPool2d(kernel: Int, stride: Int? = nil, padding: Int = 0) -> Tensor {
        let geometry = ConvolutionGeometry(shape, kernelHeight: kernel, kernelWidth: kernel, stride: stride ?? kernel,
                                           padding: padding, operation: "maxPool2d")
        precondition(2 * padding <= kernel, "maxPool2d: padding \(padding) is more than half the kernel \(kernel)")
        let planes = geometry.batch * geometry.channels
        let (inPlane, outPlane, s) = (geometry.inPlane, geometry.outPlane, geometry.stride)
        // The index, within its input plane, of each output's maximum.
        var sources = [Int32](repeating: 0, count: planes * outPlane)
        let out = [Float](unsafeUninitializedCapacity: planes * outPlane) { po, initialized in
            data.withUnsafeBufferPointer { px in
                sources.withUnsafeMutableBufferPointer { ps in
                    for p in 0..<planes {
                        let plane = px.baseAddress! + p * inPlane
                        for oh in 0..<geometry.outHeight {
                            let rows = geometry.windowRange(oh * s, extent: geometry.height)
                            for ow in 0..<geometry.outWidth {
                                let columns = geometry.windowRange(ow * s, extent: geometry.width)
                                var best = -Float.infinity, at = rows.lowerBound * geometry.width + columns.lowerBound
                                for ih in rows {
                                    for iw in columns where plane[ih * geometry.width + iw] > best {
                                        best = plane[ih * geometry.width + iw]
                                        at = ih * geometry.width + iw
                                    }
                                }
                                po[p * outPlane + oh * geometry.outWidth + ow] = plane[at]
                                ps[p * outPlane + oh * geometry.outWidth + ow] = Int32(at)
                            }
                        }
                    }
                }
            }
            initialized = planes * outPlane
        }
        let x = self
        return Tensor(out, shape: [geometry.batch, geometry.channels, geometry.outHeight, geometry.outWidth]).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    for p in 0..<planes {
                        for i in 0..<outPlane { gx[p * inPlane + Int(sources[p * outPlane + i])] += g[p * outPlane + i] }
                    }
                }
            }
        }
    }

    /// The mean of each `kernel x kernel` window moved by `stride` (default `kernel`), without
    /// padding: `x` `[B, C, H, W]` to `[B, C, H', W']` with `H' = (H - kernel) / stride + 1`.
    /// Backward spreads each output's gradient evenly over its window.
    public func avgPool2d(kernel: Int, stride: Int? = nil) -> Tensor {
        let geometry = ConvolutionGeometry(shape, kernelHeight: kernel, kernelWidth: kernel, stride: stride ?? kernel,
                                           padding: 0, operation: "avgPool2d")
        let planes = geometry.batch * geometry.channels
        let (inPlane, outPlane, s, width) = (geometry.inPlane, geometry.outPlane, geometry.stride, geometry.width)
        let scale = 1 / Float(kernel * kernel)
        let out = [Float](unsafeUninitializedCapacity: planes * outPlane) { po, initialized in
            data.withUnsafeBufferPointer { px in
                for p in 0..<planes {
                    let plane = px.baseAddress! + p * inPlane
                    for oh in 0..<geometry.outHeight {
                        for ow in 0..<geometry.outWidth {
                            var total: Float = 0
                            for ki in 0..<kernel {
                                for kj in 0..<kernel { total += plane[(oh * s + ki) * width + ow * s + kj] }
                            }
                            po[p * outPlane + oh * geometry.outWidth + ow] = total * scale
                        }
                    }
                }
            }
            initialized = planes * outPlane
        }
        let x = self
        return Tensor(out, shape: [geometry.batch, geometry.channels, geometry.outHeight, geometry.outWidth]).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    for p in 0..<planes {
                        for oh in 0..<geometry.outHeight {
                            for ow in 0..<geometry.outWidth {
                                let share = g[p * outPlane + oh * geometry.outWidth + ow] * scale
                                for ki in 0..<kernel {
                                    for kj in 0..<kernel { gx[p * inPlane + (oh * s + ki) * width + ow * s + kj] += share }
                                }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The mean of each plane: `x` `[B, C, H, W]` to `[B, C]` (PyTorch's
    /// `F.adaptive_avg_pool2d(x, 1).flatten(1)`). Backward spreads `g / (H·W)` over the plane.
    public func globalAvgPool2d() -> Tensor {
        precondition(rank == 4, "globalAvgPool2d needs x [B, C, H, W], got \(shape)")
        let planes = shape[0] * shape[1], plane = shape[2] * shape[3]
        precondition(plane > 0, "globalAvgPool2d needs non-empty planes, got \(shape)")
        let scale = 1 / Float(plane)
        let out = [Float](unsafeUninitializedCapacity: planes) { po, initialized in
            data.withUnsafeBufferPointer { px in
                for p in 0..<planes {
                    po[p] = Kernels.sum(UnsafeBufferPointer(start: px.baseAddress! + p * plane, count: plane)) * scale
                }
            }
            initialized = planes
        }
        let x = self
        return Tensor(out, shape: [shape[0], shape[1]]).record([x]) {
            { g in
                x.withGradBuffer { gx in
                    for p in 0..<planes {
                        let share = g[p] * scale
                        for i in 0..<plane { gx[p * plane + i] += share }
                    }
                }
            }
        }
    }
}

extension ConvolutionGeometry {
    /// The input indices (clipped to `0..<extent`) of a window starting at padded position `start`.
    @inline(__always)
    func windowRange(_ start: Int, extent: Int) -> Range<Int> {
        let low = start - padding
        return Swift.max(low, 0)..<Swift.min(low + kernelHeight, extent)
    }
}
