#if canImport(Glibc)
import Glibc
#endif

/// Process-wide tuning of the C allocator for training loops.
///
/// Each step of a training loop allocates a graph's worth of buffers and frees them at the end.
/// With glibc's defaults, freeing the top of the heap past 128 KiB returns the pages to the kernel,
/// and the next step faults them back in: for a CartPole-sized MLP update that page-fault churn cost
/// more than the arithmetic (forward + backward 270 µs instead of 110 µs, measured). Keeping freed
/// memory in the process removes it. This is a process-wide setting, so FleetTensor never applies
/// it by itself: executables and benchmarks call ``retainFreedMemory(bytes:)`` once at start-up.
public enum Allocator {
    /// Keeps up to `bytes` of freed heap memory in the process instead of returning it to the
    /// kernel, and serves allocations up to `bytes` from the heap rather than fresh mappings.
    /// Returns `false` where the C library offers no such control (then nothing changes).
    ///
    /// The corresponding C function is `mallopt` (`M_TRIM_THRESHOLD`, `M_MMAP_THRESHOLD`).
    @discardableResult
    public static func retainFreedMemory(bytes: Int = 64 << 20) -> Bool {
        #if canImport(Glibc)
        // <malloc.h> is not part of the Glibc module, so look the function up; its parameter
        // numbers are glibc's ABI.
        let trimThreshold: Int32 = -1, mmapThreshold: Int32 = -3
        guard let handle = dlopen(nil, RTLD_NOW), let symbol = dlsym(handle, "mallopt") else { return false }
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        let mallopt = unsafeBitCast(symbol, to: Mallopt.self)
        let value = Int32(clamping: bytes)
        return mallopt(trimThreshold, value) == 1 && mallopt(mmapThreshold, Swift.min(value, 32 << 20)) == 1
        #else
        return false
        #endif
    }
}
