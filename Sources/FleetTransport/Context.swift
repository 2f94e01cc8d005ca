/// A ZeroMQ context: the I/O threads and the sockets created from it.
///
/// Contexts are thread-safe, so one is shared by every thread of a process. Every `Socket` keeps
/// its context alive; the context terminates when the last reference goes, which waits at most
/// for the sockets' `linger`.
public final class Context: Sendable {
    nonisolated(unsafe) let handle: UnsafeMutableRawPointer

    /// Creates a context with `ioThreads` background I/O threads (one handles about a gigabyte
    /// a second).
    ///
    /// The corresponding C functions are `zmq_ctx_new` and `zmq_ctx_set`.
    public init(ioThreads: Int = 1) throws(ZMQError) {
        guard let handle = _zmqCtxNew() else { throw _error(_zmqErrno(), "zmq_ctx_new") }
        self.handle = handle
        if ioThreads != 1 {
            let outcome = _retryingOnInterrupt {
                _zmqCtxSet(handle, _ZMQ_IO_THREADS, CInt(clamping: ioThreads))
            }
            if outcome.result == -1 {
                _ = _zmqCtxTerm(handle)
                throw _error(outcome.errno, "zmq_ctx_set")
            }
        }
    }

    /// Makes every blocking operation on this context's sockets, now and later, fail with
    /// `ZMQError.terminated`, and every new socket fail to open. Sockets still close normally.
    ///
    /// The corresponding C function is `zmq_ctx_shutdown`.
    public func shutdown() {
        _ = _zmqCtxShutdown(handle)
    }

    /// The corresponding C function is `zmq_ctx_term`.
    deinit {
        _zmqCtxTermRetrying(handle)
    }
}
