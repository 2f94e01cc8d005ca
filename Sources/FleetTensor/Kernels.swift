import CFleetKernels

/// Elementwise loops over contiguous buffers, without bounds checks or per-element calls.
///
/// They are `@inline(__always)` so that the closure given at each call site is inlined into the
/// loop and the compiler can vectorize it.
enum Kernels {
    /// The sum of `x`, accumulated in 8 interleaved lanes (vectorizable, and a fixed order, so
    /// the result is deterministic), lanes added pairwise at the end.
    static func sum(_ x: UnsafeBufferPointer<Float>) -> Float {
        var lanes = SIMD8<Float>()
        let whole = x.count / 8 * 8
        var i = 0
        while i < whole {
            lanes += SIMD8(x[i], x[i + 1], x[i + 2], x[i + 3], x[i + 4], x[i + 5], x[i + 6], x[i + 7])
            i += 8
        }
        var tail: Float = 0
        while i < x.count {
            tail += x[i]
            i += 1
        }
        let four = lanes.lowHalf + lanes.highHalf
        let two = four.lowHalf + four.highHalf
        return (two[0] + two[1]) + tail
    }

    /// `[FastMath.tanh(x[i])]`, bit for bit, in CFleetKernels' widest variant for this CPU.
    static func tanh(_ x: [Float]) -> [Float] {
        let n = x.count
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            x.withUnsafeBufferPointer { x in
                if let source = x.baseAddress, let destination = out.baseAddress {
                    fleet_tanh_f32(source, destination, n)
                }
            }
            initialized = n
        }
    }

    /// The instruction set ``tanh(_:)`` and the Adam step run with on this CPU (`avx512f`,
    /// `avx2`, `sse2`, ...).
    static var vectorInstructionSet: String { String(cString: fleet_kernels_isa()) }

    /// `sums[j] += x[r, j]` for every row `r` of the row-major `rows` x `columns` matrix `x`,
    /// added in row order for each column (the order of the plain double loop, so the same
    /// bits), eight columns at a time.
    static func addColumnSums(_ x: UnsafePointer<Float>, rows: Int, columns: Int, into sums: UnsafeMutablePointer<Float>) {
        typealias V = SIMD8<Float>
        var j = 0
        while j + 8 <= columns {
            var acc = UnsafeRawPointer(sums + j).loadUnaligned(as: V.self)
            var row = x + j
            for _ in 0..<rows {
                acc += UnsafeRawPointer(row).loadUnaligned(as: V.self)
                row += columns
            }
            UnsafeMutableRawPointer(sums + j).storeBytes(of: acc, as: V.self)
            j += 8
        }
        while j < columns {
            var acc = sums[j]
            for r in 0..<rows { acc += x[r * columns + j] }
            sums[j] = acc
            j += 1
        }
    }

    /// `[f(x[i])]`.
    @inline(__always)
    static func map(_ x: [Float], _ f: (Float) -> Float) -> [Float] {
        let n = x.count
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            x.withUnsafeBufferPointer { x in
                for i in 0..<n { out[i] = f(x[i]) }
            }
            initialized = n
        }
    }

    /// `[f(x[i], y[i])]`; the arrays have the same count.
    @inline(__always)
    static func map(_ x: [Float], _ y: [Float], _ f: (Float, Float) -> Float) -> [Float] {
        let n = x.count
        precondition(y.count == n)
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            x.withUnsafeBufferPointer { x in
                y.withUnsafeBufferPointer { y in
                    for i in 0..<n { out[i] = f(x[i], y[i]) }
                }
            }
            initialized = n
        }
    }

    /// `[f(x[i], y[i], z[i])]`; the arrays have the same count.
    @inline(__always)
    static func map(_ x: [Float], _ y: [Float], _ z: [Float], _ f: (Float, Float, Float) -> Float) -> [Float] {
        let n = x.count
        precondition(y.count == n && z.count == n)
        return [Float](unsafeUninitializedCapacity: n) { out, initialized in
            x.withUnsafeBufferPointer { x in
                y.withUnsafeBufferPointer { y in
                    z.withUnsafeBufferPointer { z in
                        for i in 0..<n { out[i] = f(x[i], y[i], z[i]) }
                    }
                }
            }
            initialized = n
        }
    }
}

extension Tensor {
    /// Adds `f(g[i], x[i])` into the gradient, for same-shape unary rules (no temporary buffer).
    @inline(__always)
    func accumulateGrad(_ g: [Float], _ x: [Float], _ f: (Float, Float) -> Float) {
        withGradBuffer { grad in
            g.withUnsafeBufferPointer { g in
                x.withUnsafeBufferPointer { x in
                    for i in 0..<grad.count { grad[i] += f(g[i], x[i]) }
                }
            }
        }
    }

    /// Adds `f(g[i], x[i], y[i])` into the gradient (no temporary buffer).
    @inline(__always)
    func accumulateGrad(_ g: [Float], _ x: [Float], _ y: [Float], _ f: (Float, Float, Float) -> Float) {
        withGradBuffer { grad in
            g.withUnsafeBufferPointer { g in
                x.withUnsafeBufferPointer { x in
                    y.withUnsafeBufferPointer { y in
                        for i in 0..<grad.count { grad[i] += f(g[i], x[i], y[i]) }
                    }
                }
            }
        }
    }

    /// Adds `values`, shaped like the broadcast result `outShape`, summed back to this shape.
    func accumulateGrad(_ values: [Float], broadcastFrom outShape: [Int]) {
        accumulateGrad(Broadcast.sumToShape(values, from: outShape, to: shape))
    }
}
