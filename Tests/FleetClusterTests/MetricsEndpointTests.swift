@testable import FleetCluster
import FleetTransport
import Foundation
import XCTest
import FleetClusterTesting
import FleetConfig
import FleetTestSupport

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

        // A client that connects and says nothing holds up neither an update nor a scrape.
        let silent = try LoopbackHTTP.connect(port: server.boundPort)
        defer { close(silent) }
        let start = ContinuousClock.now
        server.update("fleet_x 3\n")
        XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(100))
        XCTAssertEqual(try scrape(port: server.boundPort).body, "fleet_x 3\n")
        XCTAssertLessThan(ContinuousClock.now - start, .seconds(1))
    }

    func testIdleConnectionsDoNotHoldUpAScrape() throws {
        let server = try MetricsServer(address: "127.0.0.1", port: 0, body: "fleet_x 1\n")
        defer { server.stop() }
        let idle = try (0..<16).map { _ in try LoopbackHTTP.connect(port: server.boundPort) }
        defer { idle.forEach { close($0) } }
        // One of them has sent half a request.
        LoopbackHTTP.send(idle[0], "GET /met")
        for _ in 0..<5 {
            let start = ContinuousClock.now
            XCTAssertEqual(try scrape(port: server.boundPort).body, "fleet_x 1\n")
            XCTAssertLessThan(ContinuousClock.now - start, .milliseconds(500))
        }
        XCTAssertTrue(eventually { server.tally.answered == 5 }, "\(server.tally)")
        XCTAssertEqual(server.tally.open, 16)
    }

    func testARequestTrickledInIsCutAtItsDeadline() throws {
        let server = try MetricsServer(address: "127.0.0.1", port: 0, body: "fleet_x 1\n", timeout: .seconds(1))
        defer { server.stop() }
        let slow = try LoopbackHTTP.connect(port: server.boundPort)
        defer { close(slow) }
        let start = ContinuousClock.now
        var cut: Duration?
        for byte in "GET /metrics HTTP/1.1\r\nX-Slow: \(String(repeating: "a", count: 100))\r\n\r\n" {
            guard LoopbackHTTP.send(slow, String(byte)), !LoopbackHTTP.isClosedByServer(slow) else {
                cut = ContinuousClock.now - start
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        let elapsed = try XCTUnwrap(cut, "a request trickled for over 6 s was never cut")
        XCTAssertGreaterThanOrEqual(elapsed, .milliseconds(950))
        XCTAssertLessThan(elapsed, .milliseconds(1600))
        XCTAssertTrue(eventually { server.tally.timedOut == 1 }, "\(server.tally)")
        XCTAssertEqual(server.tally.answered, 0)
    }

    func testAnAnswerNotReadIsCutAtItsDeadline() throws {
        // More than the loopback's socket buffers hold.
        let big = String(repeating: "fleet_padding 1\n", count: 1 << 20)
        let server = try MetricsServer(address: "127.0.0.1", port: 0, body: big, timeout: .milliseconds(500))
        defer { server.stop() }
        let reader = try LoopbackHTTP.connect(port: server.boundPort)
        defer { close(reader) }
        LoopbackHTTP.send(reader, "GET /metrics HTTP/1.1\r\n\r\n")
        XCTAssertTrue(eventually { server.tally.timedOut == 1 }, "\(server.tally)")
        XCTAssertEqual(server.tally.open, 0)
        XCTAssertEqual(try scrape(port: server.boundPort).body.count, big.utf8.count)
    }

    func testOpenConnectionsStayBoundedTheOldestIdleClosedFirst() throws {
        let server = try MetricsServer(address: "127.0.0.1", port: 0, body: "fleet_x 1\n")
        defer { server.stop() }
        let extra = 36
        var idle: [Int32] = []
        defer { idle.forEach { close($0) } }
        for _ in 0..<(MetricsServer.maxConnections + extra) { idle.append(try LoopbackHTTP.connect(port: server.boundPort)) }
        XCTAssertEqual(try scrape(port: server.boundPort).body, "fleet_x 1\n")
        XCTAssertTrue(eventually { server.tally.answered == 1 }, "\(server.tally)")
        // The scrape's own connection, when its request came after it was accepted, took a place too.
        XCTAssertTrue((extra...(extra + 1)).contains(server.tally.evicted), "\(server.tally)")
        XCTAssertEqual(server.tally.open, MetricsServer.maxConnections + extra - server.tally.evicted)
        XCTAssertTrue(eventually { idle.prefix(extra).allSatisfy(LoopbackHTTP.isClosedByServer) }, "the oldest are closed")
        XCTAssertFalse(idle.suffix(MetricsServer.maxConnections - 1).contains(where: LoopbackHTTP.isClosedByServer))
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

/// Whether `condition` holds within 5 s (the server's tally lags its answers by a poll at most).
private func eventually(_ condition: () -> Bool) -> Bool {
    let deadline = ContinuousClock.now + .seconds(5)
    while !condition() {
        guard ContinuousClock.now < deadline else { return false }
        Thread.sleep(forTimeInterval: 0.01)
    }
    return true
}

private func scrape(port: Int, path: String = "/metrics", method: String = "GET") throws -> LoopbackHTTP.Answer {
    try LoopbackHTTP.scrape(port: port, path: path, method: method)
}

private func exchange(port: Int, _ request: String) throws -> LoopbackHTTP.Answer {
    try LoopbackHTTP.exchange(port: port, request)
}
