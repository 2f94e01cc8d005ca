import Foundation

/// Elementwise arithmetic with NumPy broadcasting, each forward beside its gradient rule.
///
/// Binary rules compute the gradient for the broadcast result shape and sum it back to each
/// input's shape. Scalar (`Float`) operands are constants.
extension Tensor {
    /// Runs `f` over `a` and `b` broadcast together; returns the result shape and the expanded
    /// operands (the originals when no expansion was needed), which backward rules reuse.
    @inline(__always)
    static func broadcastMap(
        _ a: Tensor, _ b: Tensor, _ f: (Float, Float) -> Float
    ) -> (shape: [Int], a: [Float], b: [Float], out: [Float]) {
        let shape = a.shape == b.shape ? a.shape : Broadcast.shape(a.shape, b.shape)
        let av = Broadcast.expand(a.data, from: a.shape, to: shape)
        let bv = Broadcast.expand(b.data, from: b.shape, to: shape)
        return (shape, av, bv, Kernels.map(av, bv, f))
    }

    /// `a + b`.
    public static func + (a: Tensor, b: Tensor) -> Tensor {
        let r = broadcastMap(a, b, +)
        return Tensor(r.out, shape: r.shape).record([a, b]) {
            { g in
                if a.requiresGrad { a.accumulateGrad(g, broadcastFrom: r.shape) }
                if b.requiresGrad { b.accumulateGrad(g, broadcastFrom: r.shape) }
            }
        }
    }

    /// `a - b`.
    public static func - (a: Tensor, b: Tensor) -> Tensor {
        let r = broadcastMap(a, b, -)
        return Tensor(r.out, shape: r.shape).record([a, b]) {
            { g in
                if a.requiresGrad { a.accumulateGrad(g, broadcastFrom: r.shape) }
                if b.requiresGrad { b.accumulateGrad(Kernels.map(g) { -$0 }, broadcastFrom: r.shape) }
            }
        }
    }

    /// `a * b`.
    public static func * (a: Tensor, b: Tensor) -> Tensor {
        let r = broadcastMap(a, b, *)
        return Tensor(r.out, shape: r.shape).record([a, b]) {
            { g in
                if a.requiresGrad { a.accumulateGrad(Kernels.map(g, r.b, *), broadcastFrom: r.shape) }
                if b.requiresGrad { b.accumulateGrad(Kernels.map(g, r.a, *), broadcastFrom: r.shape) }
            }
        }
    }

    /// `a / b`.
    public static func / (a: Tensor, b: Tensor) -> Tensor {
        let r = broadcastMap(a, b, /)
        return Tensor(r.out, shape: r.shape).record([a, b]) {
            { g in
                if a.requiresGrad { a.accumulateGrad(Kernels.map(g, r.b, /), broadcastFrom: r.shape) }
                if b.requiresGrad {
                    b.accumulateGrad(Kernels.map(g, r.out, r.b) { g, q, y in -g * q / y }, broadcastFrom: r.shape)
                }
            }
        }
    }

