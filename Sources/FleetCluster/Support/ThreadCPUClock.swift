import Foundation

/// The CPU time the calling thread has used (`CLOCK_THREAD_CPUTIME_ID`): unlike wall time, it
/// does not grow while the thread waits for a core. One read is a system call of a few hundred
/// nanoseconds, so it suits phases that happen once an update, not per message.
package enum ThreadCPUClock {
    /// Seconds of CPU this thread has used since it started.
    package static func seconds() -> Double {
        var now = timespec()
        guard clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) == 0 else { return 0 }
        return Double(now.tv_sec) + Double(now.tv_nsec) * 1e-9
    }
}
