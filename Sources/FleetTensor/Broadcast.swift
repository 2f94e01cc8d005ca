/// NumPy broadcasting: shapes are aligned at their last axes; an axis of extent 1 (or a missing
/// leading axis) stretches to the other operand's extent.
///
/// Binary operations whose operands have the same shape, or where one is a single element, run
/// straight loops. Any other combination expands the smaller operand into a buffer of the result's
/// shape (a row-by-row copy) and then runs the same loop; the backward pass sums the result's
/// gradient back over the stretched axes (``sumToShape(_:from:to:)``).
enum Broadcast {
    /// The broadcast result shape of `a` and `b`.
    static func shape(_ a: [Int], _ b: [Int]) -> [Int] {
        let rank = max(a.count, b.count)
        var out = [Int](repeating: 1, count: rank)
        for i in 0..<rank {
            let x = i < rank - a.count ? 1 : a[i - (rank - a.count)]
            let y = i < rank - b.count ? 1 : b[i - (rank - b.count)]
            precondition(x == y || x == 1 || y == 1, "shapes \(a) and \(b) do not broadcast")
            out[i] = x == 1 ? y : x
        }
        return out
    }

    /// Strides of `shape` (row-major) aligned to `outShape`, 0 along stretched axes.
    static func strides(of shape: [Int], in outShape: [Int]) -> [Int] {
        let offset = outShape.count - shape.count
        var strides = [Int](repeating: 0, count: outShape.count)
        var step = 1
        for i in (0..<shape.count).reversed() {
            strides[i + offset] = shape[i] == 1 && outShape[i + offset] != 1 ? 0 : step
            step *= shape[i]
        }
        return strides
    }

    /// Visits the result's rows (all axes but the last) in order, giving the result row's start,
    /// the source element offset of that row, and the source's stride along the last axis.
    @inline(__always)
    static func forEachRow(
        _ outShape: [Int], _ srcStrides: [Int], _ body: (_ outStart: Int, _ srcStart: Int, _ srcStep: Int) -> Void
    ) {
        let rank = outShape.count
        if rank == 0 {
            body(0, 0, 0)
            return
        }
        let width = outShape[rank - 1]
        let rows = outShape.reduce(1, *) / max(width, 1)
        if rows == 0 || width == 0 { return }
        var index = [Int](repeating: 0, count: rank)
        var src = 0
        for row in 0..<rows {
            body(row * width, src, srcStrides[rank - 1])
            // Advance the odometer over axes 0..<rank-1.
            var axis = rank - 2
            while axis >= 0 {
                index[axis] += 1
                src += srcStrides[axis]
                if index[axis] < outShape[axis] { break }
                src -= srcStrides[axis] * outShape[axis]
                index[axis] = 0
                axis -= 1
            }
        }
    }

    /// `values` (shaped `shape`) stretched to `outShape`.
    static func expand(_ values: [Float], from shape: [Int], to outShape: [Int]) -> [Float] {
        if shape == outShape { return values }
        let n = outShape.reduce(1, *)
        if values.count == 1 { return [Float](repeating: values[0], count: n) }
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            values.withUnsafeBufferPointer { v in
                guard let src = v.baseAddress, let dst = out.baseAddress else { return }
                let trimmed = shape.drop { $0 == 1 }
                if outShape.suffix(trimmed.count).elementsEqual(trimmed) {
                    // A trailing block (a bias row, say) repeated: block copies.
                    for start in stride(from: 0, to: n, by: v.count) { (dst + start).update(from: src, count: v.count) }
                } else {
                    let width = outShape.last ?? 1
                    forEachRow(outShape, strides(of: shape, in: outShape)) { o, s, step in
                        if step == 0 {
                            (dst + o).update(repeating: src[s], count: width)
                        } else {
                            (dst + o).update(from: src + s, count: width)
                        }
                    }
                }
            }
            initialized = n
        }
    }

    /// `values` (shaped `outShape`) summed over the axes along which `shape` was stretched.
    static func sumToShape(_ values: [Float], from outShape: [Int], to shape: [Int]) -> [Float] {
        if shape == outShape { return values }
        let n = shape.reduce(1, *)
        var result = [Float](repeating: 0, count: n)
        if n == 1 {
            result[0] = values.withUnsafeBufferPointer { Kernels.sum($0) }
            return result
        }
        let trimmed = shape.drop { $0 == 1 }
        let tiled = outShape.suffix(trimmed.count).elementsEqual(trimmed)
        let width = outShape.last ?? 1
        values.withUnsafeBufferPointer { v in
            result.withUnsafeMutableBufferPointer { r in
                if tiled {
                    // A trailing block repeated (a bias row, say): add the blocks up.
                    for start in stride(from: 0, to: v.count, by: n) {
                        for j in 0..<n { r[j] += v[start + j] }
                    }
                    return
                }
                forEachRow(outShape, strides(of: shape, in: outShape)) { o, s, step in
                    if step == 0 {
                        var total: Float = 0
                        for j in 0..<width { total += v[o + j] }
                        r[s] += total
                    } else {
                        for j in 0..<width { r[s + j] += v[o + j] }
                    }
                }
            }
        }
        return result
    }
}
