import FleetCluster
import FleetTestSupport
import Foundation
import XCTest

#if canImport(Glibc)
    import Glibc
#endif

/// docs/reliability.md 18: the learner's Prometheus endpoint (`metrics_port`) with many idle
/// connections open, and with clients that trickle their requests (slowloris). Must hold: a scrape
/// is answered within 1 s however many connections are open (one endpoint that served a connection
/// at a time took 2 s for each idle one before it); a request trickled in is cut at the deadline
/// (``MetricsServer/ioTimeoutSeconds`` from its connection); the server never holds more than
/// ``MetricsServer/maxConnections`` open.
///
/// Figures: scrape latency (median / max of 20) with 0 (the baseline, measured in the same run),
/// 16 and 256 idle connections, and with 32 trickling ones; when the trickled requests were cut;
/// the most connections the server held. The long form adds 1,024 idle connections.
final class MetricsScrapeFaultTests: XCTestCase {
    /// A learner-sized answer: 20 KiB of samples.
    private static let body = (0..<400).map { "fleet_actor_batches_accepted_total{actor=\"actor-\($0)\"} \($0 * 7)\n" }
        .joined()

    func testScrapesAreAnsweredWithManyIdleAndTricklingConnections() throws {
        let server = try MetricsServer(address: "127.0.0.1", port: 0, body: Self.body)
        defer { server.stop() }
        let port = server.boundPort
        var mostOpen = 0

        let baseline = try scrapes(port: port)
        var figures = ["0 idle \(baseline)"]
        for count in FaultReport.longRuns ? [16, 256, 1024] : [16, 256] {
            let idle = try (0..<count).map { _ in try LoopbackHTTP.connect(port: port) }
            defer { idle.forEach { close($0) } }
            let latency = try scrapes(port: port)
            mostOpen = max(mostOpen, server.tally.open)
            XCTAssertLessThan(latency.max, 1, "a scrape with \(count) idle connections took \(latency.max) s")
            XCTAssertLessThanOrEqual(server.tally.open, MetricsServer.maxConnections)
            figures.append("\(count) idle \(latency) (\(fmt(latency.median / baseline.median))x)")
        }

        // 32 clients each send a byte of their request every 100 ms; scrapes go on meanwhile.
        let trickling = Trickle(port: port, clients: 32)
        let latency = try scrapes(port: port)
        mostOpen = max(mostOpen, server.tally.open)
        let cuts = trickling.waitForCuts(within: .seconds(MetricsServer.ioTimeoutSeconds + 3))
        XCTAssertLessThan(latency.max, 1, "a scrape with 32 trickling connections took \(latency.max) s")
        XCTAssertEqual(cuts.count, 32, "trickled requests never cut: \(32 - cuts.count)")
        let deadline = Double(MetricsServer.ioTimeoutSeconds)
        XCTAssertGreaterThanOrEqual(cuts.min() ?? 0, deadline - 0.05)
        XCTAssertLessThan(cuts.max() ?? .infinity, deadline + 1)
        XCTAssertLessThanOrEqual(mostOpen, MetricsServer.maxConnections)
        figures.append("32 trickling \(latency), cut after \(fmt(cuts.min() ?? 0))–\(fmt(cuts.max() ?? 0)) s")

        FaultReport.figure(
            "MetricsScrapeFaultTests",
            mustHold: "a scrape answers within 1 s with many idle or trickling connections; trickled requests cut at "
                + "the \(MetricsServer.ioTimeoutSeconds) s deadline; at most \(MetricsServer.maxConnections) open",
            "scrape latency median/max of 20: " + figures.joined(separator: "; ")
                + "; most open \(mostOpen); \(Self.describe(server.tally))")
    }

    private static func describe(_ tally: MetricsServer.Tally) -> String {
        "\(tally.accepted) connections: \(tally.answered) answered, \(tally.timedOut) cut at the deadline, "
            + "\(tally.evicted) closed over the cap, \(tally.clientLeft) closed by the client"
    }

    /// Median and max seconds of 20 scrapes, each checked whole.
    private func scrapes(port: Int) throws -> Latency {
        var seconds: [Double] = []
        for _ in 0..<20 {
            let start = ContinuousClock.now
            let answer = try LoopbackHTTP.scrape(port: port)
            seconds.append((ContinuousClock.now - start).seconds)
            XCTAssertEqual(answer.status, 200)
            XCTAssertEqual(answer.body.utf8.count, Self.body.utf8.count)
        }
        seconds.sort()
        return Latency(median: seconds[seconds.count / 2], max: seconds.last!)
    }
}

private struct Latency: CustomStringConvertible {
    var median: Double
    var max: Double
    var description: String { "\(fmt(median * 1000))/\(fmt(max * 1000)) ms" }
}

private func fmt(_ value: Double) -> String { String(format: value < 10 ? "%.2f" : "%.0f", value) }

/// Clients that trickle a request into the endpoint, a byte per client every 100 ms, on a thread of
/// their own, until the server cuts each; when it did, in seconds from the client's connect.
private final class Trickle: @unchecked Sendable {
    private let lock = NSLock()
    private var cuts: [Double] = []
    private let done = DispatchSemaphore(value: 0)

    init(port: Int, clients: Int) {
        Thread.detachNewThread { [self] in
            defer { done.signal() }
            let request = Array("GET /metrics HTTP/1.1\r\nX-Slow: \(String(repeating: "a", count: 200))\r\n\r\n")
            var open: [(fd: Int32, at: ContinuousClock.Instant)] = []
            for _ in 0..<clients {
                guard let fd = try? LoopbackHTTP.connect(port: port) else { continue }
                open.append((fd, .now))
            }
            var sent = 0
            let stopAt = ContinuousClock.now + .seconds(MetricsServer.ioTimeoutSeconds + 3)
            while !open.isEmpty, ContinuousClock.now < stopAt {
                let byte = String(request[sent % request.count])
                sent += 1
                open.removeAll { client in
                    guard !LoopbackHTTP.isClosedByServer(client.fd), LoopbackHTTP.send(client.fd, byte) else {
                        let after = (ContinuousClock.now - client.at).seconds
                        lock.withLock { cuts.append(after) }
                        close(client.fd)
                        return true
                    }
                    return false
                }
                usleep(100_000)
            }
            open.forEach { close($0.fd) }
        }
    }

    /// Waits for the trickling thread to end (every client cut, or `within` passed); the cuts seen.
    func waitForCuts(within: Duration) -> [Double] {
        _ = done.wait(timeout: .now() + within.seconds + 1)
        return lock.withLock { cuts }
    }
}
