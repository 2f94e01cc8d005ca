import Foundation

#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif

/// Why the metrics endpoint could not start.
public struct MetricsServerError: Error, CustomStringConvertible {
    public let description: String
}

/// A tiny HTTP/1.1 server on its own thread that answers `GET /metrics` with the text it was last
/// given (``update(_:)``) as `text/plain; version=0.0.4`, anything else with 404, and closes every
/// connection.
///
/// One thread serves every connection at once with non-blocking sockets and `poll`, so idle or slow
/// clients never hold up a scrape: a connection has ``ioTimeoutSeconds`` from when it is accepted to
/// send its request (a client that trickles it is cut then) and as long again to take the answer;
/// a request is read up to ``maxRequestBytes``; at most ``maxConnections`` are open, and past that
/// the oldest one still sending its request is closed first. Nothing a client does reaches the
/// thread that updates the text (the learner): ``update(_:)`` only swaps it under a lock.
public final class MetricsServer: @unchecked Sendable {
    /// The most bytes of a request read; a longer head is answered 431.
    public static let maxRequestBytes = 8192
    /// Seconds a connection may take to send its request, from when it is accepted, and again to
    /// take the answer.
    public static let ioTimeoutSeconds = 2
    /// The most connections open at once; a new one past it closes the oldest still sending its
    /// request (or, when none is, the oldest).
    public static let maxConnections = 64

    /// What the server has done with its connections.
    public struct Tally: Hashable, Sendable {
        /// Connections open now.
        public var open = 0
        /// Connections accepted.
        public var accepted = 0
        /// Connections answered (any status).
        public var answered = 0
        /// Connections closed at their deadline: a request or an answer too slow.
        public var timedOut = 0
        /// Connections closed to make room under ``MetricsServer/maxConnections``.
        public var evicted = 0
        /// Connections the client closed (or reset) before its answer was written.
        public var clientLeft = 0
    }

    /// The port bound (the one chosen when asked for port 0).
    public let boundPort: Int
    /// The address bound.
    public let address: String

    private let listener: Int32
    private let timeout: Duration
    private let lock = NSLock()
    private var body = ""
    private var stopping = false
    private var tallied = Tally()
    private let finished = DispatchSemaphore(value: 0)

    /// Binds `address:port` (IPv4; port 0: any free port) and starts serving `body`.
    public convenience init(address: String, port: Int, body: String = "") throws {
        try self.init(address: address, port: port, body: body, timeout: .seconds(Self.ioTimeoutSeconds))
    }

    /// As the public initializer, with another deadline per phase (tests).
    package init(address: String, port: Int, body: String = "", timeout: Duration) throws {
        self.address = address
        self.body = body
        self.timeout = timeout
        (listener, boundPort) = try MetricsSocketCalls.listening(address: address, port: port, backlog: 128)
        let thread = Thread { [self] in serve() }
        thread.name = "fleet-metrics"
        thread.start()
    }

    deinit { stop() }

    /// Replaces the text served.
    public func update(_ text: String) { lock.withLock { body = text } }

    /// The text served now.
    public var current: String { lock.withLock { body } }

    /// What the server has done with its connections so far.
    public var tally: Tally { lock.withLock { tallied } }

    /// Stops serving, closes every connection and the socket; waits for the serving thread (a
    /// tenth of a second at most).
    public func stop() {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        finished.wait()
        MetricsSocketCalls.closeSocket(listener)
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    // MARK: - The serving thread

    /// How long one poll waits at most: how soon a stop is seen.
    private static let pollSlice = Duration.milliseconds(100)

    private func serve() {
        defer { finished.signal() }
        var connections: [MetricsConnection] = []  // oldest first
        var tally = Tally()
        // After the process ran out of descriptors, the listener rests a while instead of spinning.
        var listenerRestsUntil = ContinuousClock.now
        while !isStopping {
            var now = ContinuousClock.now
            connections.removeAll { $0.expire(at: now) && settle($0, in: &tally) }
            let listening = now >= listenerRestsUntil
            var fds = connections.map { pollfd(fd: $0.fd, events: $0.events, revents: 0) }
            fds.append(pollfd(fd: listening ? listener : -1, events: Int16(POLLIN), revents: 0))
            let wake = connections.map(\.deadline).min().map { min($0, now + Self.pollSlice) } ?? now + Self.pollSlice
            _ = MetricsSocketCalls.pollReady(&fds, milliseconds: Self.milliseconds(until: wake, from: now))
            now = ContinuousClock.now
            for (index, connection) in connections.enumerated() where fds[index].revents != 0 {
                connection.advance(at: now, body: { current })
            }
            connections.removeAll { $0.phase == .done && settle($0, in: &tally) }
            if listening, fds[fds.count - 1].revents != 0,  // the listener: the last
                !acceptWaiting(into: &connections, tally: &tally, at: now)
            {
                listenerRestsUntil = now + Self.pollSlice
            }
            tally.open = connections.count
            let snapshot = tally
            lock.withLock { tallied = snapshot }
        }
        connections.removeAll()
        tally.open = 0
        let snapshot = tally
        lock.withLock { tallied = snapshot }
    }

    /// Accepts the connections waiting, a cap's worth at most (a flood takes turns with the open
    /// ones), reading at once what they sent; past ``maxConnections`` closes the oldest still
    /// reading its request. Returns false when accepting failed (out of descriptors).
    private func acceptWaiting(
        into connections: inout [MetricsConnection], tally: inout Tally, at now: ContinuousClock.Instant
    ) -> Bool {
        for _ in 0..<Self.maxConnections {
            let (fd, failure) = MetricsSocketCalls.acceptConnection(listener)
            guard let fd else { return failure == nil }
            tally.accepted += 1
            let connection = MetricsConnection(fd: fd, at: now, timeout: timeout)
            // Most clients send their request at once: answered without another poll.
            connection.advance(at: now, body: { current })
            guard connection.phase != .done else {
                _ = settle(connection, in: &tally)
                continue
            }
            connections.append(connection)
            if connections.count > Self.maxConnections {
                connections.remove(at: connections.firstIndex { $0.phase == .reading } ?? 0)
                tally.evicted += 1
            }
        }
        return true
    }

    /// Counts how `connection` ended; true, for `removeAll`.
    private func settle(_ connection: MetricsConnection, in tally: inout Tally) -> Bool {
        switch connection.ending {
        case .answered: tally.answered += 1
        case .timedOut: tally.timedOut += 1
        case .clientLeft, nil: tally.clientLeft += 1
        }
        return true
    }

    /// Whole milliseconds from `now` to `instant`, rounded up (a poll that wakes early spins).
    private static func milliseconds(until instant: ContinuousClock.Instant, from now: ContinuousClock.Instant) -> Int32 {
        let (seconds, attoseconds) = max(.zero, instant - now).components
        return Int32(seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000)
    }
}
