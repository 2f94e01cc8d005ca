/// Conjugate gradient for `A x = b` with `A` symmetric positive definite, given only as a product
/// `v -> A v` (TRPO's damped Fisher-vector product). Dot products are summed in `Double`.
public enum ConjugateGradient {
    /// `x` after at most `iterations` steps from `x = 0`, or fewer once the squared residual is
    /// below `residualTolerance`.
    public static func solve(
        _ product: ([Float]) -> [Float], _ b: [Float], iterations: Int, residualTolerance: Double = 1e-10
    ) -> [Float] {
        var x = [Float](repeating: 0, count: b.count)
        var r = b, p = b
        var rr = dot(r, r)
        for _ in 0..<iterations where rr >= residualTolerance {
            let ap = product(p)
            let alpha = Float(rr / dot(p, ap))
            for i in x.indices {
                x[i] += alpha * p[i]
                r[i] -= alpha * ap[i]
            }
            let next = dot(r, r)
            let beta = Float(next / rr)
            for i in p.indices { p[i] = r[i] + beta * p[i] }
            rr = next
        }
        return x
    }

    /// `Σ a_i b_i` in `Double`.
    public static func dot(_ a: [Float], _ b: [Float]) -> Double {
        precondition(a.count == b.count, "dot of vectors of different lengths")
        var sum = 0.0
        for i in a.indices { sum += Double(a[i]) * Double(b[i]) }
        return sum
    }
}

/// TRPO's full step: the natural-gradient direction `x` (solving `A x = g`) scaled so that the
/// quadratic model of the KL, `½ sᵀ A s`, equals `maxKL`: `s = sqrt(2 maxKL / xᵀ A x) x`.
public enum TrustRegionStep {
    /// The scaled step, given `x` and `A x`; zeros when `xᵀ A x` is not positive.
    public static func scaled(direction x: [Float], product ax: [Float], maxKL: Double) -> [Float] {
        let curvature = ConjugateGradient.dot(x, ax)
        guard curvature > 0 else { return [Float](repeating: 0, count: x.count) }
        let scale = (2 * maxKL / curvature).squareRoot()
        return x.map { Float(scale * Double($0)) }
    }
}
