#if canImport(Glibc)
    import Glibc
#endif

/// Counts calls to malloc when `fleet` runs with `bench/malloc-count.c` preloaded
/// (`make bench-allocations`); otherwise `isAvailable` is false and figures leave the count out.
enum AllocationCounter {
    private typealias Calls = @convention(c) () -> UInt
    private static let calls: Calls? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "fleet_malloc_calls") else { return nil }
        return unsafeBitCast(symbol, to: Calls.self)
    }()

    static var isAvailable: Bool { calls != nil }

    /// Calls to malloc so far in this process, or 0 when the counter is not loaded.
    static var count: UInt { calls?() ?? 0 }

    /// Allocations per run of `body`, averaged over `runs` after one warm-up run, or nil when the
    /// counter is not loaded.
    static func perRun(runs: Int, _ body: () -> Void) -> Double? {
        guard isAvailable else { return nil }
        body()
        let before = count
        for _ in 0..<runs { body() }
        return Double(count - before) / Double(runs)
    }
}
