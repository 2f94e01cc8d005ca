@testable import FleetCluster
import FleetTransport
import Foundation
import XCTest
import FleetClusterTesting
import FleetConfig

#if canImport(Glibc)
    import Glibc
#endif

/// The learner's Prometheus endpoint (`metrics_port`): scraped during and after a short run, and
/// the server's answers to everything else.
final class MetricsEndpointTests: XCTestCase {
    func testAShortRunIsScrapedWhileItTrainsAndAfter() throws {
        let config = try loopTestConfig(["num_actors=2", "max_policy_lag=1", "metrics_port=0"])
        XCTAssertEqual(config.metricsPort, 0)
        XCTAssertEqual(config.metricsAddress, "127.0.0.1")
        let training = try InProcessTraining(
            config: config, context: try Context(), metrics: nil, stallTimeout: .seconds(20))
        let port = try XCTUnwrap(training.learner.boundMetricsPort)
        XCTAssertGreaterThan(port, 0)

        let before = try parsePrometheus(try scrape(port: port).body)
        XCTAssertEqual(before["fleet_env_steps_total"], 0)
        XCTAssertEqual(before["fleet_actors{state=\"pending\"}"], 2)

        // Scrapes on another thread while the learner trains on this one.
        let scrapes = ScrapeLog()
        let done = DispatchSemaphore(value: 0)
        let scraper = Thread {
            while !scrapes.stopped {
                if let answer = try? scrape(port: port), let samples = try? parsePrometheus(answer.body) {
                    scrapes.append(samples)
                }
                Thread.sleep(forTimeInterval: 0.02)
            }
            done.signal()
        }
        scraper.start()
        let summary = try training.run()
        scrapes.stop()
        done.wait()

        let answer = try scrape(port: port)
        XCTAssertEqual(answer.status, 200)
        XCTAssertTrue(answer.head.lowercased().contains("content-type: text/plain; version=0.0.4"), answer.head)
        let after = try parsePrometheus(answer.body)
        XCTAssertEqual(after["fleet_env_steps_total"], Double(summary.envSteps))
        XCTAssertEqual(after["fleet_updates_total"], 4)
        XCTAssertEqual(after["fleet_policy_version"], 4)
        XCTAssertGreaterThan(after["fleet_steps_per_second"] ?? 0, 0)
        let accepted = (0..<2).compactMap { after["fleet_actor_batches_accepted_total{actor=\"actor-\($0)\"}"] }
        XCTAssertEqual(accepted.count, 2)
        XCTAssertGreaterThanOrEqual(accepted.reduce(0, +), 4)
        XCTAssertNotNil(after["fleet_queue_batches"])
        XCTAssertNotNil(after["fleet_queue_bytes"])
        XCTAssertEqual(after["fleet_updates_aborted_total"], 0)
        XCTAssertEqual(after["fleet_actor_quarantined{actor=\"actor-0\"}"], 0)

        let seen = scrapes.samples
        XCTAssertFalse(seen.isEmpty, "no scrape answered during the run")
        let steps = seen.compactMap { $0["fleet_env_steps_total"] }
        XCTAssertEqual(steps, steps.sorted(), "env steps never go down")
        let versions = seen.compactMap { $0["fleet_policy_version"] }
        XCTAssertEqual(versions, versions.sorted())
        XCTAssertTrue(seen.contains { ($0["fleet_actors{state=\"live\"}"] ?? 0) >= 1 }, "actors were seen live")
        XCTAssertLessThanOrEqual(steps.last ?? 0, after["fleet_env_steps_total"] ?? 0)
    }

    func testTheServerAnswersOnlyGetMetricsAndBoundsRequests() throws {
        let server = try MetricsServer(address: "127.0.0.1", port: 0, body: "fleet_x 1\n")
        defer { server.stop() }
        XCTAssertEqual(try scrape(port: server.boundPort).body, "fleet_x 1\n")
        server.update("fleet_x 2\n")
        XCTAssertEqual(try scrape(port: server.boundPort, path: "/metrics?x=1").body, "fleet_x 2\n")
        XCTAssertEqual(try scrape(port: server.boundPort, path: "/").status, 404)
        XCTAssertEqual(try scrape(port: server.boundPort, method: "POST").status, 404)
        XCTAssertEqual(try exchange(port: server.boundPort, "nonsense\r\n\r\n").status, 400)
        let huge = "GET /metrics HTTP/1.1\r\nX: " + String(repeating: "a", count: 20_000) + "\r\n\r\n"
        XCTAssertEqual(try exchange(port: server.boundPort, huge).status, 431)

        // A client that connects and says nothing is dropped after the timeout; updates never wait for it.
        let silent = try connectTo(port: server.boundPort)
        defer { close(silent) }
        let start = ContinuousClock.now
        server.update("fleet_x 3\n")
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(100))
        XCTAssertEqual(try scrape(port: server.boundPort).body, "fleet_x 3\n")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(MetricsServer.ioTimeoutSeconds + 2))
    }

    func testABusyPortIsAnError() throws {
        let server = try MetricsServer(address: "127.0.0.1", port: 0)
        defer { server.stop() }
        XCTAssertThrowsError(try MetricsServer(address: "127.0.0.1", port: server.boundPort))
        XCTAssertThrowsError(try MetricsServer(address: "localhost:x", port: 0))
        XCTAssertThrowsError(try RunConfig(file: nil, overrides: ["metrics_port=70000"]))
    }
}

/// Scrapes collected on one thread, read on another.
private final class ScrapeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [[String: Double]] = []
    private var isStopped = false
    func append(_ samples: [String: Double]) { lock.withLock { stored.append(samples) } }
    var samples: [[String: Double]] { lock.withLock { stored } }
    func stop() { lock.withLock { isStopped = true } }
    var stopped: Bool { lock.withLock { isStopped } }
}

private struct HTTPAnswer {
    var status: Int
    var head: String
    var body: String
}

private struct SocketError: Error { let what: String }

private func scrape(port: Int, path: String = "/metrics", method: String = "GET") throws -> HTTPAnswer {
    try exchange(port: port, "\(method) \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
}

private func connectTo(port: Int) throws -> Int32 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    guard fd >= 0 else { throw SocketError(what: "socket") }
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    var addr = sockaddr_in()
    addr.sin_family = sa_family_t(AF_INET)
    addr.sin_port = in_port_t(UInt16(port).bigEndian)
    addr.sin_addr.s_addr = inet_addr("127.0.0.1")
    let connected = withUnsafePointer(to: &addr) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
    }
    guard connected == 0 else {
        close(fd)
        throw SocketError(what: "connect")
    }
    return fd
}

/// Sends `request` on a fresh connection and reads the answer until the server closes it.
private func exchange(port: Int, _ request: String) throws -> HTTPAnswer {
    let fd = try connectTo(port: port)
    defer { close(fd) }
    let bytes = Array(request.utf8)
    var sent = 0
    while sent < bytes.count {
        let count = bytes.withUnsafeBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
        // The server may answer (431) and close before it has read everything.
        guard count > 0 else { break }
        sent += count
    }
    var answer: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 4096)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { break }
        answer += buffer[0..<count]
    }
    let text = String(decoding: answer, as: UTF8.self)
    guard let split = text.range(of: "\r\n\r\n") else { throw SocketError(what: "no HTTP head in \(text)") }
    let head = String(text[..<split.lowerBound])
    let status = head.split(separator: " ").dropFirst().first.flatMap { Int($0) } ?? 0
    return HTTPAnswer(status: status, head: head, body: String(text[split.upperBound...]))
}
