#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// The C socket calls of the metrics endpoint, all non-blocking, in one place: `EINTR` retried,
/// `EAGAIN` a normal result, anything else returned as its errno for the caller to close on.
enum MetricsSocketCalls {
    /// What a read or a write did.
    enum Transfer: Equatable {
        /// This many bytes moved (more than zero).
        case bytes(Int)
        /// Nothing to move now; poll again.
        case wouldBlock
        /// The peer closed its side (a read), or the connection failed (errno).
        case closed(errno: Int32)
    }

    /// A non-blocking TCP socket bound to `address:port` (IPv4; port 0: any free port) and
    /// listening; returns it and the port bound.
    static func listening(address: String, port: Int, backlog: Int32) throws -> (fd: Int32, port: Int) {
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw MetricsServerError(description: "metrics endpoint: socket: \(errnoText())") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        guard inet_pton(AF_INET, address, &addr.sin_addr) == 1 else {
            close(fd)
            throw MetricsServerError(description: "metrics endpoint: \(address) is not an IPv4 address")
        }
        let bound = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, backlog) == 0, setNonBlocking(fd) else {
            let text = errnoText()
            close(fd)
            throw MetricsServerError(description: "metrics endpoint: cannot listen on \(address):\(port): \(text)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        var actual = sockaddr_in()
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: actual.sin_port)))
    }

    /// A connection waiting on `listener`, non-blocking; nil when none waits (or it failed: `failure`
    /// says so with its errno, e.g. `EMFILE`).
    static func acceptConnection(_ listener: Int32) -> (fd: Int32?, failure: Int32?) {
        while true {
            // accept4 is not imported (it needs _GNU_SOURCE): the flags are set after.
            let fd = accept(listener, nil, nil)
            if fd >= 0 {
                _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
                guard setNonBlocking(fd) else {
                    close(fd)
                    continue
                }
                #if canImport(Darwin)
                    var yes: Int32 = 1
                    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
                #endif
                return (fd, nil)
            }
            switch errno {
            case EINTR, ECONNABORTED: continue
            case EAGAIN, EWOULDBLOCK: return (nil, nil)
            case let other: return (nil, other)
            }
        }
    }

    /// Reads what `fd` holds, at most `buffer.count` bytes, into `buffer`.
    static func receive(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Transfer {
        while true {
            let count = recv(fd, buffer.baseAddress, buffer.count, 0)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .closed(errno: 0) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let other: return .closed(errno: other)
            }
        }
    }

    /// Writes what it can of `bytes` to `fd`, without raising SIGPIPE on a closed peer.
    static func transmit(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) -> Transfer {
        #if canImport(Glibc)
            let flags = Int32(MSG_NOSIGNAL)
        #else
            let flags: Int32 = 0
        #endif
        while true {
            let count = send(fd, bytes.baseAddress, bytes.count, flags)
            if count > 0 { return .bytes(count) }
            if count == 0 { return .wouldBlock }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case let other: return .closed(errno: other)
            }
        }
    }

    /// Tells the peer no more bytes come (it reads the end of the answer, then EOF).
    static func shutdownWrite(_ fd: Int32) { _ = shutdown(fd, Int32(SHUT_WR)) }

    /// Closes `fd`.
    static func closeSocket(_ fd: Int32) { _ = close(fd) }

    /// Waits at most `milliseconds` (-1: forever) for any of `fds` to be ready; the count ready,
    /// 0 on a timeout or an interruption.
    static func pollReady(_ fds: inout [pollfd], milliseconds: Int32) -> Int32 {
        let ready = fds.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), milliseconds) }
        return max(ready, 0)
    }

    private static func setNonBlocking(_ fd: Int32) -> Bool {
        let flags = fcntl(fd, F_GETFL, 0)
        return flags >= 0 && fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0
    }

    static func errnoText(_ code: Int32 = errno) -> String { String(cString: strerror(code)) }
}
