import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// A bare HTTP/1.1 client on 127.0.0.1 over blocking sockets, for the metrics endpoint's tests:
/// whole exchanges, and connections held open, trickled into or left idle.
public enum LoopbackHTTP {
    /// An answer: its status, head (without the blank line) and body.
    public struct Answer {
        public var status: Int
        public var head: String
        public var body: String
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    /// `GET` (or `method`) `path` on a fresh connection.
    public static func scrape(port: Int, path: String = "/metrics", method: String = "GET") throws -> Answer {
        try exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    }

    /// Sends `request` on a fresh connection and reads the answer until the server closes it.
    public static func exchange(port: Int, _ request: String) throws -> Answer {
        let fd = try connect(port: port)
        defer { close(fd) }
        // The server may answer (431) and close before it has read everything.
        _ = send(fd, request)
        let text = String(decoding: readToEnd(fd), as: UTF8.self)
        guard let split = text.range(of: "\r\n\r\n") else { throw Failure(description: "no HTTP head in \(text)") }
        let head = String(text[..<split.lowerBound])
        let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
        return Answer(status: status, head: head, body: String(text[split.upperBound...]))
    }

    /// A connection to 127.0.0.1:`port` whose reads give up after `readTimeout`.
    public static func connect(port: Int, readTimeout: Duration = .seconds(10)) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw Failure(description: "socket: \(String(cString: strerror(errno)))") }
        let (seconds, attoseconds) = readTimeout.components
        var timeout = timeval(tv_sec: Int(seconds), tv_usec: Int(attoseconds / 1_000_000_000_000))
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = in_port_t(UInt16(port).bigEndian)
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &addr) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            let text = String(cString: strerror(errno))
            close(fd)
            throw Failure(description: "connect to 127.0.0.1:\(port): \(text)")
        }
        return fd
    }

    /// Sends what it can of `text` on `fd`; whether all of it went.
    @discardableResult
    public static func send(_ fd: Int32, _ text: String) -> Bool {
        let bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let count = bytes.withUnsafeBytes {
                Glibc.send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL))
            }
            guard count > 0 else { return false }
            sent += count
        }
        return true
    }

    /// Reads `fd` until the server closes it (or the read timeout passes).
    public static func readToEnd(_ fd: Int32) -> [UInt8] {
        var answer: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard count > 0 else { break }
            answer += buffer[0..<count]
        }
        return answer
    }

    /// Whether the server has closed `fd` (or reset it), without waiting.
    public static func isClosedByServer(_ fd: Int32) -> Bool {
        var probe: UInt8 = 0
        let count = recv(fd, &probe, 1, Int32(MSG_DONTWAIT) | Int32(MSG_PEEK))
        return count == 0 || (count < 0 && errno != EAGAIN && errno != EWOULDBLOCK)
    }
}
