import COpenBLAS
import Synchronization

/// Facts about the BLAS library FleetTensor computes with.
public enum BLAS {
    /// OpenBLAS's build description, e.g. `"OpenBLAS 0.3.21 DYNAMIC_ARCH NO_AFFINITY Haswell MAX_THREADS=64"`.
    ///
    /// The corresponding C function is `openblas_get_config`.
    public static var configuration: String {
        String(cString: openblas_get_config())
    }

    /// The number of threads OpenBLAS uses for one call (products of at least
    /// ``largeProductFLOPs`` use ``largeProductThreads`` instead).
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
    /// `beta = 1` accumulates into C, which is how backward passes add into gradients. The product
    /// runs on the threads ``threads(forFLOPs:)`` gives it. The corresponding C function is `cblas_sgemm`.
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
        withThreads(forFLOPs: 2 * Double(m) * Double(n) * Double(k)) {
            cblas_sgemm(
                CblasRowMajor, transposeA ? CblasTrans : CblasNoTrans, transposeB ? CblasTrans : CblasNoTrans,
                Int32(m), Int32(n), Int32(k), alpha,
                a, Int32(transposeA ? m : k), b, Int32(transposeB ? k : n), beta, c, Int32(n))
        }
    }


    /// `C = x · Wᵀ + beta · C` for `x` `[m, k]` and a weight `W` `[n, k]`, row-major: ``gemm`` with
    /// B transposed, except for a skinny product by a large weight (at most ``skinnyProductRows``
    /// rows through at least ``skinnyProductMinimumElements`` weights, as a sampling step does),
    /// which runs in blocks of ``skinnyProductBlock`` weight rows. One sgemm would first copy the
    /// whole weight into its packed layout, which for a few rows costs more than the product (2-3x
    /// for GPT-2's 50257 x 768 head at one row); blocks that small go to OpenBLAS's small-matrix
    /// kernels, which read them in place. The blocks round differently from one sgemm, so the
    /// threshold lies far above every weight of the small models, whose products keep their bits.
    ///
    /// Such a product is bound by reading the weight from memory, which two cores do faster than
    /// one (1.5-1.7x for GPT-2's head on 2 idle cores): with ``largeProductThreads`` above 1, a
    /// side thread computes the second half of the blocks (unless another product holds it, then
    /// this one runs alone). Each block is computed the same way whichever thread runs it.
    static func weightProduct(
        m: Int, n: Int, k: Int, _ x: UnsafePointer<Float>, _ weight: UnsafePointer<Float>,
        beta: Float, _ c: UnsafeMutablePointer<Float>
    ) {
        guard m <= skinnyProductRows && n * k >= skinnyProductMinimumElements && k > 0 && blocksSkinnyProducts else {
            gemm(transposeB: true, m: m, n: n, k: k, x, weight, beta: beta, c)
            return
        }
        let blocks = (n + skinnyProductBlock - 1) / skinnyProductBlock
        func product(_ range: Range<Int>) {
            for block in range {
                let start = block * skinnyProductBlock
                let columns = Swift.min(skinnyProductBlock, n - start)
                cblas_sgemm(
                    CblasRowMajor, CblasNoTrans, CblasTrans, Int32(m), Int32(columns), Int32(k), 1,
                    x, Int32(k), weight + start * k, Int32(k), beta, c + start, Int32(n))
            }
        }
        let half = blocks / 2
        let split: Void? = largeProductThreads > 1
            ? skinnyProductSide.withLockIfAvailable { side in
                side.thread.run({ product(half..<blocks) }, beside: { product(0..<half) })
            }
            : nil
        if split == nil { product(0..<blocks) }
    }

    /// The thread that computes the second half of a skinny product's blocks (started on first
    /// use), held by one product at a time.
    private static let skinnyProductSide = Mutex(SkinnyProductSide())

    /// Whether skinny products go in blocks (``weightProduct(m:n:k:_:_:beta:_:)``); `true` unless a
    /// benchmark turns it off to measure one sgemm against them.
    public static var blocksSkinnyProducts: Bool {
        get { skinnyProductBlocking.load(ordering: .relaxed) }
        set { skinnyProductBlocking.store(newValue, ordering: .relaxed) }
    }
    private static let skinnyProductBlocking = Atomic(true)

    /// The most rows of a skinny product (a sampling step's batch).
    static let skinnyProductRows = 16
    /// The fewest weights (4 MiB of floats) for a skinny product's blocks.
    static let skinnyProductMinimumElements = 1 << 20
    /// Weight rows (columns of C) per block of a skinny product.
    static let skinnyProductBlock = 64
}

/// The side thread of skinny products; only used under ``BLAS``'s lock.
private final class SkinnyProductSide: @unchecked Sendable {
    lazy var thread = SideThread()
}
