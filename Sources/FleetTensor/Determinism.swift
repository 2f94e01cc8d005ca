/// Deterministic mode: the same seed and inputs give bit-identical forward and backward results.
///
/// FleetTensor's own loops are single-threaded with a fixed summation order, and its generator is
/// seeded explicitly, so the only source of run-to-run variation is multithreaded BLAS (threads
/// split sums differently). Enabling deterministic mode pins OpenBLAS to one thread. Products of at
/// least ``BLAS/largeProductFLOPs`` (none in the small models) still run on
/// ``BLAS/largeProductThreads``: OpenBLAS's sgemm splits a product's output among threads, not its
/// sums, so their bits are those of one thread (`BLASThreadChoiceTests`).
/// (Results are reproducible on the same machine and library build; OpenBLAS picks its kernels by
/// CPU, so another CPU model may round differently.)
public enum Determinism {
    /// Pins BLAS to one thread. Call once at start-up, before any computation.
    public static func enable() {
        BLAS.threads = 1
    }

    /// Whether deterministic mode is in force (BLAS runs on one thread).
    public static var isEnabled: Bool { BLAS.threads == 1 }
}
