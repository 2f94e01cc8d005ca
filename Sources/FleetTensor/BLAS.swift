import COpenBLAS

/// Facts about the BLAS library FleetTensor computes with.
public enum BLAS {
    /// OpenBLAS's build description, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"`.
    ///
    /// The corresponding C function is `openblas_get_config`.
    public static var configuration: String {
        String(cString: openblas_get_config())
    }

    /// The number of threads OpenBLAS uses for one call.
    ///
    /// Deterministic mode pins this to 1 so that results are bit-identical across runs.
    /// The corresponding C functions are `openblas_get_num_threads` and `openblas_set_num_threads`.
    public static var threads: Int {
        get { Int(openblas_get_num_threads()) }
        set { openblas_set_num_threads(Int32(newValue)) }
    }
}

extension BLAS {
    /// `C = alpha · op(A) · op(B) + beta · C` for row-major matrices, where op(A) is `m x k`,
    /// op(B) is `k x n` and C is `m x n`. A transposed operand is read in place (no copy): A is
    /// stored `k x m` when `transposeA`, B is stored `n x k` when `transposeB`.
    ///
    /// `beta = 1` accumulates into C, which is how backward passes add into gradients.
    /// The corresponding C function is `cblas_sgemm`.
    static func gemm(
        transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
        alpha: Float = 1, _ a: UnsafePointer<Float>, _ b: UnsafePointer<Float>,
        beta: Float, _ c: UnsafeMutablePointer<Float>
    ) {
        guard m > 0 && n > 0 else { return }
        if k == 0 {
            // BLAS would only scale C; do the same without relying on the library's edge cases.
            for i in 0..<(m * n) { c[i] = beta == 0 ? 0 : beta * c[i] }
            return
        }
        cblas_sgemm(
            CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
            Int32(m), Int32(n), Int32(k), alpha,
            a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
    }
}