    /// The elementwise smaller of `a` and `b`; where they tie, the gradient goes to `a`.
    public static func minimum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let r = broadcastMap(a, b) { Swift.min($0, $1) }
        return Tensor(r.out, shape: r.shape).record([a, b]) {
            { g in
                if a.requiresGrad {
                    a.accumulateGrad(Kernels.map(g, r.a, r.b) { g, x, y in x <= y ? g : 0 }, broadcastFrom: r.shape)
                }
                if b.requiresGrad {
                    b.accumulateGrad(Kernels.map(g, r.a, r.b) { g, x, y in x <= y ? 0 : g }, broadcastFrom: r.shape)
                }
            }
        }
    }

    /// The elementwise larger of `a` and `b`; where they tie, the gradient goes to `a`.
    public static func maximum(_ a: Tensor, _ b: Tensor) -> Tensor {
        let r = broadcastMap(a, b) { Swift.max($0, $1) }
        return Tensor(r.out, shape: r.shape).record([a, b]) {
            { g in
                if a.requiresGrad {
                    a.accumulateGrad(Kernels.map(g, r.a, r.b) { g, x, y in x >= y ? g : 0 }, broadcastFrom: r.shape)
                }
                if b.requiresGrad {
                    b.accumulateGrad(Kernels.map(g, r.a, r.b) { g, x, y in x >= y ? 0 : g }, broadcastFrom: r.shape)
                }
            }
        }
    }

    /// `condition[i] ? a[i] : b[i]`, with `a`, `b` and the condition (row-major `[Bool]` of the
    /// result's size) broadcast to one shape; the gradient goes to the branch chosen.
    public static func `where`(_ condition: [Bool], _ a: Tensor, _ b: Tensor) -> Tensor {
        let shape = Broadcast.shape(a.shape, b.shape)
        let n = shape.reduce(1, *)
        precondition(condition.count == n, "condition has \(condition.count) elements, result \(n)")
        let mask = condition.map { $0 ? Float(1) : 0 }
        let av = Broadcast.expand(a.data, from: a.shape, to: shape)
        let bv = Broadcast.expand(b.data, from: b.shape, to: shape)
        let out = Kernels.map(mask, av, bv) { m, x, y in m != 0 ? x : y }
        return Tensor(out, shape: shape).record([a, b]) {
            { g in
                if a.requiresGrad { a.accumulateGrad(Kernels.map(g, mask) { g, m in m != 0 ? g : 0 }, broadcastFrom: shape) }
                if b.requiresGrad { b.accumulateGrad(Kernels.map(g, mask) { g, m in m != 0 ? 0 : g }, broadcastFrom: shape) }
            }
        }
    }

    // MARK: Scalar operands

    /// `a + s`.
    public static func + (a: Tensor, s: Float) -> Tensor {
        Tensor(Kernels.map(a.data) { $0 + s }, shape: a.shape).record([a]) {
            { g in a.accumulateGrad(g) }
        }
    }

    /// `s + a`.
    public static func + (s: Float, a: Tensor) -> Tensor { a + s }

    /// `a - s`.
    public static func - (a: Tensor, s: Float) -> Tensor { a + (-s) }

    /// `s - a`.
    public static func - (s: Float, a: Tensor) -> Tensor {
        Tensor(Kernels.map(a.data) { s - $0 }, shape: a.shape).record([a]) {
            { g in a.accumulateGrad(g, g) { g, _ in -g } }
        }
    }

    /// `a * s`.
    public static func * (a: Tensor, s: Float) -> Tensor {
        Tensor(Kernels.map(a.data) { $0 * s }, shape: a.shape).record([a]) {
            { g in a.accumulateGrad(g, g) { g, _ in g * s } }
        }
    }

    /// `s * a`.
    public static func * (s: Float, a: Tensor) -> Tensor { a * s }

    /// `a / s`.
    public static func / (a: Tensor, s: Float) -> Tensor {
        Tensor(Kernels.map(a.data) { $0 / s }, shape: a.shape).record([a]) {
            { g in a.accumulateGrad(g, g) { g, _ in g / s } }
        }
    }

    /// `s / a`.
    public static func / (s: Float, a: Tensor) -> Tensor {
        let out = Kernels.map(a.data) { s / $0 }
        return Tensor(out, shape: a.shape).record([a]) {
            { g in a.accumulateGrad(g, out, a.data) { g, q, x in -g * q / x } }
        }
    }

    /// `-a`.
    public static prefix func - (a: Tensor) -> Tensor { a * -1 }

    // MARK: Powers, exponentials, clamping

    /// Each element raised to `exponent`.
    public func pow(_ exponent: Float) -> Tensor {
        let x = self
        let out: [Float]
        if exponent == 2 {
            out = Kernels.map(data) { $0 * $0 }
        } else {
            out = Kernels.map(data) { Foundation.pow($0, exponent) }
        }
        return Tensor(out, shape: shape).record([x]) {
            { g in
                if exponent == 2 {
                    x.accumulateGrad(g, x.data) { g, v in 2 * g * v }
                } else {
                    x.accumulateGrad(g, x.data) { g, v in g * exponent * Foundation.pow(v, exponent - 1) }
                }
            }
        }
    }

    /// The elementwise square root.
    public func sqrt() -> Tensor {
        let x = self
        let out = Kernels.map(data) { $0.squareRoot() }
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, out) { g, y in g / (2 * y) } }
        }
    }

    /// The elementwise natural exponential.
    public func exp() -> Tensor {
        let x = self
        let out = Kernels.map(data) { Foundation.exp($0) }
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, out) { g, y in g * y } }
        }
    }

    /// The elementwise natural logarithm.
    public func log() -> Tensor {
        let x = self
        let out = Kernels.map(data) { Foundation.log($0) }
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, x.data) { g, v in g / v } }
        }
    }

    /// The elementwise absolute value (gradient 0 at 0).
    public func abs() -> Tensor {
        let x = self
        let out = Kernels.map(data) { Swift.abs($0) }
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, x.data) { g, v in v > 0 ? g : (v < 0 ? -g : 0) } }
        }
    }

    /// Each element limited to `[min, max]`; the gradient passes where `min <= x <= max`.
    public func clamp(min low: Float = -.infinity, max high: Float = .infinity) -> Tensor {
        precondition(low <= high, "clamp needs min <= max")
        let x = self
        let out = Kernels.map(data) { Swift.min(Swift.max($0, low), high) }
        return Tensor(out, shape: shape).record([x]) {
            { g in x.accumulateGrad(g, x.data) { g, v in v >= low && v <= high ? g : 0 } }
        }
    }
}
