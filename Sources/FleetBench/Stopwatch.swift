import Foundation

/// Times a piece of work on the monotonic clock.
public enum Stopwatch {
    /// Seconds since an arbitrary fixed point, from `CLOCK_MONOTONIC`.
    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) * 1e-9
    }

    /// Runs `body` `iterations` times and returns the best of `repeats` rounds in seconds per
    /// iteration. The best round is the one least disturbed by other work on a shared machine.
    public static func bestSecondsPerIteration(
        iterations: Int, repeats: Int = 5, _ body: () throws -> Void
    ) rethrows -> Double {
        var best = Double.infinity
        for _ in 0..<repeats {
            let start = now()
            for _ in 0..<iterations { try body() }
            best = min(best, (now() - start) / Double(iterations))
        }
        return best
    }
}
