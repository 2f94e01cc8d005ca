/// The metrics endpoint's HTTP/1.1: where a request's head ends, and the answer to it (`GET` or
/// `HEAD /metrics`: the text served; anything else 404; not HTTP 400; too long 431), always
/// with `Connection: close`.
enum MetricsHTTP {
    /// The end of a request's head.
    static let headEnd: [UInt8] = Array("\r\n\r\n".utf8)

    /// Whether `request` holds a whole head, looking only at what `newBytes` (its last bytes) may
    /// have completed.
    static func headIsComplete(_ request: [UInt8], newBytes: Int) -> Bool {
        guard request.count >= headEnd.count else { return false }
        let first = max(0, request.count - newBytes - (headEnd.count - 1))
        return (first...(request.count - headEnd.count)).contains {
            request[$0..<($0 + headEnd.count)].elementsEqual(headEnd)
        }
    }

    /// The answer to the complete head `request`; `body` is asked for only when `/metrics` is.
    static func answer(to request: [UInt8], body: () -> String) -> [UInt8] {
        let line = String(decoding: request.prefix { $0 != UInt8(ascii: "\r") }, as: UTF8.self)
        let parts = line.split(separator: " ")
        guard parts.count == 3, parts[2].hasPrefix("HTTP/1.") else {
            return response(status: "400 Bad Request", body: "bad request\n")
        }
        let path = parts[1].split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        guard parts[0] == "GET" || parts[0] == "HEAD", path == "/metrics" else {
            return response(status: "404 Not Found", body: "only GET /metrics is served here\n")
        }
        return response(
            status: "200 OK", body: body(), contentType: LearnerStatus.prometheusContentType, head: parts[0] == "HEAD")
    }

    /// The answer to a request whose head is longer than the endpoint reads.
    static var tooLarge: [UInt8] { response(status: "431 Request Header Fields Too Large", body: "request too large\n") }

    static func response(
        status: String, body: String, contentType: String = "text/plain; charset=utf-8", head: Bool = false
    ) -> [UInt8] {
        let content = Array(body.utf8)
        var message = Array(
            ("HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(content.count)\r\n"
                + "Connection: close\r\n\r\n").utf8)
        if !head { message += content }
        return message
    }
}
