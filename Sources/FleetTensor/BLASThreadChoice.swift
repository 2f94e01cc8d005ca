import COpenBLAS
import Synchronization

/// Threads chosen per matrix product: small products run on ``BLAS/threads`` (what deterministic
/// mode pins to 1), products of at least ``BLAS/largeProductFLOPs`` on ``BLAS/largeProductThreads``.
///
/// A small product finishes before a second thread would have started, so it stays on one; a
/// 124M-parameter model's training products (a gigaflop each and more) run faster on every core.
/// OpenBLAS's sgemm splits the output among its threads and never a sum, so a product's bits do
/// not depend on the thread count (`BLASThreadChoiceTests` checks it): the choice changes speed,
/// not results. The default threshold lies above every product of the shipped small-model configs,
/// so they run on exactly the threads they always did.
///
/// OpenBLAS has one process-wide thread count, so a large product sets it, runs, and sets it back,
/// holding a lock that serializes large products. A small product another task runs meanwhile
/// may run on the large count (with the same bits).
extension BLAS {
    private struct LargeProductSettings {
        var threads = Int(openblas_get_num_procs())
        var flops = 1e9
    }

    private static let largeProductSettings = Mutex(LargeProductSettings())
    /// Held while the process-wide count is raised for one product.
    private static let raisedThreads = Mutex(())

    /// Threads for a product of at least ``largeProductFLOPs``: by default every core OpenBLAS
    /// sees (`openblas_get_num_procs`). Set it to ``threads`` to run every product alike.
    public static var largeProductThreads: Int {
        get { largeProductSettings.withLock { $0.threads } }
        set {
            precondition(newValue > 0, "largeProductThreads must be positive")
            largeProductSettings.withLock { $0.threads = newValue }
        }
    }

    /// The FLOPs (`2·m·n·k`) from which a product runs on ``largeProductThreads``; 1e9 by default.
    public static var largeProductFLOPs: Double {
        get { largeProductSettings.withLock { $0.flops } }
        set { largeProductSettings.withLock { $0.flops = newValue } }
    }

    /// The threads a product of `flops` runs on.
    public static func threads(forFLOPs flops: Double) -> Int {
        let settings = largeProductSettings.withLock { $0 }
        return flops >= settings.flops ? settings.threads : threads
    }

    /// Runs `product` with OpenBLAS on the threads a product of `flops` gets.
    static func withThreads(forFLOPs flops: Double, _ product: () -> Void) {
        let settings = largeProductSettings.withLock { $0 }
        guard flops >= settings.flops, settings.threads != Int(openblas_get_num_threads()) else {
            product()
            return
        }
        raisedThreads.withLock { _ in
            let base = openblas_get_num_threads()
            let wanted = Int32(settings.threads)
            if wanted != base { openblas_set_num_threads(wanted) }
            product()
            if wanted != base { openblas_set_num_threads(base) }
        }
    }
}
