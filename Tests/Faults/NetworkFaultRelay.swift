import Foundation
import Glibc

extension NetFault {
    /// A Unix-socket relay between a ZeroMQ `ipc://` peer and the socket it would connect to, whose
    /// downstream direction (upstream to the connecting peer) can be paused: while paused nothing
    /// is read from upstream, so the upstream sender's socket buffer fills and its ZeroMQ queue for
    /// this peer reaches its high-water mark — a subscriber that stopped reading, as the network sees it.
    /// The connecting peer's own bytes (ZMTP handshake, subscriptions) always pass.
    final class Relay: @unchecked Sendable {
        private let lock = NSLock()
        private var paused = false
        private var closed = false
        private var downstreamBytes = 0
        private var downstreamPassesInFlight = 0
        private let listener: Int32
        private let upstreamPath: String

        /// Listens at `listenPath`; each connection is relayed to a new connection to `upstreamPath`.
        init(listenPath: String, upstreamPath: String) throws {
            self.upstreamPath = upstreamPath
            listener = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
            guard listener >= 0 else { throw Failure("socket: errno \(errno)") }
            unlink(listenPath)
            guard Self.withAddress(listenPath, { bind(listener, $0, $1) }) == 0, listen(listener, 8) == 0 else {
                Glibc.close(listener)
                throw Failure("bind/listen \(listenPath): errno \(errno)")
            }
            Thread { [self] in acceptLoop() }.start()
        }

        /// Stops (or resumes) relaying what upstream sends. Pausing returns once a pass that was
        /// already under way has been relayed and counted (within ~50 ms): from then on nothing passes.
        func setPaused(_ value: Bool) {
            lock.withLock { paused = value }
            while value && lock.withLock({ downstreamPassesInFlight > 0 }) { usleep(1_000) }
        }

        /// Starts a downstream pass unless paused.
        private func beginDownstreamPass() -> Bool {
            lock.withLock {
                guard !paused else { return false }
                downstreamPassesInFlight += 1
                return true
            }
        }

        private func endDownstreamPass() { lock.withLock { downstreamPassesInFlight -= 1 } }

        /// Bytes relayed from upstream to the connecting peers so far.
        var bytesDownstream: Int { lock.withLock { downstreamBytes } }

        /// Closes the listener and every relayed connection (within ~0.1 s).
        func close() {
            lock.withLock { closed = true }
        }

        private var isClosed: Bool { lock.withLock { closed } }

        private func acceptLoop() {
            defer { Glibc.close(listener) }
            while !isClosed {
                var entry = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 100) > 0 else { continue }
                let downstream = accept(listener, nil, nil)
                guard downstream >= 0 else { continue }
                let upstream = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
                guard upstream >= 0, Self.withAddress(upstreamPath, { connect(upstream, $0, $1) }) == 0 else {
                    Glibc.close(downstream)
                    if upstream >= 0 { Glibc.close(upstream) }
                    continue
                }
                let pair = Pair(downstream: downstream, upstream: upstream)
                Thread { [self] in pump(from: upstream, to: downstream, toPeer: true, pair: pair) }.start()
                Thread { [self] in pump(from: downstream, to: upstream, toPeer: false, pair: pair) }.start()
            }
        }

        /// The two descriptors of one relayed connection, closed once, by whichever pump ends last.
        private final class Pair: @unchecked Sendable {
            let downstream: Int32, upstream: Int32
            private let lock = NSLock()
            private var ended = 0
            init(downstream: Int32, upstream: Int32) {
                self.downstream = downstream
                self.upstream = upstream
            }
            func end() {
                // The first to end shuts both down (waking the other); the second closes them.
                let count = lock.withLock { ended += 1; return ended }
                if count == 1 {
                    shutdown(downstream, Int32(SHUT_RDWR))
                    shutdown(upstream, Int32(SHUT_RDWR))
                } else {
                    Glibc.close(downstream)
                    Glibc.close(upstream)
                }
            }
        }

        private func pump(from source: Int32, to destination: Int32, toPeer: Bool, pair: Pair) {
            defer { pair.end() }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            while !isClosed {
                // Downstream, a pass runs as "in flight" from the pause check to the count, so that
                // setPaused(true) can wait for the pass it raced with instead of counting it later.
                if toPeer && !beginDownstreamPass() {
                    usleep(10_000)
                    continue
                }
                defer { if toPeer { endDownstreamPass() } }
                var entry = pollfd(fd: source, events: Int16(POLLIN), revents: 0)
                guard poll(&entry, 1, 50) > 0 else { continue }
                let count = buffer.withUnsafeMutableBytes { read(source, $0.baseAddress, $0.count) }
                guard count > 0 else { return }
                var written = 0
                while written < count {
                    let result = buffer.withUnsafeBytes {
                        send(destination, $0.baseAddress! + written, count - written, Int32(MSG_NOSIGNAL))  // no SIGPIPE for the test process
                    }
                    guard result > 0 else { return }
                    written += result
                }
                if toPeer { lock.withLock { downstreamBytes += count } }
            }
        }

        private static func withAddress(_ path: String, _ body: (UnsafePointer<sockaddr>, socklen_t) -> Int32) -> Int32 {
            var address = sockaddr_un()
            address.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            let capacity = MemoryLayout.size(ofValue: address.sun_path)
            precondition(bytes.count < capacity, "socket path too long: \(path)")
            withUnsafeMutableBytes(of: &address.sun_path) { raw in
                raw.copyBytes(from: bytes)
                raw[bytes.count] = 0
            }
            return withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
            }
        }

        struct Failure: Error, CustomStringConvertible {
            let description: String
            init(_ description: String) { self.description = description }
        }
    }
}
