/// Scalar functions written as branch-free polynomials, so that loops over them vectorize and give
/// the same bits on every platform (libm's `tanhf` differs between C libraries and, called per
/// element, was the largest cost of a small tanh MLP).
enum FastMath {
    /// tanh as a 13/6 odd rational approximation on [-7.905, 7.905] (Eigen's float coefficients),
    /// clamped outside, where tanh rounds to ±1 in Float. Absolute and relative
    /// error below 4e-7 (checked against Double in the tests); `x` itself below 4e-4 in magnitude,
    /// where tanh(x) rounds to x.
    @inline(__always)
    static func tanh(_ x: Float) -> Float {
        let clamp: Float = 7.905_311_107_635_498
        let c = Swift.min(Swift.max(x, -clamp), clamp)
        let x2 = c * c
        var p: Float = -2.760_768_477_423_55e-16
        p = p * x2 + 2.000_187_904_824_77e-13
        p = p * x2 - 8.604_671_522_137_35e-11
        p = p * x2 + 5.122_297_090_371_14e-08
        p = p * x2 + 1.485_722_357_179_79e-05
        p = p * x2 + 6.372_619_288_754_36e-04
        p = p * x2 + 4.893_524_558_917_86e-03
        p *= c
        var q: Float = 1.198_258_394_667_02e-06
        q = q * x2 + 1.185_347_056_866_54e-04
        q = q * x2 + 2.268_434_632_439_00e-03
        q = q * x2 + 4.893_525_185_543_85e-03
        return Swift.abs(x) < 0.0004 ? x : p / q
    }
}
