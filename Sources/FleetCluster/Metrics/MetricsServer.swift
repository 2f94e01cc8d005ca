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
/// connection. It serves one connection at a time, reads at most ``maxRequestBytes`` of a request
/// and gives a client ``ioTimeoutSeconds`` to send and receive, so nothing a client does reaches
/// the thread that updates it (the learner).
public final class MetricsServer: @unchecked Sendable {
    /// The most bytes of a request read; a longer head is answered 431.
    public static let maxRequestBytes = 8192
    /// Seconds a connection may take to send its request or take the answer.
    public static let ioTimeoutSeconds = 2

    /// The port bound (the one chosen when asked for port 0).
    public let boundPort: Int
    /// The address bound.
    public let address: String

    private let listener: Int32
    private let lock = NSLock()
    private var body = ""
    private var stopping = false
    private let finished = DispatchSemaphore(value: 0)

    /// Binds `address:port` (IPv4; port 0: any free port) and starts serving `body`.
    public init(address: String, port: Int, body: String = "") throws {
        self.address = address
        self.body = body
        #if canImport(Glibc)
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        #else
            let fd = socket(AF_INET, SOCK_STREAM, 0)
        #endif
        guard fd >= 0 else { throw MetricsServerError(description: "metrics endpoint: socket: \(Self.errnoText())") }
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
        guard bound == 0, listen(fd, 16) == 0 else {
            let text = Self.errnoText()
            close(fd)
            throw MetricsServerError(description: "metrics endpoint: cannot listen on \(address):\(port): \(text)")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        var actual = sockaddr_in()
        _ = withUnsafeMutablePointer(to: &actual) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        boundPort = Int(UInt16(bigEndian: actual.sin_port))
        listener = fd
        let thread = Thread { [self] in serve() }
        thread.name = "fleet-metrics"
        thread.start()
    }

    deinit { stop() }

    /// Replaces the text served.
    public func update(_ text: String) { lock.withLock { body = text } }

    /// The text served now.
    public var current: String { lock.withLock { body } }

    /// Stops serving and closes the socket; waits for the serving thread (at most one connection's timeout).
    public func stop() {
        let first = lock.withLock {
            defer { stopping = true }
            return !stopping
        }
        guard first else { return }
        finished.wait()
        close(listener)
    }

    private var isStopping: Bool { lock.withLock { stopping } }

    private func serve() {
        defer { finished.signal() }
        while !isStopping {
            var ready = pollfd(fd: listener, events: Int16(POLLIN), revents: 0)
            guard poll(&ready, 1, 100) > 0, ready.revents & Int16(POLLIN) != 0 else { continue }
            let connection = accept(listener, nil, nil)
            guard connection >= 0 else { continue }
            handle(connection)
            close(connection)
        }
    }

    private func handle(_ connection: Int32) {
        var timeout = timeval(tv_sec: Self.ioTimeoutSeconds, tv_usec: 0)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(connection, SOL_SOCKET, SO_SNDTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let deadline = ContinuousClock.now + .seconds(Self.ioTimeoutSeconds)
        var request: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 2048)
        let end: [UInt8] = Array("\r\n\r\n".utf8)
        while !Self.contains(request, end) {
            guard request.count < Self.maxRequestBytes else {
                respond(connection, status: "431 Request Header Fields Too Large", body: "request too large\n")
                drain(connection)
                return
            }
            guard ContinuousClock.now < deadline else { return }
            let count = buffer.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { return }
            request += buffer[0..<count]
        }
        let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            respond(connection, status: "400 Bad Request", body: "bad request\n")
            return
        }
        let path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard parts[0] == "GET" || parts[0] == "HEAD", path == "/metrics" else {
            respond(connection, status: "404 Not Found", body: "only GET /metrics is served here\n")
            return
        }
        respond(
            connection, status: "200 OK", body: current, contentType: LearnerStatus.prometheusContentType,
            head: parts[0] == "HEAD")
    }

    private func respond(
        _ connection: Int32, status: String, body: String, contentType: String = "text/plain; charset=utf-8",
        head: Bool = false
    ) {
        let content = Array(body.utf8)
        var message = Array(
            ("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(content.count)\r\n"
                + "Connection: close\r\n\r\n").utf8)
        if !head { message += content }
        var sent = 0
        while sent < message.count {
            #if canImport(Glibc)
                let flags = Int32(MSG_NOSIGNAL)
            #else
                let flags: Int32 = 0
            #endif
            let count = message.withUnsafeBytes { send(connection, $0.baseAddress! + sent, $0.count - sent, flags) }
            guard count > 0 else { return }
            sent += count
        }
        shutdown(connection, Int32(SHUT_WR))
    }

    /// Reads (briefly, and a bounded amount) what the client still sends, so closing does not reset
    /// the connection before it has read the answer.
    private func drain(_ connection: Int32) {
        var timeout = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(connection, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var buffer = [UInt8](repeating: 0, count: 4096)
        for _ in 0..<16 {
            guard buffer.withUnsafeMutableBytes({ recv(connection, $0.baseAddress, $0.count, 0) }) > 0 else { return }
        }
    }

    private static func contains(_ bytes: [UInt8], _ pattern: [UInt8]) -> Bool {
        guard bytes.count >= pattern.count else { return false }
        return (0...(bytes.count - pattern.count)).contains { bytes[$0..<($0 + pattern.count)].elementsEqual(pattern) }
    }

    private static func errnoText() -> String { String(cString: strerror(errno)) }
}
