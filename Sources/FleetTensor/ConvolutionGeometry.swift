/// The shape arithmetic of a 2-D sliding window (convolution or pooling) over NCHW planes, and the
/// im2col / col2im copies that turn a convolution into one matrix product.
///
/// A window of `kernelHeight x kernelWidth` moves by `stride` over a plane padded by `padding`
/// zeros on every side; output position `(oh, ow)` reads input `(oh·stride - padding + ki,
/// ow·stride - padding + kj)`. Output extents are PyTorch's: `(H + 2·padding - kernel) / stride + 1`.
struct ConvolutionGeometry: Equatable {
    private(set) var batch: Int
    let channels: Int, height: Int, width: Int
    let kernelHeight: Int, kernelWidth: Int
    let stride: Int, padding: Int

    /// The output height.
    var outHeight: Int { (height + 2 * padding - kernelHeight) / stride + 1 }
    /// The output width.
    var outWidth: Int { (width + 2 * padding - kernelWidth) / stride + 1 }
    /// Output positions per plane.
    var outPlane: Int { outHeight * outWidth }
    /// Input elements per plane.
    var inPlane: Int { height * width }
    /// Rows of the column matrix: one per (channel, ki, kj).
    var patchSize: Int { channels * kernelHeight * kernelWidth }

    /// The geometry of `x` `[B, C, H, W]` under a `kernelHeight x kernelWidth` window; traps when the
    /// window does not fit the padded input (`operation` names the caller in the message).
    init(_ shape: [Int], kernelHeight: Int, kernelWidth: Int, stride: Int, padding: Int, operation: String) {
        precondition(shape.count == 4, "\(operation) needs x [B, C, H, W], got \(shape)")
        precondition(stride >= 1 && padding >= 0 && kernelHeight >= 1 && kernelWidth >= 1,
                     "\(operation): kernel and stride must be positive, padding non-negative")
        (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3])
        (self.kernelHeight, self.kernelWidth, self.stride, self.padding) = (kernelHeight, kernelWidth, stride, padding)
        precondition(height + 2 * padding >= kernelHeight && width + 2 * padding >= kernelWidth,
                     "\(operation): a \(kernelHeight)x\(kernelWidth) window does not fit \(shape) padded by \(padding)")
    }

    /// The batch split into consecutive chunks of images whose column matrix (`patchSize x
    /// images·outPlane`) holds at most `columnBudget` elements (at least one image each): each chunk's
    /// first image and its geometry.
    func chunks(columnBudget: Int) -> [(first: Int, geometry: ConvolutionGeometry)] {
        let size = Swift.max(1, columnBudget / Swift.max(1, patchSize * outPlane))
        return Swift.stride(from: 0, to: batch, by: size).map { first in
            var chunk = self
            chunk.batch = Swift.min(size, batch - first)
            return (first, chunk)
        }
    }

    /// The output columns `ow` whose input column `ow·stride - padding + offset` lies inside the
    /// plane (`offset` is the kernel column `kj`); the others read padding.
    @inline(__always)
    func validColumns(offset: Int) -> Range<Int> {
        Self.valid(extent: width, out: outWidth, offset: offset, stride: stride, padding: padding)
    }

    /// The output rows `oh` whose input row lies inside the plane, for kernel row `offset`.
    @inline(__always)
    func validRows(offset: Int) -> Range<Int> {
        Self.valid(extent: height, out: outHeight, offset: offset, stride: stride, padding: padding)
    }

    /// Output indices `o` in `0..<out` with `0 <= o·stride - padding + offset < extent`.
    @inline(__always)
    static func valid(extent: Int, out: Int, offset: Int, stride: Int, padding: Int) -> Range<Int> {
        let low = padding - offset  // o·stride >= low
        let high = extent - 1 + padding - offset  // o·stride <= high
        let first = low > 0 ? (low + stride - 1) / stride : 0
        let end = high < 0 ? 0 : Swift.min(out, high / stride + 1)
        return first..<Swift.max(first, end)
    }

    /// Writes the column matrix of `x` (`[B, C, H, W]`) into `columns` (`[patchSize, B·outPlane]`,
    /// need not be initialized): row `(c, ki, kj)`, column `b·outPlane + oh·outWidth + ow` holds the
    /// input element that kernel tap reads at that output position, or 0 in the padding.
    func im2col(_ x: UnsafePointer<Float>, into columns: UnsafeMutablePointer<Float>) {
        let rowLength = batch * outPlane
        for c in 0..<channels {
            for ki in 0..<kernelHeight {
                let rows = validRows(offset: ki)
                for kj in 0..<kernelWidth {
                    let row = columns + ((c * kernelHeight + ki) * kernelWidth + kj) * rowLength
                    let cols = validColumns(offset: kj)
                    for b in 0..<batch {
                        let plane = x + (b * channels + c) * inPlane
                        for oh in 0..<outHeight {
                            let out = row + b * outPlane + oh * outWidth
                            guard rows.contains(oh) else {
                                out.update(repeating: 0, count: outWidth)
                                continue
                            }
                            out.update(repeating: 0, count: cols.lowerBound)
                            (out + cols.upperBound).update(repeating: 0, count: outWidth - cols.upperBound)
                            let source = plane + (oh * stride - padding + ki) * width - padding + kj
                            if stride == 1 {
                                (out + cols.lowerBound).update(from: source + cols.lowerBound, count: cols.count)
                            } else {
                                for ow in cols { out[ow] = source[ow * stride] }
                            }
                        }
                    }
                }
            }
        }
    }

    /// The adjoint of ``im2col(_:into:)``: adds every element of `columns` into the input element it
    /// was copied from (`dx`, `[B, C, H, W]`); padding positions are dropped.
    func col2imAdding(_ columns: UnsafePointer<Float>, into dx: UnsafeMutablePointer<Float>) {
        let rowLength = batch * outPlane
        for c in 0..<channels {
            for ki in 0..<kernelHeight {
                let rows = validRows(offset: ki)
                for kj in 0..<kernelWidth {
                    let row = columns + ((c * kernelHeight + ki) * kernelWidth + kj) * rowLength
                    let cols = validColumns(offset: kj)
                    for b in 0..<batch {
                        let plane = dx + (b * channels + c) * inPlane
                        for oh in rows {
                            let source = row + b * outPlane + oh * outWidth
                            let target = plane + (oh * stride - padding + ki) * width - padding + kj
                            for ow in cols { target[ow * stride] += source[ow] }
                        }
                    }
                }
            }
        }
    }
}
